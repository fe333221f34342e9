"""Phase 3: the everyday development loop on top of the phase-2 Dockerfile.

The plan is data: which project paths sync into the running dev container (Python source: the server's
reloader picks the change up), which sync and restart it (everything else the service reads at
startup, such as configuration), which rebuild the image (the requirement locks, the Dockerfile and
.dockerignore), and what is mounted instead (the tests, which the runtime build context leaves out).
From it come ``docker/compose.yaml``, ``docker/compose.dev.yaml`` and ``docs/development.md``, all
written through the safe writer. ``docker compose config`` then checks both files, and the guide is
rebuilt from what compose actually read.

:func:`hot_reload_check` proves the loop on a scratch copy of the project: it starts the dev stack with
watch, edits the service's code, and times how long until the running service answers with the
change, checking that no image was rebuilt; optionally it then touches a lock and waits for the rebuild.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard import dockerignore, process
from dockyard.config import Settings
from dockyard.engine import compose
from dockyard.errors import DockyardError, InputError
from dockyard.phases import phase2_plan
from dockyard.render import compose as render
from dockyard.render.dockerfile import UID, DockerfilePlan, dev_command, healthcheck
from dockyard.render.writer import GeneratedFile, Outcome, WritePlan, apply, describe, plan_writes

SOURCE = "dockyard phase3"
DOCS_FILE = "docs/development.md"
DOCKERFILE = "docker/Dockerfile"
#: Blank values make the files' ${VAR:-default} fall back to their defaults, whatever the shell has.
DEFAULTS_ENV = {"APP_PORT": "", "APP_BIND": ""}
PROBE_PATH = "/__dockyard__/hot-reload"
#: What the safe writer takes: paths relative to the project, and their text.
Files = dict[Path | str, GeneratedFile]
_COPY_IGNORE = (".git", ".venv", "venv", "__pycache__", "node_modules", ".mypy_cache", ".pytest_cache")


# --- the plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Phase3Plan:
    root: Path
    compose: render.ComposePlan
    test_command: tuple[str, ...]
    notes: tuple[str, ...] = ()


def project_name(root: Path) -> str:
    """A compose project name from the directory name: lowercase letters, digits, ``-`` and ``_``."""
    name = re.sub(r"[^a-z0-9_-]+", "-", root.name.lower())
    name = re.sub(r"^[^a-z0-9]+", "", name).rstrip("-_")
    return name or "app"


def default_test_command() -> tuple[str, ...]:
    field = next(f for f in dataclasses.fields(DockerfilePlan) if f.name == "test_command")
    return tuple(field.default)  # type: ignore[arg-type]


def has_python(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".py"
    return any(path.rglob("*.py"))


def watch_rules(
    root: Path,
    paths: Sequence[str],
    *,
    rebuild_on: Sequence[str],
    ignored: dockerignore.Matcher | None = None,
) -> tuple[tuple[render.WatchRule, ...], tuple[str, ...]]:
    """The develop.watch rules for the service's paths and the files that need a rebuild, with notes."""
    rules: list[render.WatchRule] = []
    notes: list[str] = []
    for path in paths:
        if ignored is not None and ignored.excluded(path):
            notes.append(f"{path} is excluded by .dockerignore, so watch would never sync it: not watched")
            continue
        target = f"{render.APP_DIR}/{path}"
        if has_python(root / path):
            why = f"{path}: copied in on change; the dev server's reloader restarts the worker"
            rules.append(
                render.WatchRule(
                    action=render.SYNC, path=path, target=target, ignore=render.SYNC_IGNORE, why=why
                )
            )
        else:
            why = f"{path}: read at startup, so the container restarts after the copy"
            rules.append(
                render.WatchRule(
                    action=render.SYNC_RESTART, path=path, target=target, ignore=render.SYNC_IGNORE, why=why
                )
            )
    for index, path in enumerate(rebuild_on):
        why = "dependencies and the build itself: only a new image is right" if index == 0 else ""
        rules.append(render.WatchRule(action=render.REBUILD, path=path, why=why))
    return tuple(rules), tuple(notes)


