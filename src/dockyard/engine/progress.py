"""Parse BuildKit's ``--progress=plain`` output into build steps.

Both builders dockyard drives print BuildKit's plain progress: the classic client (Engine 20.10
with ``DOCKER_BUILDKIT=1``) an older printer that adds ``#N sha256:...`` digest lines, buildx and
compose the newer one (``#0 building with ...`` first, timestamped output lines). Vertices are
numbered ``#N``; a vertex can be reported in several interleaved chunks. The parser is
incremental so the CLI can show the current step while the build runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^#(?P<id>\d+) (?P<name>\[.*|exporting.*|resolve image config.*|importing.*|.*://.*)$")
_DONE = re.compile(r"^#(?P<id>\d+) DONE (?P<secs>[\d.]+)s$")
_CACHED = re.compile(r"^#(?P<id>\d+) CACHED$")
_ERROR = re.compile(r"^#(?P<id>\d+) ERROR:? ?(?P<msg>.*)$")
_CANCELED = re.compile(r"^#(?P<id>\d+) CANCELED$")
_OUTPUT = re.compile(r"^#(?P<id>\d+) (?P<ts>\d+\.\d+) (?P<text>.*)$")
_OTHER = re.compile(r"^#(?P<id>\d+) (?P<text>.*)$")
# "[builder 2/3] RUN ..." / "[2/3] RUN ..." / "[app builder 2/3] RUN ..." (compose prefixes the service)
_STAGE_STEP = re.compile(r"^\[(?:(?P<prefix>[^\]]*?) )?(?P<index>\d+)/(?P<total>\d+)\] (?P<instr>.*)$")

INSTRUCTION = "instruction"
BASE = "base"
INTERNAL = "internal"


@dataclass
class Step:
    """One BuildKit vertex. Mutable while parsing; :meth:`freeze` gives the public record."""

    id: int
    name: str
    kind: str
    stage: str | None = None
    cached: bool = False
    done: bool = False
    seconds: float = 0.0
    error: str | None = None
    output: list[str] = field(default_factory=list)
    #: seconds since the build started when the vertex was first seen, and when it ended
    first_seen: float | None = None
    ended: float | None = None

    @property
    def started(self) -> float | None:
        """When it started: its end minus BuildKit's own duration, else when it was first seen."""
        if self.ended is not None and self.seconds > 0:
            return max(0.0, self.ended - self.seconds)
        return self.first_seen

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.cached:
            return "cached"
        return "executed" if self.done else "running"


@dataclass(frozen=True)
class StepRecord:
    id: int
    name: str
    kind: str
    stage: str | None
    status: str
    cached: bool
    seconds: float
    #: seconds since the build started (from when progress lines arrived); None when not timed
    start: float | None = None
    end: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "stage": self.stage,
            "status": self.status,
            "cached": self.cached,
            "seconds": self.seconds,
            "start": None if self.start is None else round(self.start, 3),
            "end": None if self.end is None else round(self.end, 3),
        }


def classify(name: str) -> tuple[str, str | None]:
    """Return (kind, stage) for a vertex name."""
    match = _STAGE_STEP.match(name)
    if match is None:
        return INTERNAL, None
    prefix = match["prefix"] or None
    stage = prefix.split()[-1] if prefix else None
    if stage is not None and stage == "internal":
        return INTERNAL, None
    kind = BASE if match["instr"].startswith("FROM ") else INSTRUCTION
    return kind, stage


@dataclass
class ProgressParser:
    """Feed lines one by one; ``steps`` keeps vertices in order of first appearance."""

    steps: dict[int, Step] = field(default_factory=dict)
    current: Step | None = None
    builder_line: str | None = None
    trailing: list[str] = field(default_factory=list)

    def feed(self, line: str, at: float | None = None) -> Step | None:
        """Consume one line (``at``: seconds since the build started); return the step it concerned."""
        step = self._feed(line.rstrip("\r\n"))
        if step is not None and at is not None:
            if step.first_seen is None:
                step.first_seen = at
            if step.done or step.error is not None:
                step.ended = at if step.ended is None else step.ended
        return step

    def _feed(self, line: str) -> Step | None:
        if line.startswith("#0 building with"):
            self.builder_line = line[3:]
            return None
        if m := _DONE.match(line):
            return self._update(int(m["id"]), done=True, seconds=float(m["secs"]))
        if m := _CACHED.match(line):
            return self._update(int(m["id"]), cached=True, done=True)
        if m := _CANCELED.match(line):
            return self._update(int(m["id"]), error="canceled")
        if m := _ERROR.match(line):
            return self._update(int(m["id"]), error=m["msg"] or "failed")
        if m := _OUTPUT.match(line):
            return self._output(int(m["id"]), m["text"])
        if m := _HEADER.match(line):
            return self._header(int(m["id"]), m["name"])
        if m := _OTHER.match(line):
            text = m["text"]
            if text.startswith("sha256:") or text == "...":
                return self.steps.get(int(m["id"]))
            return self._output(int(m["id"]), text)
        if line.strip():
            self.trailing.append(line)
        return None

    def _header(self, step_id: int, name: str) -> Step:
        step = self.steps.get(step_id)
        if step is None:
            kind, stage = classify(name)
            step = Step(id=step_id, name=name, kind=kind, stage=stage)
            self.steps[step_id] = step
        self.current = step
        return step

    def _step(self, step_id: int) -> Step:
        step = self.steps.get(step_id)
        if step is None:  # output before its header: keep it rather than lose it
            step = Step(id=step_id, name=f"#{step_id}", kind=INTERNAL)
            self.steps[step_id] = step
        return step

    def _update(
        self,
        step_id: int,
        *,
        done: bool = False,
        cached: bool = False,
        seconds: float | None = None,
        error: str | None = None,
    ) -> Step:
        step = self._step(step_id)
        step.done = step.done or done
        step.cached = step.cached or cached
        if seconds is not None:
            step.seconds = seconds
        if error is not None:
            step.error = error
        return step

    def _output(self, step_id: int, text: str) -> Step:
        step = self._step(step_id)
        step.output.append(text)
        return step

    def records(self) -> list[StepRecord]:
        return [
            StepRecord(s.id, s.name, s.kind, s.stage, s.status, s.cached, s.seconds, s.started, s.ended)
            for s in self.steps.values()
        ]

    def failed_step(self) -> Step | None:
        for step in self.steps.values():
            if step.error is not None and step.error != "canceled":
                return step
        return None


def parse(text: str) -> ProgressParser:
    parser = ProgressParser()
    for line in text.splitlines():
        parser.feed(line)
    return parser


def instruction_steps(records: list[StepRecord]) -> list[StepRecord]:
    return [r for r in records if r.kind == INSTRUCTION]


def cache_hit_ratio(records: list[StepRecord]) -> float:
    """Share of Dockerfile instructions (FROM excluded) that came from cache; 1.0 when there are none."""
    steps = instruction_steps(records)
    if not steps:
        return 1.0
    return sum(1 for s in steps if s.cached) / len(steps)
