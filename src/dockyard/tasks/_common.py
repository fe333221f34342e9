"""What every task shares: typed flags named in their errors, ``-q``/``-v``, ``--dry-run`` (alias
``--dry``), a status line for progress, rendering a report (``--json``), and expected failures as a
message and an exit code instead of a traceback."""

from __future__ import annotations

import functools
import inspect
import json as jsonlib
import sys
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from invoke.exceptions import Exit
from invoke.tasks import Task
from invoke.tasks import task as invoke_task

from dockyard import config, process, ui
from dockyard.atomic import atomic_write_text
from dockyard.config import Settings
from dockyard.errors import ConfigError, DockyardError
from dockyard.phases.report import Level, Progress, Status, StepReport

F = TypeVar("F", bound=Callable[..., Any])

#: Per-flag help shared by every task that takes the flag.
COMMON_HELP = {
    "project": "target project directory (default: current directory, or DOCKYARD_PROJECT)",
    "docker": "docker executable to use (default: docker, or DOCKYARD_DOCKER)",
    "dry_run": "show what would change (-v adds the diffs), change nothing",
    "force": "overwrite generated files even if they were edited by hand",
    "json": "also write the report as JSON to this file, or to stdout with -",
    "verbose": "say more: diffs in dry runs, every command run",
    "quiet": "say less: no status line, only the outcome and failures",
}
#: Extra names of a flag: the alias of --dry-run and the usual short output flags.
EXTRA_NAMES = {"dry_run": ("dry",), "verbose": ("v",), "quiet": ("q",)}
#: Flags every task takes, added to each task's signature.
OUTPUT_FLAGS = ("verbose", "quiet")


class DockyardTask(Task[Any]):
    """invoke's Task, with aliases and numbers parsed by dockyard (so errors name the flag)."""

    def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
        opts: dict[str, Any] = super().arg_opts(name, default, taken_names)
        if opts.get("kind") in (int, float):
            opts["kind"] = str  # convert() parses it, so that an error names the flag
        opts["names"] = [*opts["names"], *EXTRA_NAMES.get(name, ())]
        return opts


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _number_type(hint: Any) -> type | None:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return next((t for t in (int, float) if t in options), None)


def convert(name: str, value: Any, hint: Any) -> Any:
    """A flag's value as its annotated type; an error that names the flag when it is not one."""
    kind = _number_type(hint)
    if kind is None or not isinstance(value, str):
        return value
    try:
        return kind(value)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(
            f"{flag_name(name)}: {value!r} is not {what}", hint=f"e.g. {flag_name(name)} 3"
        ) from None


def task(*args: Any, **kwargs: Any) -> Callable[[F], Any]:
    """``invoke.task`` with dockyard's conventions (see the module docstring)."""
    help_ = {**COMMON_HELP, **kwargs.pop("help", {})}

    def decorate(func: F) -> Any:
        hints = typing.get_type_hints(func)
        signature = inspect.signature(func)
        params = signature.parameters

        @functools.wraps(func)
        def body(c: Any, *a: Any, **kw: Any) -> Any:
            verbose, quiet = kw.pop("verbose", False), kw.pop("quiet", False)
            ui.set_verbosity(ui.QUIET if quiet else ui.VERBOSE if verbose else ui.NORMAL)
            process.set_echo(_echo_command)
            try:
                kw = {k: convert(k, v, hints.get(k)) for k, v in kw.items()}
                return func(c, *a, **kw)
            except DockyardError as exc:
                raise Exit(message=exc.render(), code=exc.exit_code) from None
            except KeyboardInterrupt:
                raise Exit(
                    message="interrupted; every file dockyard was writing is old or new", code=130
                ) from None

        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool)
            for name in OUTPUT_FLAGS
            if name not in params
        ]
        positional = [p for p in params.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        # invoke reads the signature: present the output flags as ordinary keyword parameters.
        as_keywords = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in extra]
        body.__signature__ = signature.replace(parameters=[*positional, *as_keywords, *keyword])  # type: ignore[attr-defined]
        names = set(params) | set(OUTPUT_FLAGS)
        kwargs.setdefault("auto_shortflags", False)
        kwargs.setdefault("positional", [])
        kwargs.setdefault("klass", DockyardTask)
        return invoke_task(*args, help={k: v for k, v in help_.items() if k in names}, **kwargs)(body)

    return decorate


def _echo_command(text: str) -> None:
    if ui.verbosity() < ui.NORMAL:
        return
    print(ui.color(sys.stderr, "2", text), file=sys.stderr, flush=True)


def settings(project: str | None = None, **flags: Any) -> Settings:
    return config.load(project, flags)


@contextmanager
def progress() -> Iterator[Progress]:
    """A status line on stderr to pass as a phase's ``progress`` (silent with -q)."""
    line = ui.StatusLine(enabled=ui.verbosity() >= ui.NORMAL)
    try:
        yield line.update
    finally:
        line.close()


def emit(
    report: StepReport, *, json: str | None = None, verbose: bool | None = None, shown: bool = False
) -> None:
    """Render a report: text on stdout, or JSON to a file or ``-`` (stdout); exit non-zero when it failed.
    ``shown``: its steps were printed as they finished, so the text is only the closing line.

    The exit code is the report's ``data["exit_code"]`` when it has one, else 1.
    """
    verbose = ui.verbosity() >= ui.VERBOSE if verbose is None else verbose
    if json:
        text = jsonlib.dumps(report.as_json(), indent=2) + "\n"
        if json == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            atomic_write_text(Path(json), text)
    if json != "-":
        quiet = ui.verbosity() <= ui.QUIET
        brief = quiet or shown
        ui.echo(ui.render_quiet(report) if brief else ui.render_report(report, verbose=verbose))
    if report.failed:
        failed = [step for step in report.walk() if step.status is Status.FAILED]
        code = int(report.data.get("exit_code", 1))
        lines: list[str] = []
        for step in failed:
            lines.append(f"failed: {step.name}: {step.summary}")
            lines += [f"  - {f.message}" for f in step.findings if f.level is Level.ERROR]
        message = "\n".join(lines)
        raise Exit(message=message, code=code)