def _tests_dir(root: Path) -> str | None:
    for name in ("tests", "test"):
        if (root / name).is_dir():
            return name
    return None


def compose_plan(
    settings: Settings, dockerfile: DockerfilePlan
) -> tuple[render.ComposePlan, tuple[str, ...]]:
    root = settings.project
    paths = phase2_plan.runtime_paths(root)
    rebuild_on = [*dockerfile.runtime_locks, *dockerfile.dev_locks, DOCKERFILE]
    if (root / ".dockerignore").is_file():
        rebuild_on.append(".dockerignore")
    if dockerfile.install_project:
        rebuild_on.append("pyproject.toml")
    ignored = dockerignore.Matcher(dockerignore.read_dockerignore(root / ".dockerignore"))
    rules, notes = watch_rules(root, paths, rebuild_on=rebuild_on, ignored=ignored)
    mounts: list[render.BindMount] = []
    tests = _tests_dir(root)
    if tests is not None:
        why = f"{tests}/ as on disk (the runtime build context may leave it out) for dev.test"
        mounts.append(render.BindMount(source=tests, target=f"{render.APP_DIR}/{tests}", why=why))
    environment: tuple[tuple[str, str], ...] = ()
    if dockerfile.install_project:
        # The project is installed into the venv; the synced source must come first on the path.
        source = f"{render.APP_DIR}/src" if (root / "src").is_dir() else render.APP_DIR
        environment = (("PYTHONPATH", source),)
        notes += (f"the project is installed as a package: PYTHONPATH={source} puts the synced source first",)
    plan = render.ComposePlan(
        name=project_name(root),
        port=dockerfile.port,
        healthcheck=healthcheck(dockerfile.port, dockerfile.health_path),
        dev_command=dev_command(dockerfile.command),
        uid=dockerfile.uid,
        watch=rules,
        mounts=tuple(mounts),
        dev_environment=environment,
        env_file=".env",
    )
    return plan, notes


def plan(settings: Settings, dockerfile: DockerfilePlan | None = None) -> Phase3Plan:
    dockerfile = dockerfile or phase2_plan.plan_dockerfile(settings)
    if not (settings.project / DOCKERFILE).is_file():
        raise InputError(
            f"no {DOCKERFILE}: phase 3 builds on the phase-2 Dockerfile",
            path=str(settings.project / DOCKERFILE),
            hint="run `invoke phase2` first",
        )
    cplan, notes = compose_plan(settings, dockerfile)
    return Phase3Plan(root=settings.project, compose=cplan, test_command=dockerfile.test_command, notes=notes)


def compose_files(p: Phase3Plan) -> Files:
    return {
        p.compose.compose_file: GeneratedFile(render.render_production(p.compose), source=SOURCE),
        p.compose.dev_file: GeneratedFile(render.render_dev(p.compose), source=SOURCE),
    }


# --- stacks and the commands the tasks run ------------------------------------------------------------


def docker_executable(settings: Settings) -> str:
    return settings.docker or "docker"


def production_stack(root: Path, docker: str) -> compose.Stack:
    return compose.Stack(docker=docker, project_name=project_name(root), files=(root / render.COMPOSE_FILE,))


def dev_stack(root: Path, docker: str) -> compose.Stack:
    return compose.Stack(
        docker=docker,
        project_name=render.dev_name(project_name(root)),
        files=(root / render.COMPOSE_FILE, root / render.DEV_FILE),
    )


def test_argv(stack: compose.Stack, *, args: Sequence[str] = ()) -> list[str]:
    """The tests, in the running dev container, as the image's user."""
    return compose.exec_argv(stack, render.SERVICE, [*default_test_command(), *args], user=str(UID))


def shell_argv(stack: compose.Stack, *, command: Sequence[str] = ("sh",)) -> list[str]:
    return compose.exec_argv(stack, render.SERVICE, command, user=str(UID))


