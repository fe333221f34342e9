"""Terminal output: the live status line, tables, and the text form of a report.

Tables are pure functions returning strings (tabulate). The status line and colour appear only on a
terminal, colour never with NO_COLOR; ``-q`` and ``-v`` set the verbosity every task shares.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from tabulate import tabulate

from dockyard import config
from dockyard.phases.report import Status, StepReport

QUIET, NORMAL, VERBOSE = -1, 0, 1
_state = {"verbosity": NORMAL}


def set_verbosity(level: int) -> None:
    _state["verbosity"] = level


def verbosity() -> int:
    return _state["verbosity"]


def color(stream: TextIO, code: str, text: str) -> str:
    """``text`` in an ANSI colour when ``stream`` is a terminal and colour is wanted, else as it is."""
    if not config.color_wanted(stream.isatty()):
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def table(rows: Iterable[Sequence[object]], headers: Sequence[str], *, fmt: str = "simple") -> str:
    return str(
        tabulate(list(rows), headers=list(headers), tablefmt=fmt, floatfmt=".2f", disable_numparse=True)
    )


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def seconds(value: float) -> str:
    return f"{value:.1f}s" if value >= 10 else f"{value:.2f}s"


@dataclass
class StatusLine:
    """One line that rewrites itself on a TTY; on a pipe, prints a line only when the text changes."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    started: float = field(default_factory=time.monotonic)
    enabled: bool = True
    _last: str = ""
    _shown: bool = False

    @property
    def live(self) -> bool:
        return self.stream.isatty()

    def update(self, text: str) -> None:
        """Show ``text``; on a pipe only its head (before " | ", the detail) is printed, when it changes."""
        key = text if self.live else text.split(" | ")[0]
        if key == self._last or not self.enabled:
            return
        self._last = key
        if not self.live:
            text = key
        elapsed = time.monotonic() - self.started
        line = f"[{elapsed:6.1f}s] {text}"
        if self.live:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\x1b[2K" + line[:width])
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live and self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def echo(text: str = "") -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


_MARK = {"done": "ok", "current": "current", "planned": "plan", "skipped": "skip", "failed": "FAIL"}
_MARK_COLOR = {"done": "32", "current": "2", "planned": "36", "skipped": "33", "failed": "31"}


def render_report(
    report: StepReport, *, verbose: bool = False, depth: int = 0, stream: TextIO | None = None
) -> str:
    """A phase or step report as text: one line per step, then its files, findings, tables and text.

    A phase (a report with steps) shows its steps first and its own tables (the summary) last.
    """
    out = stream or sys.stdout
    pad = "  " * depth
    status = str(report.status)
    mark = color(out, _MARK_COLOR[status], _MARK[status])
    head = f"{pad}== {report.name}" if depth == 0 else f"{pad}[{mark}] {report.name}"
    lines = [head + (f": {report.summary}" if report.summary else "")]
    inner = pad + "  "
    lines += [f"{inner}{f.message}" for f in report.files]
    if verbose:
        lines += [f.diff for f in report.files if f.diff]
    lines += [f"{inner}{f.render()}" for f in report.findings]
    own: list[str] = []
    for t in report.tables:
        own.append(f"{inner}{t.title}" if t.title else "")
        own += [inner + row for row in table(t.rows, t.headers).splitlines()]
    if report.text:
        own += [inner + row if row else row for row in report.text.rstrip("\n").splitlines()]
    children = [render_report(step, verbose=verbose, depth=depth + 1, stream=out) for step in report.steps]
    lines += [*children, *own] if report.steps else [*own, *children]
    return "\n".join(lines)


def render_quiet(report: StepReport) -> str:
    """``-q``: the report's own line and any failed step, nothing else."""
    failed = [s for s in report.walk() if s.status is Status.FAILED and s is not report]
    lines = [f"{report.name}: {report.status}" + (f": {report.summary}" if report.summary else "")]
    return "\n".join(lines + [f"  failed: {s.name}: {s.summary}" for s in failed])
