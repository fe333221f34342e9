"""``invoke dev.*``: the everyday development loop on the dev stack (docker/compose.dev.yaml).

Each task runs one compose command on the dev stack that ``invoke phase3`` wrote, under the project
name ``<project>-dev``; ``docs/development.md`` in the project lists them with their commands.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from typing import Any

from invoke.collection import Collection
from invoke.exceptions import Exit

from dockyard import process, ui
from dockyard.engine import compose
from dockyard.errors import CommandFailed, InputError
from dockyard.phases import phase3
from dockyard.render import compose as render
from dockyard.tasks._common import settings, task


def _stack(project: str | None, docker: str | None) -> compose.Stack:
    s = settings(project, docker=docker)
    exe = phase3.docker_executable(s)
    compose.require_v2(exe)
    for name in (render.COMPOSE_FILE, render.DEV_FILE):
        if not (s.project / name).is_file():
            raise InputError(f"no {name}", path=str(s.project / name), hint="run `invoke phase3` first")
    return phase3.dev_stack(s.project, exe)


def _stream(argv: Sequence[str]) -> int:
    """Run a command, printing its output as it comes; its exit code."""
    with process.stream(argv) as handle:
        for line in handle.lines:
            ui.echo(line)
    return handle.returncode or 0


def _checked(argv: Sequence[str], what: str) -> None:
    code = _stream(argv)
    if code != 0:
        raise CommandFailed(
            argv, code, "", hint=f"{what} failed; `invoke dev.logs` shows the service's output"
        )


def _url(stack: compose.Stack) -> str | None:
    result = process.run(
        compose.port_argv(stack, render.SERVICE, _container_port(stack)), check=False, echo=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None
    host, port = compose.parse_port(result.stdout)
    return f"http://{host}:{port}"


def _container_port(stack: compose.Stack) -> int:
    project = compose.parse_config(process.run(compose.config_argv(stack), echo=False).stdout)
    ports = project.service(render.SERVICE).ports
    return ports[0].target if ports else 8000


@task()
def up(c: Any, project: str | None = None, docker: str | None = None) -> None:
    """Build the dev image and start the dev stack in the background; wait until it is healthy."""
    stack = _stack(project, docker)
    _checked(compose.up_argv(stack), "starting the dev stack")
    url = _url(stack)
    ui.echo(f"\nthe dev stack is up{f' at {url}' if url else ''}; `invoke dev.watch` follows your edits")


@task()
def watch(c: Any, project: str | None = None, docker: str | None = None) -> None:
    """Build and start the dev stack, then sync, restart or rebuild it as files change (Ctrl-C stops)."""
    stack = _stack(project, docker)
    try:
        _checked(compose.watch_argv(stack), "watching")
    except KeyboardInterrupt:
        ui.echo("\nstopped watching; the dev stack keeps running (`invoke dev.down` removes it)")


@task(help={"follow": "keep following the output", "tail": "lines from the end of each log (default: all)"})
def logs(
    c: Any,
    project: str | None = None,
    docker: str | None = None,
    follow: bool = False,
    tail: int | None = None,
) -> None:
    """Show what the dev stack's service printed."""
    stack = _stack(project, docker)
    try:
        _checked(compose.logs_argv(stack, follow=follow, tail=tail), "reading the logs")
    except KeyboardInterrupt:
        ui.echo()


@task(help={"args": 'extra arguments for pytest, e.g. "-k predict -x"'})
def test(c: Any, project: str | None = None, docker: str | None = None, args: str = "") -> None:
    """Run the tests inside the running dev container, as the image's user."""
    stack = _stack(project, docker)
    code = _stream(phase3.test_argv(stack, args=shlex.split(args)))
    if code != 0:
        raise Exit(message=f"the tests failed (exit {code})", code=code)


@task(help={"command": 'run this instead of an interactive sh, e.g. "python -V"'})
def shell(c: Any, project: str | None = None, docker: str | None = None, command: str = "") -> None:
    """Open a shell (or run one command) in the running dev container, as the image's user."""
    stack = _stack(project, docker)
    argv = phase3.shell_argv(stack, command=shlex.split(command) or ("sh",))
    if not command and sys.stdin.isatty():
        code = process.interactive([a for a in argv if a != "--no-TTY"])
    else:
        code = _stream(argv)
    if code != 0:
        raise Exit(code=code)


@task()
def down(c: Any, project: str | None = None, docker: str | None = None) -> None:
    """Remove the dev stack's containers, networks and volumes, and check that nothing is left."""
    stack = _stack(project, docker)
    left = phase3.down(stack)
    if left:
        raise Exit(message="`compose down` left: " + ", ".join(left), code=5)
    ui.echo(f"the dev stack {stack.project_name} is gone: no container, network or volume is left")


dev = Collection("dev")
for _task in (up, watch, logs, test, shell, down):
    dev.add_task(_task)