#: The dev tasks as the guide lists them: name, summary, and the command each runs on the dev stack.
DEV_TASKS: tuple[tuple[str, str, Callable[[compose.Stack], list[str]]], ...] = (
    ("dev.up", "build the dev image, start the stack in the background, wait until healthy", compose.up_argv),
    (
        "dev.watch",
        "build, start, then sync, restart or rebuild as you edit (until Ctrl-C)",
        compose.watch_argv,
    ),
    ("dev.logs", "the service's output (`--follow` keeps following)", compose.logs_argv),
    ("dev.test", "the tests, inside the running dev container", test_argv),
    ("dev.shell", "a shell in the running dev container", shell_argv),
    ("dev.down", "remove the containers, networks and volumes; check that none is left", compose.down_argv),
)


def guide_commands(name: str) -> tuple[tuple[render.GuideCommand, ...], tuple[render.GuideCommand, ...]]:
    """The commands as the guide shows them: ``docker`` and paths relative to the project root."""
    here = Path()
    dev = dataclasses.replace(dev_stack(here, "docker"), project_name=render.dev_name(name))
    prod = dataclasses.replace(production_stack(here, "docker"), project_name=name)
    dev_commands = tuple(
        render.GuideCommand(name=name, summary=summary, argv=shlex.join(build(dev)))
        for name, summary, build in DEV_TASKS
    )
    prod_commands = (
        render.GuideCommand(
            name="up",
            summary="build the runtime image, start it, wait until it is healthy",
            argv=shlex.join(compose.up_argv(prod)),
        ),
        render.GuideCommand(
            name="ps",
            summary="the container and its health",
            argv=shlex.join([*compose.base_argv(prod), "ps"]),
        ),
        render.GuideCommand(
            name="down", summary="stop and remove it", argv=shlex.join(compose.down_argv(prod))
        ),
    )
    return dev_commands, prod_commands


# --- the guide, from the files as compose read them (or from the plan, for --dry) -----------------------


def _relative(root: Path, path: str | None) -> str:
    if not path:
        return ""
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return path
    return PurePosixPath(*rel.parts).as_posix() or "."


def _default(value: str) -> str:
    """What ``${VAR:-default}`` gives when VAR is not set; other values as they are."""
    match = re.fullmatch(r"\$\{\w+:?-([^}]*)\}", value)
    return match[1] if match else value


def _binding(service: compose.Service, port: int) -> tuple[str, str]:
    for binding in service.ports:
        if binding.target == port:
            return _default(binding.host_ip or "0.0.0.0"), _default(binding.published or str(port))
    return "127.0.0.1", str(port)


def guide_from_plan(p: Phase3Plan) -> render.DevGuide:
    cplan = p.compose
    commands, production_commands = guide_commands(cplan.name)
    return render.DevGuide(
        dev_name=cplan.dev_name,
        production_name=cplan.name,
        service=cplan.service,
        compose_file=cplan.compose_file,
        dev_file=cplan.dev_file,
        host="127.0.0.1",
        host_port=str(cplan.port),
        container_port=cplan.port,
        port_variable=cplan.port_variable,
        bind_variable=cplan.bind_variable,
        dev_target=cplan.dev_target,
        runtime_target=cplan.runtime_target,
        dev_command=cplan.dev_command,
        user="root",
        uid=cplan.uid,
        rules=tuple(
            render.GuideRule(path=r.path, action=r.action, target=r.target, ignore=r.ignore)
            for r in cplan.watch
        ),
        mounts=tuple(
            render.GuideMount(source=m.source, target=m.target, read_only=m.read_only) for m in cplan.mounts
        ),
        env_files=(cplan.env_file,) if cplan.env_file else (),
        commands=commands,
        production_commands=production_commands,
        healthcheck=True,
        read_only=cplan.read_only,
        min_compose=".".join(map(str, compose.MIN_VERSION)),
    )


