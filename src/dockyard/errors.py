"""The family of expected failures.

Every error a user can cause or meet (no daemon, a bad requirements line, a failed build) is a
:class:`DockyardError`: it carries an exit code and a message that says what failed, why, and what
to do next. The CLI prints these without a traceback; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


class DockyardError(Exception):
    """Base of all expected failures. ``hint`` says what to run or change next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(DockyardError):
    """A setting is unknown, mistyped or contradictory."""

    exit_code = 2


class ToolMissing(DockyardError):
    """An executable dockyard needs is not installed or not on PATH."""

    exit_code = 3


class EngineUnavailable(DockyardError):
    """The Docker daemon does not answer, or cannot build with BuildKit."""

    exit_code = 4


class CommandFailed(DockyardError):
    """A subprocess exited non-zero. Carries argv, exit code and the tail of its output."""

    exit_code = 5

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int,
        output_tail: str,
        *,
        hint: str | None = None,
        message: str | None = None,
    ) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output_tail = output_tail
        shown = " ".join(self.argv)
        super().__init__(message or f"`{shown}` exited with {returncode}", hint=hint)

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.output_tail.strip():
            tail = "\n".join(f"  | {line}" for line in self.output_tail.rstrip().splitlines())
            text += f"\n{tail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class BuildFailed(CommandFailed):
    """A docker build failed; names the failing step and keeps the full log."""

    exit_code = 6


class InputError(DockyardError):
    """A file of the user's (requirements, Dockerfile, pyproject) cannot be read as it is."""

    exit_code = 7

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        where = path or ""
        if path and line is not None:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.path = path
        self.line = line


class WriteRefused(DockyardError):
    """A generated file was edited by a person; dockyard will not overwrite it."""

    exit_code = 8


class RegressionFound(DockyardError):
    """A benchmark comparison found a regression beyond the threshold."""

    exit_code = 9


class CheckFailed(DockyardError):
    """A live check (the hot-reload proof, a smoke test) did not see what it expected."""

    exit_code = 10
