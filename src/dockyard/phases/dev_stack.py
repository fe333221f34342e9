"""The compose stacks phase 3 writes, the commands the dev tasks run on them, and ``down``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from dockyard import process
from dockyard.config import DEFAULT_TEST_COMMAND, Settings
from dockyard.engine import compose, compose_models
from dockyard.errors import InputError
from dockyard.phases.phase3_plan import project_name
from dockyard.render import compose as render
from dockyard.render.dockerfile import UID


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


def test_argv(
    stack: compose.Stack, *, test_command: Sequence[str] = DEFAULT_TEST_COMMAND, args: Sequence[str] = ()
) -> list[str]:
    """The tests (the ``test_command`` setting), in the running dev container, as the image's user."""
    return compose.exec_argv(stack, render.SERVICE, [*test_command, *args], user=str(UID))


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
        volumes = compose_models.parse_mount_volumes(mounts.stdout) if mounts.returncode == 0 else ()
    process.run(compose.down_argv(stack, remove_images=remove_images), timeout=300)
    return leftovers(stack, volumes)


def require_dev_stack(settings: Settings) -> compose.Stack:
    """The dev stack phase 3 wrote, once compose v2 is there and both files exist."""
    exe = docker_executable(settings)
    compose.require_v2(exe)
    for name in (render.COMPOSE_FILE, render.DEV_FILE):
        if not (settings.project / name).is_file():
            raise InputError(
                f"no {name}", path=str(settings.project / name), hint="run `dockyard phase3` first"
            )
    return dev_stack(settings.project, exe)


def service_url(stack: compose.Stack) -> str | None:
    """Where the running dev service answers on the host, if it publishes a port."""
    config = compose_models.parse_config(process.run(compose.config_argv(stack), echo=False).stdout)
    ports = config.service(render.SERVICE).ports
    result = process.run(
        compose.port_argv(stack, render.SERVICE, ports[0].target if ports else 8000), check=False, echo=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None
    host, port = compose_models.parse_port(result.stdout)
    return f"http://{host}:{port}"