def guide(
    p: Phase3Plan, *, dev: compose.Project | None = None, production: compose.Project | None = None
) -> render.DevGuide:
    """The development guide: from ``docker compose config --no-interpolate`` when given, else the plan."""
    planned = guide_from_plan(p)
    if dev is None or production is None:
        return planned
    service = dev.service(p.compose.service)
    prod_service = production.service(p.compose.service)
    host, host_port = _binding(service, p.compose.port)
    root = p.root
    return dataclasses.replace(
        planned,
        dev_name=dev.name,
        production_name=production.name,
        host=host,
        host_port=host_port,
        dev_target=(service.build.target if service.build else None) or planned.dev_target,
        runtime_target=(prod_service.build.target if prod_service.build else None) or planned.runtime_target,
        dev_command=service.command or planned.dev_command,
        user=service.user or "the image's user",
        rules=tuple(
            render.GuideRule(path=_relative(root, t.path), action=t.action, target=t.target, ignore=t.ignore)
            for t in service.watch
        ),
        mounts=tuple(
            render.GuideMount(source=_relative(root, m.source), target=m.target, read_only=m.read_only)
            for m in service.volumes
            if m.type == "bind"
        ),
        env_files=tuple(_relative(root, f) for f in service.env_files),
        healthcheck=prod_service.healthcheck is not None,
        read_only=prod_service.read_only,
    )


def docs_file(g: render.DevGuide) -> Files:
    return {DOCS_FILE: GeneratedFile(render.render_guide(g), source=SOURCE)}


# --- checking the files with compose ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConfigCheck:
    """Both stacks as compose reads them: interpolated with the defaults (what runs), and as written."""

    production: compose.Project
    dev: compose.Project
    production_as_written: compose.Project
    dev_as_written: compose.Project
    problems: tuple[str, ...]


def read_config(stack: compose.Stack, *, interpolate: bool = True) -> compose.Project:
    """``docker compose config`` of a stack: compose validates the files, we parse what it read."""
    result = process.run(
        compose.config_argv(stack, interpolate=interpolate),
        env=DEFAULTS_ENV,
        echo=False,
        hint="compose rejected the files; fix them, or delete them and run `invoke phase3` again",
    )
    return compose.parse_config(result.stdout)


def check_config(root: Path, cplan: render.ComposePlan, docker: str) -> ConfigCheck:
    prod_stack, devel_stack = production_stack(root, docker), dev_stack(root, docker)
    production, dev = read_config(prod_stack), read_config(devel_stack)
    problems: list[str] = []
    prod_service, dev_service = production.service(cplan.service), dev.service(cplan.service)
    if prod_service.healthcheck is None:
        problems.append(f"{cplan.compose_file}: the service has no health check")
    exposed = [b for b in prod_service.ports if b.host_ip not in ("127.0.0.1", "::1", "localhost")]
    if exposed:
        problems.append(f"{cplan.compose_file}: ports are not bound to loopback by default")
    if not dev_service.watch:
        problems.append(f"{cplan.dev_file}: no develop.watch rules, so edits never reach the container")
    if dev_service.build is None or dev_service.build.target != cplan.dev_target:
        problems.append(f"{cplan.dev_file}: the service does not build the `{cplan.dev_target}` stage")
    return ConfigCheck(
        production=production,
        dev=dev,
        production_as_written=read_config(prod_stack, interpolate=False),
        dev_as_written=read_config(devel_stack, interpolate=False),
        problems=tuple(problems),
    )


# --- the phase, start to end --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Phase3Report:
    plan: Phase3Plan
    outcomes: tuple[Outcome, ...] = ()
    dry_run: str = ""  # what --dry shows
    compose_version: str | None = None
    config: ConfigCheck | None = None
    hot_reload: HotReloadResult | None = None


def write_plan(root: Path, files: Files, *, force: bool, state_dir: str) -> WritePlan:
    return plan_writes(root, files, force=force, state_dir=state_dir)


