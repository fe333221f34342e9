"""Phase 2's decisions, as data: what the optimized Dockerfile installs, copies and runs.

Everything is inferred from the project as it is (its current Dockerfile, its phase-1
requirement locks, its layout and git history) and can be overridden in ``[tool.dockyard]``.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from dockyard import (
    binary_wheels,
    contract,
    digests,
    history,
    preinstalled,
    runtime_base,
    shared_libraries,
    smoke_env,
    start_command,
    system_packages,
)
from dockyard.config import Settings
from dockyard.errors import InputError
from dockyard.phases import phase2_layout
from dockyard.phases.phase2_layout import FALLBACK_RANK, NOT_RUNTIME, runtime_paths
from dockyard.render.dockerfile import UID, DockerfilePlan, is_ml_lock
from dockyard.requirements.lock import pins as lock_pins
from dockyard.wheelhouse import vcs

#: Only when there is no original Dockerfile to read.
DEFAULT_PORT = 8000


def original(settings: Settings) -> contract.Contract | None:
    """What the project's own Dockerfile (the phase-1 baseline) runs, at the stage it builds."""
    path = contract.locate(settings.project, settings.dockerfile)
    return contract.read(path, target=settings.target) if path is not None else None


#: Kept for callers written before the contract (they pass it on to :func:`app_port`).
current_dockerfile = original


def app_command(settings: Settings, current: contract.Contract | None) -> tuple[str, ...]:
    """The one place the start command is decided: the setting, else the original's ENTRYPOINT
    and CMD combined as Docker combines them."""
    if settings.app_command:
        return settings.app_command
    if current is not None and current.command:
        entrypoint, cmd, _ = contract.without_runner(current.entrypoint, current.cmd)
        return (*(entrypoint or ()), *(cmd or ()))
    inferred = start_command.infer(settings.project)
    if inferred is not None:
        return inferred.argv
    where = current.dockerfile if current is not None else settings.project / "Dockerfile"
    raise InputError(
        "cannot tell how the service starts: no CMD or ENTRYPOINT in the project's Dockerfile, and no "
        "console script, web application, __main__ package or Procfile to start"
        if current is not None
        else "cannot tell how the service starts: the project has no Dockerfile, and no console script, "
        "web application, __main__ package or Procfile to start",
        path=str(where),
        hint='set app_command in [tool.dockyard], e.g. app_command = ["uvicorn", "pkg.app:app"]',
    )


def app_port(settings: Settings, current: contract.Contract | None) -> int:
    """The port to probe: the setting, else the original's first EXPOSE; without EXPOSE it is a
    command-line program or a worker (0). 8000 only when there is no original to read."""
    if settings.app_port >= 0:
        return settings.app_port
    if current is None or not current.command:
        inferred = None if settings.app_command else start_command.infer(settings.project)
        if inferred is not None:
            return inferred.port
    if current is None:
        return DEFAULT_PORT
    return current.ports[0] if current.ports else 0


def health_path(settings: Settings, current: contract.Contract | None) -> str:
    """The HTTP path the smoke test and a generated HEALTHCHECK use (with a port): the setting, else
    the path of a URL in the original's HEALTHCHECK, else a health route the application's code
    declares (``/health``, ``/healthz``, ...); empty when none is known: no HEALTHCHECK is generated
    then, because a guessed path that the service does not serve would mark a working image unhealthy."""
    if settings.health_path:
        return settings.health_path
    if current is not None and current.healthcheck is not None and not current.healthcheck.disabled:
        found = re.search(r"https?://[^/\s'\"]+(/[^\s'\"]*)", " ".join(current.healthcheck.args))
        if found:
            return found.group(1)
    return health_route(settings.project) or ""


_HEALTH_ROUTE = re.compile(r"""["'](/(?:health|healthz|healthcheck|ping|livez|readyz|status)/?)["']""")
_SKIP_DIRS = {"tests", "test", ".git", ".venv", "venv", "node_modules", "docs", ".dockyard"}


