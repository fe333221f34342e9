"""Terminal output: a live one-line status for long work, and tables.

Everything a task prints goes through here so that output stays consistent and testable: tables
are built by pure functions returning strings (tabulate), and the live line degrades to plain
lines when stderr is not a terminal (CI logs).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from tabulate import tabulate

from dockyard.phases.report import StepReport


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
    _last: str = ""
    _shown: bool = False

    @property
    def live(self) -> bool:
        return self.stream.isatty()

    def update(self, text: str) -> None:
        if text == self._last:
            return
        self._last = text
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


def render_report(report: StepReport, *, verbose: bool = False, depth: int = 0) -> str:
    """A phase or step report as text: one line per step, then its files, findings and tables."""
    pad = "  " * depth
    mark = {"done": "ok", "current": "current", "planned": "plan", "skipped": "skip", "failed": "FAIL"}
    head = f"{pad}== {report.name}" if depth == 0 else f"{pad}[{mark[str(report.status)]}] {report.name}"
    lines = [head + (f": {report.summary}" if report.summary else "")]
    inner = pad + "  "
    lines += [f"{inner}{f.message}" for f in report.files]
    if verbose:
        lines += [f.diff for f in report.files if f.diff]
    lines += [f"{inner}{f.render()}" for f in report.findings]
    for t in report.tables:
        lines.append(f"{inner}{t.title}" if t.title else "")
        lines += [inner + row for row in table(t.rows, t.headers).splitlines()]
    lines += [render_report(step, verbose=verbose, depth=depth + 1) for step in report.steps]
    return "\n".join(lines)
