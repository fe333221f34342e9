"""Render the optimized multi-stage Dockerfile from a :class:`DockerfilePlan`.

The plan is data (what to install, in which order, what to copy, how to run); the template in
``templates/Dockerfile.j2`` turns it into text. Nothing here touches the disk or Docker, so every
decision is unit-tested by comparing text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined

UID = 10001
UV_VERSION = "0.13.8"


@dataclass(frozen=True, kw_only=True)
class DockerfilePlan:
    base_image: str
    command: tuple[str, ...]
    port: int
    health_path: str
    app_paths: tuple[str, ...]
    runtime_locks: tuple[str, ...] = ("requirements/base.txt",)
    dev_locks: tuple[str, ...] = ("requirements/dev.txt", "requirements/test.txt")
    installer: str = "uv"
    syntax: str = ""
    apt_build_packages: tuple[str, ...] = ()
    install_project: bool = False
    wheelhouse: str | None = None
    offline: bool = False
    test_command: tuple[str, ...] = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    uid: int = UID
    uv_version: str = UV_VERSION
    notes: tuple[str, ...] = field(default=())


def exec_form(argv: Sequence[str]) -> str:
    """JSON array as Docker's exec form expects it (no HTML escaping, unlike Jinja's tojson)."""
    return json.dumps(list(argv))


def dev_command(command: Sequence[str]) -> tuple[str, ...]:
    """The development server: uvicorn, gunicorn+uvicorn, flask and django get auto-reload."""
    argv = tuple(command)
    if argv and argv[0] == "uvicorn" and "--reload" not in argv:
        return (*argv, "--reload")
    if argv[:2] == ("flask", "run") and "--reload" not in argv:
        return (*argv, "--reload")
    return argv


def healthcheck(port: int, path: str) -> tuple[str, ...]:
    """A health probe that needs nothing but the Python already in the image (no curl)."""
    url = f"http://127.0.0.1:{port}{path}"
    code = f"import urllib.request; urllib.request.urlopen('{url}', timeout=3)"
    return ("python", "-c", code)


def install_commands(plan: DockerfilePlan) -> dict[str, str]:
    find = ""
    if plan.wheelhouse:
        find = " --no-index --find-links /wheels" if plan.offline else " --find-links /wheels"
    if plan.installer == "uv":
        uv = "/opt/uv/bin/uv pip install --python /opt/venv/bin/python"
        return {
            "install": f"{uv} --require-hashes{find}",
            "install_no_deps": f"{uv} --no-deps{find}",
            "cache_mount": "--mount=type=cache,target=/root/.cache/uv",
        }
    pip = "pip install --disable-pip-version-check"
    return {
        "install": f"{pip} --require-hashes{find}",
        "install_no_deps": f"{pip} --no-deps{find}",
        "cache_mount": "--mount=type=cache,target=/root/.cache/pip",
    }


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dockyard.render", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["exec_form"] = exec_form
    return env


def render(plan: DockerfilePlan) -> str:
    template = _environment().get_template("Dockerfile.j2")
    text = template.render(
        **{k: getattr(plan, k) for k in plan.__dataclass_fields__},
        **install_commands(plan),
        dev_command=dev_command(plan.command),
        healthcheck=healthcheck(plan.port, plan.health_path),
    )
    # collapse the blank lines left by skipped blocks
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
