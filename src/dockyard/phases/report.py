"""One report model for every phase, step and engine task (doctor, build, bench, verify).

A phase function returns a :class:`StepReport` and never prints; a task renders it as text
(:func:`dockyard.ui.render_report`) or as JSON (:meth:`StepReport.as_json`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA_VERSION = 1


class Status(enum.StrEnum):
    DONE = "done"  # the step acted (wrote, built, measured)
    CURRENT = "current"  # nothing to do: its outputs were up to date
    PLANNED = "planned"  # a dry run: what it would do
    SKIPPED = "skipped"  # not run, and ``summary`` says why
    FAILED = "failed"  # it ran and did not succeed; ``summary`` says why


class Level(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class FileResult:
    """A file a step wrote, would write, or left as ``NAME.new`` beside a hand-edited one."""

    path: str  # relative to the project
    action: str  # the writer's action: create, update, unchanged, beside, ...
    message: str
    diff: str = ""  # unified diff, for dry runs (shown with -v)


#: Writer actions that leave the file as it is.
QUIET_ACTIONS = frozenset({"unchanged"})


@dataclass(frozen=True, kw_only=True)
class Finding:
    level: Level
    message: str
    where: str = ""  # "path:line" when it points at a file

    def render(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{self.level}: {prefix}{self.message}"


@dataclass(frozen=True, kw_only=True)
class Measurement:
    name: str
    value: float
    unit: str  # "s", "B", "x", "%", "count"
    baseline: float | None = None  # the same measurement before the change, when there is one


@dataclass(frozen=True, kw_only=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
        return cls(
            title=title, headers=tuple(headers), rows=tuple(tuple(str(c) for c in row) for row in rows)
        )


@dataclass(frozen=True, kw_only=True)
class StepReport:
    """What one step (or a whole phase, whose ``steps`` are its steps) did."""

    name: str
    status: Status
    summary: str = ""
    files: tuple[FileResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    tables: tuple[Table, ...] = ()
    text: str = ""  # a preformatted block (a benchmark table), shown after the tables
    steps: tuple[StepReport, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON-able details for --json

    @property
    def changed(self) -> bool:
        """Whether it (or a step) wrote a file; a later step uses it to tell "current" from "done"."""
        return any(f.action not in QUIET_ACTIONS for s in self.walk() for f in s.files)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED or any(step.failed for step in self.steps)

    def walk(self) -> Iterator[StepReport]:
        yield self
        for step in self.steps:
            yield from step.walk()

    def step(self, name: str) -> StepReport:
        for found in self.walk():
            if found.name == name:
                return found
        raise KeyError(name)

    def with_steps(self, *steps: StepReport) -> StepReport:
        return replace(self, steps=(*self.steps, *steps))

    def as_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, **_json(self)}


def _json(report: StepReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "status": str(report.status),
        "summary": report.summary,
        "files": [vars(f) for f in report.files],
        "findings": [
            {"level": str(f.level), "message": f.message, "where": f.where} for f in report.findings
        ],
        "measurements": [vars(m) for m in report.measurements],
        "tables": [
            {"title": t.title, "headers": list(t.headers), "rows": [list(r) for r in t.rows]}
            for t in report.tables
        ],
        "text": report.text,
        "data": dict(report.data),
        "steps": [_json(step) for step in report.steps],
    }


def phase_report(name: str, steps: list[StepReport], *, dry: bool) -> StepReport:
    """A phase: its steps, and a one-line summary of what they did."""
    counts: dict[str, int] = {}
    for step in steps:
        counts[str(step.status)] = counts.get(str(step.status), 0) + 1
    failed = any(step.failed for step in steps)
    idle = all(step.status in (Status.CURRENT, Status.SKIPPED) for step in steps)
    status = Status.FAILED if failed else Status.PLANNED if dry else Status.CURRENT if idle else Status.DONE
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) + (
        " (dry run: nothing changed)" if dry else ""
    )
    return StepReport(name=name, status=status, summary=summary, steps=tuple(steps))


#: How a phase tells the task what it is doing while it works (the live status line); never output.
Progress = Callable[[str], None]


def no_progress(_text: str) -> None:
    """The default :data:`Progress`: phases called from tests or other phases stay quiet."""