def run(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    check: bool = True,
    rebuild: bool = False,
    docker: str | None = None,
    timeout: float = 10.0,
    on_status: Callable[[str], None] | None = None,
) -> Phase3Report:
    """Write the compose files, check them with compose, write the guide, and optionally prove hot reload."""
    p = plan(settings)
    files = compose_files(p)
    if dry:
        everything = {**files, **docs_file(guide(p))}
        text = describe(write_plan(p.root, everything, force=force, state_dir=settings.state_dir))
        return Phase3Report(plan=p, dry_run=text)
    docker = docker or docker_executable(settings)
    version = compose.require_v2(docker)
    outcomes = apply(write_plan(p.root, files, force=force, state_dir=settings.state_dir))
    checked = check_config(p.root, p.compose, docker)
    if checked.problems:
        raise InputError(
            "the compose files, as compose reads them, miss what the dev loop needs:\n  - "
            + "\n  - ".join(checked.problems),
            hint="compare them with the .new files beside them, or run `invoke phase3 --force`",
        )
    docs = docs_file(guide(p, dev=checked.dev_as_written, production=checked.production_as_written))
    outcomes += apply(write_plan(p.root, docs, force=force, state_dir=settings.state_dir))
    result = None
    if check:
        result = hot_reload_check(
            settings, docker=docker, timeout=timeout, check_rebuild=rebuild, on_status=on_status
        )
    return Phase3Report(
        plan=p, outcomes=tuple(outcomes), compose_version=version, config=checked, hot_reload=result
    )


# --- down, and what it left behind --------------------------------------------------------------------


def _lines(argv: Sequence[str]) -> list[str]:
    return [line.strip() for line in process.run(argv, echo=False).stdout.splitlines() if line.strip()]


def leftovers(stack: compose.Stack, anonymous_volumes: Sequence[str] = ()) -> tuple[str, ...]:
    """Containers, networks and volumes of the stack that still exist."""
    found = [
        f"{kind} {item}"
        for kind in ("container", "network", "volume")
        for item in _lines(compose.labelled_argv(stack.docker, kind, stack.project_name))
    ]
    if anonymous_volumes:
        existing = set(_lines(compose.volume_names_argv(stack.docker)))
        found += [
            f"volume {name}"
            for name in anonymous_volumes
            if name in existing and f"volume {name}" not in found
        ]
    return tuple(found)


def down(stack: compose.Stack, *, remove_images: bool = False) -> tuple[str, ...]:
    """``compose down`` with volumes and orphans; returns whatever of the stack is still there (nothing)."""
    containers = _lines(compose.labelled_argv(stack.docker, "container", stack.project_name))
    volumes: tuple[str, ...] = ()
    if containers:
        mounts = process.run(compose.container_mounts_argv(stack.docker, containers), check=False, echo=False)
        volumes = compose.parse_mount_volumes(mounts.stdout) if mounts.returncode == 0 else ()
    process.run(compose.down_argv(stack, remove_images=remove_images), timeout=300)
    return leftovers(stack, volumes)


# --- the hot-reload proof -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HotReloadResult:
    ok: bool
    mode: str  # "http": the service answered with the change; "sync": the file reached the container
    edited: str  # the file the check changed, relative to the project
    seconds: float | None  # from the edit to the changed answer
    timeout: float
    image_rebuilt: bool  # by the edit: must stay False
    container_recreated: bool  # by the edit: must stay False
    rebuild_lock: str | None = None  # the lock touched to see a rebuild (None: not checked)
    rebuild_seconds: float | None = None
    rebuild_ok: bool | None = None
    events: tuple[str, ...] = ()
    leftovers: tuple[str, ...] = ()
    message: str = ""

    def rows(self) -> list[tuple[str, str]]:
        answer = (
            "the running service answered with the change"
            if self.mode == "http"
            else "the edit reached the container"
        )
        took = "no answer" if self.seconds is None else f"{self.seconds:.1f}s (limit {self.timeout:.0f}s)"
        rows = [
            ("edited", self.edited),
            (answer, took),
            ("image rebuilt by the edit", "yes" if self.image_rebuilt else "no"),
            ("container recreated by the edit", "yes" if self.container_recreated else "no"),
        ]
        if self.rebuild_lock is not None:
            rebuilt = (
                "no rebuild seen"
                if not self.rebuild_ok
                else f"rebuilt and healthy in {self.rebuild_seconds:.1f}s"
            )
            rows.append((f"after changing {self.rebuild_lock}", rebuilt))
        rows.append(("watch events", ", ".join(self.events) or "none"))
        rows.append(("left behind after down", ", ".join(self.leftovers) or "nothing"))
        rows.append(("result", "ok" if self.ok else f"FAILED: {self.message}"))
        return rows


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def asgi_target(command: Sequence[str]) -> tuple[str, str] | None:
    """(module, attribute) of the ASGI app a uvicorn command serves, e.g. ("pkg.app", "app")."""
    argv = list(command)
    if not argv or PurePosixPath(argv[0]).name != "uvicorn" or "--factory" in argv:
        return None
    takes_value = {
        "--host", "--port", "--uds", "--fd", "--reload-dir", "--reload-include", "--reload-exclude",
        "--workers", "--loop", "--http", "--ws", "--lifespan", "--env-file", "--log-config", "--log-level",
        "--root-path", "--app-dir", "--timeout-keep-alive", "--forwarded-allow-ips",
    }  # fmt: skip
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in takes_value
            continue
        module, _, attribute = arg.partition(":")
        if module and attribute.isidentifier():
            return module, attribute
        return None
    return None


