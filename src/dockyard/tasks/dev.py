"""``dockyard dev.*``: the everyday development loop on the dev stack (docker/compose.dev.yaml).

Each task runs one compose command on the stack ``dockyard phase3`` wrote; docs/development.md lists them.
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
from dockyard.errors import CommandFailed
from dockyard.phases import dev_stack
from dockyard.tasks._common import settings, task


def _stack(project: str | None, docker: str | None) -> compose.Stack:
    return dev_stack.require_dev_stack(settings(project, docker=docker))


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
            argv, code, "", hint=f"{what} failed; `dockyard dev.logs` shows the service's output"
        )


@task()
def up(c: Any, project: str | None = None, docker: str | None = None) -> None:
    """Build the dev image and start the dev stack in the background; wait until it is healthy."""
    stack = _stack(project, docker)
    _checked(compose.up_argv(stack), "starting the dev stack")
    url = dev_stack.service_url(stack)
    ui.echo(f"\nthe dev stack is up{f' at {url}' if url else ''}; `dockyard dev.watch` follows your edits")


@task()
def watch(c: Any, project: str | None = None, docker: str | None = None) -> None:
    """Build and start the dev stack, then sync, restart or rebuild it as files change (Ctrl-C stops)."""
    stack = _stack(project, docker)
    try:
        _checked(compose.watch_argv(stack), "watching")
    except KeyboardInterrupt:
        ui.echo("\nstopped watching; the dev stack keeps running (`dockyard dev.down` removes it)")


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


@task(help={"args": 'extra arguments for the test command, e.g. "-k predict -x"'})
def test(c: Any, project: str | None = None, docker: str | None = None, args: str = "") -> None:
    """Run the tests (the test_command setting) inside the running dev container, as the image's user."""
    s = settings(project, docker=docker)
    stack = dev_stack.require_dev_stack(s)
    code = _stream(dev_stack.test_argv(stack, test_command=s.test_command, args=shlex.split(args)))
    if code != 0:
        raise Exit(message=f"the tests failed (exit {code})", code=code)


@task(help={"command": 'run this instead of an interactive sh, e.g. "python -V"'})
def shell(c: Any, project: str | None = None, docker: str | None = None, command: str = "") -> None:
    """Open a shell (or run one command) in the running dev container, as the image's user."""
    stack = _stack(project, docker)
    argv = dev_stack.shell_argv(stack, command=shlex.split(command) or ("sh",))
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
    left = dev_stack.down(stack)
    if left:
        raise Exit(message="`compose down` left: " + ", ".join(left), code=5)
    ui.echo(f"the dev stack {stack.project_name} is gone: no container, network or volume is left")


dev = Collection("dev")
for _task in (up, watch, logs, test, shell, down):
    dev.add_task(_task)
