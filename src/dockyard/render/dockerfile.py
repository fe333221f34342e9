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
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from jinja2 import Environment

from dockyard import candidates
from dockyard.layout import (  # the wheelhouse's layout, which both sides agree on
    BUILD_SYSTEM_SET,
    INSTALLER_SET,
    LOCK_CHECKSUM,
    VCS_MOUNT,
    WHEELHOUSE_LOCK,
    WHEELS_MOUNT,
)
from dockyard.render import templating

UID = 10001
#: What BuildKit gives an image without PATH in its configuration (a scratch stage starts so).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UV_VERSION = "0.13.8"

UV = "/opt/uv/bin/uv"
#: Where the ml lock is installed (its own stage, put on sys.path by a .pth file in the venv).
ML_PREFIX = "/opt/ml"


@dataclass(frozen=True, kw_only=True)
class FileCopy:
    """One COPY of the application into the runtime image: a context path and its absolute place."""

    source: str
    dest: str
    chown: bool = False
    chmod: str | None = None


@dataclass(frozen=True, kw_only=True)
class EditableInstall:
    """The project installed editable from its metadata alone, in a layer of its own: ``files`` are
    copied to ``project_dir`` (pyproject.toml, setup.*, what they read), ``stubs`` are empty modules
    standing in for the source, which comes last in the runtime stage."""

    project_dir: str
    files: tuple[str, ...]
    stubs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DockerfilePlan:
    base_image: str
    command: tuple[str, ...]
    port: int
    health_path: str
    app_paths: tuple[str, ...]
    #: Where the application lives in the image (the original's WORKDIR).
    workdir: str = "/app"
    #: The runtime's working directory when it is not ``workdir``: ``/`` for an original without a
    #: WORKDIR that copied the project elsewhere (``COPY . /src`` and ``pip install /src``).
    runtime_workdir: str | None = None
    #: The original's RUN steps that make the application's files (``collectstatic``), run in the
    #: runtime stage after the source, as the original ran them.
    build_steps: tuple[str, ...] = ()
    #: The original's ENTRYPOINT and CMD as the image config stores them; both None: ``CMD command``.
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    #: Explicit copies (source, absolute destination); empty: each of ``app_paths`` into ``workdir``.
    copies: tuple[FileCopy, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    expose: tuple[str, ...] = ()
    #: EXPOSE ``port`` when ``expose`` is empty: only without an original, whose EXPOSE (or its
    #: absence, with a command taken from compose or a Procfile) is carried over as it is.
    expose_port: bool = True
    volumes: tuple[str, ...] = ()
    stopsignal: str | None = None
    shell: tuple[str, ...] | None = None
    #: The original's own HEALTHCHECK: ``("NONE",)``, ``("CMD", argv...)`` or ``("CMD-SHELL", text)``.
    original_healthcheck: tuple[str, ...] | None = None
    healthcheck_options: tuple[tuple[str, str], ...] = ()
    #: The user: its name and group (created with ``uid``), and the USER line (empty: ``uid:uid``).
    user_name: str = "app"
    group_name: str = "app"
    user: str = ""
    writable_dirs: tuple[str, ...] = ()
    apt_runtime_packages: tuple[str, ...] = ()
    editable: EditableInstall | None = None
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
    #: context-relative directory of the wheels built from the runtime locks' git requirements
    vcs_wheels: str | None = None
    wheelhouse: str | None = None
    offline: bool = False
    test_command: tuple[str, ...] = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    uid: int = UID
    uv_version: str = UV_VERSION
    #: The runtime stage's base: ``slim`` (the base stage), ``stripped`` or ``distroless`` (see
    #: :mod:`dockyard.runtime_base`); the last two restate ``base_env``, the base image's ENV.
    runtime_base: str = "slim"
    base_env: tuple[tuple[str, str], ...] = ()
    #: The tools and builder stages' image when it is not ``base_image``: the original's full python
    #: image, with its compilers and -dev libraries, when something compiles.
    builder_image: str | None = None
    #: The cache key of a shared-library probe phase 2 still has to run (the original ran on a full
    #: image, so the runtime may lack libraries the environment links against); None: nothing to do.
    library_probe: str | None = None
    #: Locked venv distributions the slim base image has at the same version (pip, setuptools): left
    #: to the base's site-packages, which the venv then sees (phase2_plan.shared_with_base).
    shared_with_base: tuple[str, ...] = ()
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


_PLAIN = re.compile(r"^[A-Za-z0-9_./@%+=:,~-]+$")


def copy_line(copy: FileCopy, uid: int) -> str:
    """A COPY instruction, in JSON form when a path needs quoting (hadolint DL3021 and spaces)."""
    flags = (f"--chown={uid}:{uid} " if copy.chown else "") + (f"--chmod={copy.chmod} " if copy.chmod else "")
    if _PLAIN.match(copy.source) and _PLAIN.match(copy.dest):
        return f"COPY {flags}{copy.source} {copy.dest}"
    return f"COPY {flags}{json.dumps([copy.source, copy.dest])}"


def env_value(raw: str) -> str:
    """An ENV value as written in the original, quoted when it is not a single word yet."""
    if raw[:1] in {'"', "'"} or not re.search(r"\s", raw):
        return raw
    return json.dumps(raw)


def runtime_copies(plan: DockerfilePlan) -> tuple[FileCopy, ...]:
    if plan.copies:
        return plan.copies
    return tuple(FileCopy(source=p, dest=f"{plan.workdir.rstrip('/')}/{p}") for p in plan.app_paths)


def editable_copies(plan: DockerfilePlan) -> list[str]:
    if plan.editable is None:
        return []
    root = plan.editable.project_dir.rstrip("/")
    return [copy_line(FileCopy(source=f, dest=f"{root}/{f}"), plan.uid) for f in plan.editable.files]


def original_healthcheck_argv(plan: DockerfilePlan) -> tuple[str, ...]:
    """The original HEALTHCHECK as exec form; ``CMD-SHELL`` runs with the image's shell, as Docker does."""
    test = plan.original_healthcheck or ()
    if test[:1] == ("CMD-SHELL",):
        return (*(plan.shell or ("/bin/sh", "-c")), *test[1:])
    return test[1:]


def user_line(plan: DockerfilePlan) -> str:
    return plan.user or f"{plan.uid}:{plan.uid}"


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


def env_literal(value: str) -> str:
    """A value from an image's configuration written so that ENV gives it back unchanged (single
    quotes: no ``$`` expansion)."""
    if value and re.fullmatch(r"[A-Za-z0-9_./:@%+,~=-]*", value):
        return value
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def runtime_root(plan: DockerfilePlan) -> dict[str, object]:
    """What the stripped and distroless runtime stages need: the RUN that strips or collects the
    root, and the base image's environment the ``FROM scratch`` stage restates."""
    args = candidates.collect_args(packages=plan.apt_runtime_packages, owned=plan.writable_dirs, uid=plan.uid)
    return {
        "strip_command": candidates.strip_command(),
        "collect_run": candidates.collect_run(args),
        "base_env_lines": [f"{key}={env_literal(value)}" for key, value in plan.base_env]
        or [f"PATH={DEFAULT_PATH}"],
    }


def _environment() -> Environment:
    return templating.environment(exec_form=exec_form, wheel_set=wheel_set_name)


def build_step_lines(plan: DockerfilePlan) -> list[str]:
    """The carried-over build steps as RUN arguments: as written, or in exec form on a distroless
    runtime, which has no shell (a step that needs one refuses distroless before this)."""
    if plan.runtime_base != "distroless":
        return list(plan.build_steps)
    return [exec_form(shlex.split(step)) for step in plan.build_steps]


def render(plan: DockerfilePlan) -> str:
    template = _environment().get_template("Dockerfile.j2")
    text = template.render(
        **{k: getattr(plan, k) for k in plan.__dataclass_fields__},
        **install_commands(plan),
        wheels_mount=WHEELS_MOUNT,
        vcs_mount=VCS_MOUNT,
        wheelhouse_lock=WHEELHOUSE_LOCK,
        lock_checksum=LOCK_CHECKSUM,
        installer_set=INSTALLER_SET,
        build_system_set=BUILD_SYSTEM_SET,
        dev_command=dev_command(plan.command),
        runtime_copies=[copy_line(c, plan.uid) for c in runtime_copies(plan)],
        env_lines=[f"{key}={env_value(value)}" for key, value in plan.env],
        label_lines=[f"{json.dumps(k)}={json.dumps(v)}" for k, v in plan.labels],
        user_line=user_line(plan),
        healthcheck_flags=" ".join(f"--{k}={v}" for k, v in plan.healthcheck_options),
        editable_copies=editable_copies(plan),
        original_healthcheck_argv=original_healthcheck_argv(plan),
        healthcheck=healthcheck(plan.port, plan.health_path),
        local_sources=[path.removeprefix("./") or "." for path in plan.local_installs],
        venv_locks=[lock for lock in plan.runtime_locks if not is_ml_lock(lock)],
        ml_locks=[lock for lock in plan.runtime_locks if is_ml_lock(lock)],
        build_step_lines=build_step_lines(plan),
        **runtime_root(plan),
    )
    # collapse the blank lines left by skipped blocks
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"