def module_file(root: Path, module: str) -> str | None:
    parts = module.split(".")
    for base in ("", "src"):
        for candidate in (Path(base, *parts).with_suffix(".py"), Path(base, *parts, "__init__.py")):
            if (root / candidate).is_file():
                return PurePosixPath(*candidate.parts).as_posix()
    return None


def probe_snippet(attribute: str, token: str) -> str:
    """Python appended to the app's module: the app, wrapped to answer PROBE_PATH with ``token``."""
    return f"""

# --- dockyard hot-reload check: a scratch copy only; this never reaches your project ---
def _dockyard_probe(inner, token={token!r}):
    async def probe(scope, receive, send):
        if scope.get("type") == "http" and scope.get("path") == {PROBE_PATH!r}:
            await send({{"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain")]}})
            await send({{"type": "http.response.body", "body": token.encode()}})
            return
        await inner(scope, receive, send)
    return probe


{attribute} = _dockyard_probe({attribute})
"""


def _synced(rules: Sequence[compose.WatchTrigger], root: Path, relpath: str) -> compose.WatchTrigger | None:
    target = (root / relpath).resolve()
    for rule in rules:
        if rule.action in (render.SYNC, render.SYNC_RESTART) and (
            Path(rule.path) == target or Path(rule.path) in target.parents
        ):
            return rule
    return None


