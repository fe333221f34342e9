"""Render the optimized multi-stage Dockerfile from a :class:`DockerfilePlan`.

The plan is data (what to install, in which order, what to copy, how to run); the template in
``templates/Dockerfile.j2`` turns it into text. Nothing here touches the disk or Docker, so every
decision is unit-tested by comparing text.

With ``wheelhouse`` set (see :mod:`dockyard.wheelhouse`) every install step bind-mounts its own wheel set
``<wheelhouse>/<set>`` at ``/wheels`` and installs that set's wheelhouse lock; with ``offline`` too it
passes ``--no-index``, so the steps need no package index at all. The names below are the layout both
sides agree on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from jinja2 import Environment

from dockyard.layout import (  # the wheelhouse's layout, which both sides agree on
    BUILD_SYSTEM_SET,
    INSTALLER_SET,
    LOCK_CHECKSUM,
    WHEELHOUSE_LOCK,
    WHEELS_MOUNT,
)
from dockyard.render import templating

UID = 10001
UV_VERSION = "0.13.8"

UV = "/opt/uv/bin/uv"
#: Where the ml lock is installed (its own stage, put on sys.path by a .pth file in the venv).
ML_PREFIX = "/opt/ml"


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
    #: "--index-url" or "--extra-index-url" when the locks need an index whose URL is a secret
    private_index: str | None = None
    #: local libraries, archives and paths the runtime locks list unhashed (phase 1), installed --no-deps
    local_installs: tuple[str, ...] = ()
    wheelhouse: str | None = None
    offline: bool = False
    test_command: tuple[str, ...] = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    uid: int = UID
    uv_version: str = UV_VERSION
    notes: tuple[str, ...] = field(default=())


def wheel_set_name(lock: str) -> str:
    """The wheel set of a lock file: ``requirements/ml.txt`` -> ``ml``."""
    return PurePosixPath(lock).stem


def lock_mount_target(lock: str) -> str:
    """Where an install step bind-mounts a project lock (the template spells it out too)."""
    return f"/tmp/{lock}"


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


def is_ml_lock(lock: str) -> bool:
    return wheel_set_name(lock) == "ml"


def healthcheck(port: int, path: str) -> tuple[str, ...]:
    """A health probe that needs nothing but the Python already in the image (no curl)."""
    url = f"http://127.0.0.1:{port}{path}"
    code = f"import urllib.request; urllib.request.urlopen('{url}', timeout=3)"
    return ("python", "-c", code)


SECRET_ID = "dockyard_index"
SECRET_PATH = f"/run/secrets/{SECRET_ID}"
_SECRET_GUARD = (
    f"{{ test -s {SECRET_PATH} || {{ echo 'dockyard: this build needs the private index URL as a BuildKit "
    f"secret: docker build --secret id={SECRET_ID},src=FILE ...' >&2; exit 1; }}; }} && "
)


def with_secret_index(commands: dict[str, str], plan: DockerfilePlan) -> dict[str, str]:
    """Install commands that read a private index URL from a BuildKit secret, never from a layer."""
    if not plan.private_index:
        return commands
    tool = "UV" if plan.installer == "uv" else "PIP"
    var = f"{tool}_{'EXTRA_INDEX_URL' if plan.private_index == '--extra-index-url' else 'INDEX_URL'}"
    prefix = f'{_SECRET_GUARD}{var}="$(cat {SECRET_PATH})" '
    changed = {
        k: prefix + v for k, v in commands.items() if k in ("install", "install_target", "install_no_deps")
    }
    changed["cache_mount"] = f"{commands['cache_mount']} --mount=type=secret,id={SECRET_ID}"
    return {**commands, **changed}


def install_commands(plan: DockerfilePlan) -> dict[str, str]:
    return with_secret_index(_install_commands(plan), plan)


def _install_commands(plan: DockerfilePlan) -> dict[str, str]:
    find = ""
    if plan.wheelhouse:
        find = f" --no-index --find-links {WHEELS_MOUNT}" if plan.offline else f" --find-links {WHEELS_MOUNT}"
    if plan.installer == "uv":
        uv = "/opt/uv/bin/uv pip install --python /opt/venv/bin/python"
        return {
            "install": f"{uv} --require-hashes --no-deps{find}",
            "install_target": f"{UV} pip install --python python3 --target {ML_PREFIX} --require-hashes"
            + f" --no-deps{find}",
            "install_no_deps": f"{uv} --no-deps{find}",
            "cache_mount": "--mount=type=cache,target=/root/.cache/uv",
            "find": find,
        }
    pip = "pip install --disable-pip-version-check"
    return {
        "install": f"{pip} --require-hashes --no-deps{find}",
        "install_target": f"python3 -m {pip} --target {ML_PREFIX} --require-hashes --no-deps{find}",
        "install_no_deps": f"{pip} --no-deps{find}",
        "cache_mount": "--mount=type=cache,target=/root/.cache/pip",
        "find": find,
    }


def _environment() -> Environment:
    return templating.environment(exec_form=exec_form, wheel_set=wheel_set_name)


def render(plan: DockerfilePlan) -> str:
    template = _environment().get_template("Dockerfile.j2")
    text = template.render(
        **{k: getattr(plan, k) for k in plan.__dataclass_fields__},
        **install_commands(plan),
        wheels_mount=WHEELS_MOUNT,
        wheelhouse_lock=WHEELHOUSE_LOCK,
        lock_checksum=LOCK_CHECKSUM,
        installer_set=INSTALLER_SET,
        build_system_set=BUILD_SYSTEM_SET,
        dev_command=dev_command(plan.command),
        healthcheck=healthcheck(plan.port, plan.health_path),
        venv_locks=[lock for lock in plan.runtime_locks if not is_ml_lock(lock)],
        ml_locks=[lock for lock in plan.runtime_locks if is_ml_lock(lock)],
    )
    # collapse the blank lines left by skipped blocks
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text
