"""The hot-reload proof: on a scratch copy, an edit reaches the running dev service without a rebuild.

How it works is in docs/architecture.md; :func:`hot_reload_check` is the entry point.
"""

from __future__ import annotations

import dataclasses
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

from dockyard import process
from dockyard.config import Settings
from dockyard.engine import compose, compose_models
from dockyard.errors import DockyardError, InputError
from dockyard.phases.dev_guide import relative
from dockyard.phases.dev_stack import dev_stack, docker_executable, down
from dockyard.phases.phase3_plan import project_name
from dockyard.render import compose as render

PROBE_PATH = "/__dockyard__/hot-reload"
_COPY_IGNORE = (".git", ".venv", "venv", "__pycache__", "node_modules", ".mypy_cache", ".pytest_cache")


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


def _synced(
    rules: Sequence[compose_models.WatchTrigger], root: Path, relpath: str
) -> compose_models.WatchTrigger | None:
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


def _container(stack: compose.Stack, service: str) -> compose_models.Container | None:
    result = process.run(compose.ps_argv(stack), check=False, echo=False, timeout=60)
    if result.returncode != 0:
        return None
    running = [
        c for c in compose_models.parse_ps(result.stdout) if c.service == service and c.state == "running"
    ]
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
) -> compose_models.Container:
    """The service's container once it is healthy (or running, without a health check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if output.done:
            raise DockyardError(
                "`docker compose watch` stopped:\n" + process.tail(output.snapshot(), 15),
                hint="run `dockyard dev.watch` to see the whole output",
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
        hint="run `dockyard dev.up` and `dockyard dev.logs` to see why",
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
            raise InputError(f"no {name}", path=str(root / name), hint="run `dockyard phase3` first")
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
    config = compose_models.parse_config(process.run(compose.config_argv(stack), env=env, echo=False).stdout)
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
        relpath = relative(copy, str(Path(rule.path) / "_dockyard_hot_reload.txt"))
        in_container = str(PurePosixPath(rule.target or render.APP_DIR, "_dockyard_hot_reload.txt"))
    else:
        in_container = ""
    assert relpath is not None
    status(f"starting the dev stack with watch (project {stack.project_name}, port {port})")
    with compose.background(compose.watch_argv(compose.standalone(stack)), env=env) as output:
        if output.wait_for(lambda e: e.kind == "enabled", timeout=start_timeout) is None:
            raise DockyardError(
                "`docker compose watch` did not start watching:\n" + process.tail(output.snapshot(), 15),
                hint="run `dockyard dev.watch` to see the whole output",
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
        seconds = _wait_change(
            stack, service.name, mode, url, in_container, token, timeout=timeout, output=output
        )
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
    in_container: str,
    token: str,
    *,
    timeout: float,
    output: compose.LiveOutput,
) -> float | None:
    """Seconds until the edit shows: over HTTP, or (mode ``sync``) in the file ``in_container``."""
    started = time.monotonic()
    probe = compose.exec_argv(stack, service, ["cat", in_container])
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
    service: compose_models.Service,
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
    lock = relative(copy, locks[-1].path)
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