def _get(url: str, timeout: float = 2.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _container(stack: compose.Stack, service: str) -> compose.Container | None:
    result = process.run(compose.ps_argv(stack), check=False, echo=False, timeout=60)
    if result.returncode != 0:
        return None
    running = [c for c in compose.parse_ps(result.stdout) if c.service == service and c.state == "running"]
    return running[0] if running else None


def _image(stack: compose.Stack, container: str) -> str:
    return process.run(compose.container_image_argv(stack.docker, container), echo=False).stdout.strip()


def _wait_ready(
    stack: compose.Stack,
    service: str,
    output: compose.LiveOutput,
    *,
    timeout: float,
    not_id: str | None = None,
) -> compose.Container:
    """The service's container once it is healthy (or running, without a health check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if output.done:
            raise DockyardError(
                "`docker compose watch` stopped:\n" + process.tail(output.snapshot(), 15),
                hint="run `invoke dev.watch` to see the whole output",
            )
        found = _container(stack, service)
        if (
            found is not None
            and found.id != not_id
            and (found.healthy or (found.health == "" and found.state == "running"))
        ):
            return found
        time.sleep(1.0)
    raise DockyardError(
        f"the dev container was not healthy after {timeout:.0f}s:\n" + process.tail(output.snapshot(), 15),
        hint="run `invoke dev.up` and `invoke dev.logs` to see why",
    )


def _first_error(output: compose.LiveOutput) -> str | None:
    errors = [event.text for event in output.events() if event.kind == "error"]
    return errors[0] if errors else None


@contextmanager
def _scratch(root: Path) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="dockyard-hot-reload-"))
    try:
        copy = base / root.name
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*_COPY_IGNORE))
        yield copy
    finally:
        shutil.rmtree(base, ignore_errors=True)


def hot_reload_check(
    settings: Settings,
    *,
    docker: str | None = None,
    timeout: float = 10.0,
    check_rebuild: bool = False,
    start_timeout: float = 900.0,
    on_status: Callable[[str], None] | None = None,
) -> HotReloadResult:
    """Prove on a scratch copy that an edit reaches the running dev service without a rebuild.

    Starts the dev stack with ``docker compose watch`` (its own project name, a free loopback port),
    appends a probe route to the module of the app the dev server runs, and waits up to ``timeout``
    seconds for the service to answer it, checking that neither the image nor the container changed.
    With ``check_rebuild`` it then appends a comment to a requirements lock and waits for watch to
    rebuild the image and the new container to become healthy. The stack, its images and the copy are
    removed at the end. Without an ASGI app to probe, it checks that the edited file reached the
    container instead.
    """
    status = on_status or (lambda _text: None)
    docker = docker or docker_executable(settings)
    compose.require_v2(docker)
    root = settings.project
    for name in (render.COMPOSE_FILE, render.DEV_FILE):
        if not (root / name).is_file():
            raise InputError(f"no {name}", path=str(root / name), hint="run `invoke phase3` first")
    token = uuid.uuid4().hex[:12]
    with _scratch(root) as copy:
        stack = dataclasses.replace(
            dev_stack(copy, docker), project_name=f"{project_name(root)}-hotreload-{token[:6]}"
        )
        port = free_port()
        env = {"APP_PORT": str(port), "APP_BIND": "127.0.0.1"}
        try:
            return _check(
                stack,
                copy,
                env=env,
                port=port,
                token=token,
                timeout=timeout,
                check_rebuild=check_rebuild,
                start_timeout=start_timeout,
                status=status,
            )
        finally:
            status("removing the check's stack and images")
            process.run(compose.down_argv(stack, remove_images=True), check=False, echo=False, timeout=300)


def _check(
    stack: compose.Stack,
    copy: Path,
    *,
    env: Mapping[str, str],
    port: int,
    token: str,
    timeout: float,
    check_rebuild: bool,
    start_timeout: float,
    status: Callable[[str], None],
) -> HotReloadResult:
    config = compose.parse_config(process.run(compose.config_argv(stack), env=env, echo=False).stdout)
    service = next((s for s in config.services if s.watch), None)
    if service is None:
        raise DockyardError(f"{stack.files[-1].name} has no develop.watch rules: nothing to check")
    target = asgi_target(service.command or ())
    relpath = module_file(copy, target[0]) if target else None
    mode = "http" if relpath is not None and _synced(service.watch, copy, relpath) else "sync"
    if mode == "sync":
        rule = next((r for r in service.watch if r.action == render.SYNC), None)
        if rule is None:
            raise DockyardError("no sync rule in develop.watch: edits never reach the running container")
        relpath = _relative(copy, str(Path(rule.path) / "_dockyard_hot_reload.txt"))
    assert relpath is not None
    status(f"starting the dev stack with watch (project {stack.project_name}, port {port})")
    with compose.background(compose.watch_argv(compose.standalone(stack)), env=env) as output:
        if output.wait_for(lambda e: e.kind == "enabled", timeout=start_timeout) is None:
            raise DockyardError(
                "`docker compose watch` did not start watching:\n" + process.tail(output.snapshot(), 15),
                hint="run `invoke dev.watch` to see the whole output",
            )
        before = _wait_ready(stack, service.name, output, timeout=start_timeout)
        image_before = _image(stack, before.id)
        url = f"http://127.0.0.1:{port}{PROBE_PATH}"
        status(f"editing {relpath} and waiting for the change")
        edited = copy / relpath
        if mode == "http":
            assert target is not None
            with edited.open("a", encoding="utf-8") as handle:
                handle.write(probe_snippet(target[1], token))
        else:
            edited.write_text(token + "\n", encoding="utf-8")
        seconds = _wait_change(stack, service.name, mode, url, relpath, token, timeout=timeout, output=output)
        after = _container(stack, service.name)
        recreated = after is None or after.id != before.id
        rebuilt = after is None or _image(stack, after.id) != image_before
        events = [e.kind for e in output.events()]
        ok = seconds is not None and not recreated and not rebuilt
        message = "" if ok else _why_failed(seconds, recreated, rebuilt, output)
        lock, rebuild_seconds, rebuild_ok = None, None, None
        if ok and check_rebuild:
            lock, rebuild_seconds, rebuild_ok = _check_rebuild(
                stack, copy, service, output, before_image=image_before, timeout=start_timeout, status=status
            )
            events = [e.kind for e in output.events()]
            if not rebuild_ok:
                ok, message = False, f"changing {lock} did not rebuild the image"
    left = down(stack, remove_images=True)
    if left:
        ok, message = False, message or "`down` left " + ", ".join(left)
    return HotReloadResult(
        ok=ok,
        mode=mode,
        edited=relpath,
        seconds=seconds,
        timeout=timeout,
        image_rebuilt=rebuilt,
        container_recreated=recreated,
        rebuild_lock=lock,
        rebuild_seconds=rebuild_seconds,
        rebuild_ok=rebuild_ok,
        events=tuple(_summarise(events)),
        leftovers=left,
        message=message,
    )


def _wait_change(
    stack: compose.Stack,
    service: str,
    mode: str,
    url: str,
    relpath: str,
    token: str,
    *,
    timeout: float,
    output: compose.LiveOutput,
) -> float | None:
    started = time.monotonic()
    probe = compose.exec_argv(stack, service, ["cat", f"{render.APP_DIR}/{relpath}"])
    while time.monotonic() - started < timeout:
        if mode == "http":
            answered = _get(url, timeout=1.0) == token
        else:
            answered = token in process.run(probe, check=False, echo=False, timeout=30).stdout
        if answered:
            return time.monotonic() - started
        if _first_error(output) is not None:
            return None
        time.sleep(0.2)
    return None


def _why_failed(seconds: float | None, recreated: bool, rebuilt: bool, output: compose.LiveOutput) -> str:
    error = _first_error(output)
    if error is not None:
        return f"watch could not sync: {error}"
    if seconds is None:
        return "the running service did not show the change in time"
    if rebuilt:
        return "the edit rebuilt the image; it should only have been synced"
    return "the edit recreated the container; it should only have been synced"


def _check_rebuild(
    stack: compose.Stack,
    copy: Path,
    service: compose.Service,
    output: compose.LiveOutput,
    *,
    before_image: str,
    timeout: float,
    status: Callable[[str], None],
) -> tuple[str, float | None, bool]:
    rebuild = [r for r in service.watch if r.action == render.REBUILD]
    locks = [r for r in rebuild if r.path.endswith(".txt")] or rebuild
    if not locks:
        raise DockyardError("no rebuild rule in develop.watch: a changed lock would never reach the image")
    lock = _relative(copy, locks[-1].path)
    status(f"changing {lock} and waiting for the rebuild")
    started = time.monotonic()
    before = _container(stack, service.name)
    with (copy / lock).open("a", encoding="utf-8") as handle:
        handle.write("# dockyard hot-reload check: a change to the lock\n")
    try:
        fresh = _wait_ready(
            stack, service.name, output, timeout=timeout, not_id=before.id if before else None
        )
    except DockyardError:
        return lock, None, False
    rebuilt = _image(stack, fresh.id) != before_image
    saw = any(e.kind == "rebuild" for e in output.events())
    return lock, time.monotonic() - started, rebuilt and saw


def _summarise(kinds: Sequence[str]) -> list[str]:
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return [f"{kind} x{count}" if count > 1 else kind for kind, count in counts.items()]
