"""What every task shares: loading settings from its flags, and turning expected failures into
a message and an exit code instead of a traceback."""

from __future__ import annotations

import functools
import json as jsonlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from invoke.exceptions import Exit
from invoke.tasks import task as invoke_task

from dockyard import config, process, ui
from dockyard.config import Settings
from dockyard.errors import DockyardError
from dockyard.phases.report import Status, StepReport
from dockyard.render.writer import atomic_write_text

F = TypeVar("F", bound=Callable[..., Any])

#: Per-flag help shared by every task that takes the flag.
COMMON_HELP = {
    "project": "target project directory (default: current directory, or DOCKYARD_PROJECT)",
    "docker": "docker executable to use (default: docker, or DOCKYARD_DOCKER)",
    "dry": "show the plan and diffs, change nothing",
    "force": "overwrite generated files even if they were edited by hand",
}


def task(*args: Any, **kwargs: Any) -> Callable[[F], Any]:
    """``invoke.task`` that prints a :class:`DockyardError` as a message and exits with its code."""
    help_ = {**COMMON_HELP, **kwargs.pop("help", {})}

    def decorate(func: F) -> Any:
        @functools.wraps(func)
        def body(*a: Any, **kw: Any) -> Any:
            process.set_echo(_echo_command)
            try:
                return func(*a, **kw)
            except DockyardError as exc:
                raise Exit(message=exc.render(), code=exc.exit_code) from None
            except KeyboardInterrupt:
                raise Exit(
                    message="interrupted; every file dockyard was writing is old or new", code=130
                ) from None

        import inspect

        params = inspect.signature(func).parameters
        kwargs.setdefault("auto_shortflags", False)
        return invoke_task(*args, help={k: v for k, v in help_.items() if k in params}, **kwargs)(body)

    return decorate


def _echo_command(text: str) -> None:
    print(f"\x1b[2m{text}\x1b[0m" if sys.stderr.isatty() else text, file=sys.stderr, flush=True)


def settings(project: str | None = None, **flags: Any) -> Settings:
    return config.load(project, flags)


def emit(report: StepReport, *, json: str | None = None, verbose: bool = False) -> None:
    """Render a report: text on stdout, or JSON to a file or ``-`` (stdout); exit 1 when it failed."""
    if json:
        text = jsonlib.dumps(report.as_json(), indent=2) + "\n"
        if json == "-":
            sys.stdout.write(text)
        else:
            atomic_write_text(Path(json), text)
    else:
        ui.echo(ui.render_report(report, verbose=verbose))
    if report.failed:
        failed = [step for step in report.walk() if step.status is Status.FAILED]
        raise Exit(message="\n".join(f"failed: {s.name}: {s.summary}" for s in failed), code=1)