def health_route(project: Path, *, limit: int = 400) -> str | None:
    """A health route literal in the project's Python code (``@app.get("/health")``), or None."""
    seen = 0
    for path in sorted(project.rglob("*.py")):
        if _SKIP_DIRS & set(path.relative_to(project).parts[:-1]):
            continue
        seen += 1
        if seen > limit:
            break
        try:
            found = _HEALTH_ROUTE.search(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if found:
            return found.group(1)
    return None


_MKDIR_CALLS = {"mkdir", "makedirs"}


def code_made_dirs(project: Path, *, limit: int = 400) -> tuple[str, ...]:
    """Relative directories the project's code creates at run time (``os.mkdir("logs")``,
    ``os.makedirs("data/cache")``, ``Path("uploads").mkdir()``): under a root original they land in its
    WORKDIR, which the non-root user of the generated image cannot write to unless made beforehand."""
    found: dict[str, None] = {}
    for index, path in enumerate(p for p in sorted(project.rglob("*.py")) if not _skipped(project, p)):
        if index >= limit:
            break
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in _MKDIR_CALLS:
                continue
            # os.mkdir("x") / os.makedirs("x"); Path("x").mkdir()
            target = node.func.value if not node.args else node.args[0]
            if isinstance(target, ast.Call) and target.args:
                target = target.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                name = target.value.strip()
                relative = PurePosixPath(name)
                if name and not relative.is_absolute() and ".." not in relative.parts and name != ".":
                    found[str(relative)] = None
    return tuple(sorted(found))


def _skipped(project: Path, path: Path) -> bool:
    return bool(_SKIP_DIRS & set(path.relative_to(project).parts[:-1]))


def installs_project(project: Path, current: contract.Contract | None = None) -> bool:
    return phase2_layout.installs_project(project, current)


def user_plan(current: contract.Contract | None) -> tuple[int, str, str, str]:
    """``(uid, USER line, user name, group name)``. Non-root always: the original's own user when it
    had one (same name, or same uid from 1000 up), else ``app`` with uid 10001 (USER ``uid:uid``)."""
    default = (UID, "", "app", "app")
    if current is None or current.runs_as_root or current.user is None or "$" in current.user:
        return default
    name, _, group = current.user.partition(":")
    if name.isdigit():
        # a uid below 1000 belongs to a system account of the base image (www-data is 33)
        return (int(name), current.user, "app", "app") if int(name) >= 1000 else default
    return (UID, current.user, name, group if group and not group.isdigit() else name)


def apt_packages(
    settings: Settings,
    current: contract.Contract | None,
    *,
    docker: str | None,
    locks: tuple[str, ...] = (),
    compiles: bool = False,
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Runtime and build apt packages, and notes. The original's apt lines are split (compilers and
    -dev packages to the builder), each -dev package's runtime library comes from Debian's metadata.
    With ``docker`` (a real run), build packages are left out when nothing compiles: the project
    has no extensions and every pin of ``locks`` has a wheel."""
    runtime = list(current.runtime_packages if current else ())
    build = list(current.build_packages if current else ())
    notes: list[str] = []
    devs = [
        contract.package_name(b) for b in build if contract.package_name(b).split(":")[0].endswith("-dev")
    ]
    if devs:
        libraries = system_packages.resolve(docker, settings.base_image, devs, settings.state_path)
        unknown = [d for d in devs if d not in libraries]
        if unknown:
            notes.append(
                f"runtime libraries of {', '.join(unknown)} not looked up yet (needs Docker): "
                "phase 2 reads them from Debian's metadata when it runs"
            )
        for dev in devs:
            if libraries.get(dev):
                runtime += [lib for lib in libraries[dev] if lib not in runtime]
                notes.append(
                    f"{dev} is a build package; its runtime library {', '.join(libraries[dev])} is kept"
                )
    runtime += [p for p in settings.runtime_packages if p not in runtime]
    paths = [settings.project / lock for lock in locks]
    if build and docker is not None and not compiles and paths:
        python = settings.python_version
        if binary_wheels.all_binary(paths, python_version=python, state=settings.state_path):
            notes.append(
                f"every locked requirement has a wheel for Python {python} and nothing compiles: "
                f"the original's build packages are left out ({', '.join(build)})"
            )
            build = []
    if build:
        notes.append(f"build packages from the original's apt lines, in the builder only: {', '.join(build)}")
    build += [p for p in settings.build_packages if p not in build]
    return tuple(runtime), tuple(build), notes


def full_image_builder(
    settings: Settings,
    current: contract.Contract | None,
    *,
    docker: str | None,
    locks: tuple[str, ...],
    compiles: bool,
) -> str | None:
    """The original's full python image (``python:3.11``), for the builder stage, when the original
    builds on it and something compiles: the project's own extensions, or a pin without a wheel.
    That image has the compilers and ``-dev`` libraries the original compiled with implicitly. Needs
    ``docker`` (a real run); with everything a wheel, the builder stays on the slim base."""
    if current is None or docker is None or not contract.is_full_python_image(current.base_image):
        return None
    paths = [settings.project / lock for lock in locks]
    if compiles or not binary_wheels.all_binary(
        paths, python_version=settings.python_version, state=settings.state_path
    ):
        return current.base_image
    return None


def plan_dockerfile(settings: Settings, *, docker: str | None = None) -> DockerfilePlan:
    """The generated Dockerfile as data. ``docker`` lets it look up package metadata in the base
    image (cached in the state directory); without it only cached answers are used."""
    project = settings.project
    current = original(settings)
    reqs = settings.requirements_dir
    runtime_locks = tuple(
        f"{reqs}/{name}.txt" for name in ("base", "ml") if _has_pins(project / reqs / f"{name}.txt")
    )
    dev_locks = tuple(
        f"{reqs}/{name}.txt" for name in ("dev", "test") if _has_pins(project / reqs / f"{name}.txt")
    )
    if not runtime_locks and not (project / reqs / "base.txt").is_file():
        raise InputError(
            f"no locked runtime requirements in {reqs}/",
            path=str(project / reqs),
            hint="run `dockyard phase1` first: it splits and locks requirements",
        )
    notes: list[str] = []
    if not runtime_locks:
        notes.append(f"{reqs}/base.txt pins nothing: the project has no runtime dependencies to install")
    install_project = installs_project(project, current)
    root = phase2_layout.project_dir(current)
    editable = None
    skip: tuple[str, ...] = ()
    if install_project:
        reason = phase2_layout.compiled_reason(project)
        if reason is None:
            editable = phase2_layout.editable_install(project, root)
            notes.append(
                f"the project is installed editable from its metadata ({', '.join(editable.files[:3])}"
                f"{', ...' if len(editable.files) > 3 else ''}); a code change copies source files only"
            )
        else:
            src, pkgs, _ = phase2_layout.packages(project)
            skip = (src,) if src else pkgs
            notes.append(f"the project is built as a wheel on every code change: {reason}")
    for step in current.build_steps if current is not None else ():
        notes.append(
            f"the original's build step `{step}` is carried over and runs again after every code change "
            "(it reads the code): a code-change rebuild costs that step on top of copying the source"
        )
    local = tuple(line for lock in runtime_locks for line in local_lines((project / lock).read_text()))
    from_git = vcs.find(project, runtime_locks)
    if from_git:
        notes.append(
            f"{len(from_git)} git requirement(s) installed from wheels built on the host in {vcs.DIRNAME}/: "
            + ", ".join(r.name for r in from_git)
        )
    private = next(
        (
            m.group(1)
            for lock in (*runtime_locks, *dev_locks)
            if (m := _PRIVATE.search((project / lock).read_text()))
        ),
        None,
    )
    counts = history.top_level_change_counts(project)
    copies = phase2_layout.copies(project, current, counts=counts, skip=skip)
    runtime_apt, build_apt, apt_notes = apt_packages(
        settings,
        current,
        docker=docker,
        locks=(*runtime_locks, *dev_locks),
        compiles=install_project and editable is None,
    )
    notes += apt_notes
    pins = digests.read_lock(project / digests.LOCK)
    builder_image = full_image_builder(
        settings, current, docker=docker, locks=(*runtime_locks, *dev_locks), compiles=bool(skip)
    )
    if builder_image is not None:
        notes.append(
            f"something compiles (a pin without a wheel, or the project's extensions): the builder starts "
            f"from the original's {builder_image}, with its compilers and -dev libraries; the runtime "
            f"from {settings.base_image}"
        )
    library_probe = None
    if current is not None and contract.is_full_python_image(current.base_image):
        library_probe = shared_libraries.key(
            builder_image=builder_image or settings.base_image,
            runtime_image=settings.base_image,
            locks=[project / lock for lock in runtime_locks],
            extra=f"{current.base_image}\n{skip}\n{runtime_apt}",
        )
        linked = shared_libraries.cached(settings.state_path, library_probe)
        if linked is None:
            notes.append(
                f"the original runs on the full {current.base_image}: phase 2 looks for the system "
                "libraries the environment links against after building the builder stage"
            )
        else:
            library_probe = None
            added = [lib for lib in linked if lib not in runtime_apt]
            runtime_apt = (*runtime_apt, *added)
            if added:
                notes.append(
                    f"{', '.join(added)}: system libraries the environment links against (ldd, builder), "
                    f"which {current.base_image} had and {settings.base_image} lacks"
                )
    command = app_command(settings, current)
    if not settings.app_command and not (current is not None and current.command):
        chosen = start_command.infer(project)
        if chosen is not None:
            notes.append(f"start command: {chosen.reason}")
    from_original = current is not None and not settings.app_command
    workdir = current.workdir if current is not None and current.workdir else root
    # an original without WORKDIR runs from / (``COPY app app`` is the package /app, not the cwd)
    runtime_workdir = "/" if current is not None and not current.workdir and root != "/" else None
    healthcheck = current.healthcheck if current is not None else None
    env = tuple(_carried_env(current.env)) if current is not None else ()
    uid, user, user_name, group_name = user_plan(current)
    kind, base_env, original_check = runtime_plan(
        settings, current, command, from_original=from_original, docker=docker, notes=notes
    )
    shared = shared_with_base(settings, runtime_locks, kind=kind, docker=docker, notes=notes)
    started: tuple[tuple[str, ...] | None, tuple[str, ...] | None, str | None] = (None, None, None)
    if from_original and current is not None:
        started = contract.without_runner(current.entrypoint, current.cmd)
        if started[2] is not None:
            notes.append(
                f"the original starts through `{started[2]}`, which finds the installer's environment; "
                f"the generated image has the venv on PATH and no {started[2].split()[0]}, so it runs "
                f"`{shlex.join(command)}`"
            )
    return DockerfilePlan(
        base_image=digests.pinned(settings.base_image, pins),
        builder_image=digests.pinned(builder_image, pins) if builder_image else None,
        library_probe=library_probe,
        command=command,
        entrypoint=started[0],
        cmd=started[1],
        port=app_port(settings, current),
        health_path=health_path(settings, current),
        app_paths=tuple(dict.fromkeys(c.source.split("/")[0] for c in copies)),
        copies=copies,
        workdir=workdir,
        runtime_workdir=runtime_workdir,
        build_steps=current.build_steps if current is not None else (),
        env=env,
        labels=tuple(current.labels.items()) if current is not None else (),
        expose=current.expose if current is not None else (),
        expose_port=current is None,
        volumes=current.volumes if current is not None else (),
        stopsignal=current.stopsignal if current is not None else None,
        shell=current.shell if current is not None else None,
        original_healthcheck=original_check,
        healthcheck_options=tuple(healthcheck.options.items()) if healthcheck is not None else (),
        writable_dirs=tuple(
            dict.fromkeys(
                [
                    *writable_dirs(
                        current, made_by_code=code_made_dirs(project), workdir=runtime_workdir or workdir
                    ),
                    *(smoke_env.runtime_volumes(project) if current is not None else ()),
                    *settings.writable_dirs,
                ]
            )
        ),
        runtime_locks=runtime_locks,
        dev_locks=dev_locks,
        installer=settings.installer,
        syntax=settings.syntax,
        apt_build_packages=build_apt,
        apt_runtime_packages=runtime_apt,
        test_command=settings.test_command,
        install_project=install_project,
        local_installs=local,
        vcs_wheels=vcs.DIRNAME if from_git else None,
        private_index=private,
        editable=editable,
        notes=tuple(notes),
        uid=uid,
        user=user,
        user_name=user_name,
        group_name=group_name,
        runtime_base=kind,
        base_env=base_env,
        shared_with_base=shared,
    )


def shared_with_base(
    settings: Settings, runtime_locks: Sequence[str], *, kind: str, docker: str | None, notes: list[str]
) -> tuple[str, ...]:
    """The venv's locked distributions the slim base image already has at the very same version (pip,
    setuptools and wheel: declared by the project, kept at the base's version by phase 1, see
    :mod:`dockyard.preinstalled`). The venv sees the base's copies instead of holding a second one, as
    the original's ``pip install`` did. Not with a stripped or distroless runtime, which drop them, nor
    with pip as the installer (the venv's own pip)."""
    if kind != "slim" or settings.installer != "uv":
        return ()
    venv_locks = [lock for lock in runtime_locks if not is_ml_lock(lock)]
    pinned: dict[str, str] = {}
    for lock in venv_locks:
        pinned.update(lock_pins((settings.project / lock).read_text(encoding="utf-8")))
    if not preinstalled.SEEDED & pinned.keys():
        return ()  # nothing a python image installs itself: no need to ask the image
    has = preinstalled.distributions(docker, settings.base_image, settings.state_path) or {}
    same = tuple(sorted(name for name, version in has.items() if pinned.get(name) == version))
    if same:
        notes.append(
            f"{', '.join(same)}: {settings.base_image} has the locked versions; the venv uses those "
            "(include-system-site-packages) instead of a second copy"
        )
    return same


def runtime_plan(
    settings: Settings,
    current: contract.Contract | None,
    command: tuple[str, ...],
    *,
    from_original: bool,
    docker: str | None,
    notes: list[str],
) -> tuple[str, tuple[tuple[str, str], ...], tuple[str, ...] | None]:
    """The runtime base (refused for distroless when the contract needs a shell), the base image's
    environment a scratch stage restates, and the original HEALTHCHECK as that runtime runs it."""
    kind = runtime_base.check_kind(settings.runtime_base)
    check = current.healthcheck.test if current is not None and current.healthcheck is not None else None
    if kind == "slim":
        return kind, (), check
    if kind == "distroless":
        needs = runtime_base.shell_needs(
            settings.project, current, command, from_original=from_original, target=settings.target
        )
        if needs:
            raise runtime_base.refuse(needs)
        converted = runtime_base.distroless_healthcheck(check)
        if converted != check:
            notes.append("the original HEALTHCHECK runs in exec form, without a shell or curl")
        check = converted
    env = runtime_base.base_env(docker, settings.base_image, settings.state_path)
    if env is None:
        notes.append(
            f"the environment of {settings.base_image} was not read (needs Docker): the {kind} runtime "
            "restates PATH only; phase 2 reads it when it runs"
        )
        env = ()
    what = {
        "stripped": "a flattened copy of the base without pip, setuptools, ensurepip and test suites",
        "distroless": "a distroless root: interpreter, stdlib, venvs and the libraries they load",
    }
    notes.append(f'runtime_base = "{kind}": the runtime stage is {what[kind]}')
    return kind, env, check


_DIR_VARIABLE = re.compile(r"(_DIR|_PATH|_HOME|_ROOT|_FOLDER|_DATA|_CACHE)$")
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/etc", "/proc", "/sys", "/dev", "/opt/venv", "/opt/ml", "/tmp")


def writable_dirs(
    current: contract.Contract | None, *, made_by_code: Sequence[str] = (), workdir: str = "/app"
) -> tuple[str, ...]:
    """The directories the original wrote to, and those its ENV names as a place to keep things
    (``QUEUE_DIR=/queue``): the original ran as root and could create them at run time; the
    generated image runs as a non-root user, so they are made beforehand, owned by that user.
    ``made_by_code`` are relative directories the code creates (:func:`code_made_dirs`), made
    under ``workdir`` when the original ran as root."""
    if current is None:
        return ()
    found = list(current.writable_dirs)
    if current.runs_as_root:
        for name in made_by_code:
            path = str(PurePosixPath(workdir, name))
            if path not in found:
                found.append(path)
    for key, value in current.env:
        path = value.strip("\"'")
        plain = path.startswith("/") and " " not in path and ":" not in path
        if _DIR_VARIABLE.search(key) and plain and not path.startswith(_SYSTEM) and path not in {"/", *found}:
            found.append(path)
    return tuple(found)


def _carried_env(env: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """The original's ENV, less what would point away from the generated virtual environment."""
    carried = []
    for key, value in env:
        if key == "VIRTUAL_ENV":
            continue
        if key == "PATH" and "/opt/venv/bin" not in value:
            value = "/opt/venv/bin:" + value
        carried.append((key, value))
    return carried


_PRIVATE = re.compile(r"^# dockyard: private index \((--[a-z-]+)\)", re.MULTILINE)


def local_lines(lock_text: str) -> list[str]:
    """The local paths and archives a phase-1 lock lists unhashed (``-e`` dropped: an image never edits)."""
    from dockyard.requirements.lock import unhashed_lines

    found = []
    for line in unhashed_lines(lock_text):
        target = line.removeprefix("-e ").strip()
        target = target.split(" @ ", 1)[1] if " @ " in target else target
        target = target.removeprefix("file:")
        if target.startswith(("./", "../")) or target == ".":
            found.append(target)
    return found


def _has_pins(path: Path) -> bool:
    if not path.is_file():
        return False
    return any(line and not line.startswith(("#", " ", "-")) for line in path.read_text().splitlines())


__all__ = [
    "FALLBACK_RANK", "NOT_RUNTIME", "app_command", "app_port", "health_path", "original", "plan_dockerfile",
    "runtime_paths",
]  # fmt: skip
