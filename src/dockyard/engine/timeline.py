"""A build's timeline from its progress stream: what ran when, what ran in parallel, the critical path.

Pure: it takes the step records of one or more builds (their start and end, stamped as progress
lines arrived) and answers "which stage should I make faster?" as a table, plus a PNG when
matplotlib is installed (the optional ``charts`` extra). The critical path is the chain of steps
that ends last, each step preceded by the one that finished latest before it started: the steps
whose speed-up shortens the whole build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.engine.progress import INSTRUCTION, StepRecord

#: Steps that end this close to another's start count as waiting for it (progress lines are batched).
SLACK_S = 0.25


@dataclass(frozen=True)
class Span:
    target: str
    stage: str
    name: str
    start: float
    end: float
    cached: bool

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Timeline:
    spans: tuple[Span, ...]
    critical: tuple[Span, ...]

    @property
    def wall_s(self) -> float:
        return max((s.end for s in self.spans), default=0.0) - min((s.start for s in self.spans), default=0.0)

    @property
    def busy_s(self) -> float:
        return sum(s.seconds for s in self.spans)

    @property
    def parallelism(self) -> float:
        """Average number of steps running at once (busy time over wall time)."""
        return self.busy_s / self.wall_s if self.wall_s > 0 else 0.0

    def concurrent(self, span: Span) -> int:
        """How many other steps overlapped this one."""
        return sum(
            1 for o in self.spans if o is not span and o.start < span.end - 1e-6 and o.end > span.start + 1e-6
        )

    def critical_by_stage(self) -> list[tuple[str, float]]:
        """Seconds of the critical path spent in each stage, largest first."""
        totals: dict[str, float] = {}
        for span in self.critical:
            key = f"{span.target}/{span.stage}" if span.target else span.stage
            totals[key] = totals.get(key, 0.0) + span.seconds
        return sorted(totals.items(), key=lambda kv: -kv[1])


def split_name(name: str) -> tuple[str, str, str]:
    """``[target stage 2/3] RUN x`` (bake, compose) or ``[stage 2/3] RUN x`` -> (target, stage, step)."""
    if not name.startswith("[") or "] " not in name:
        return "", "", name
    head, step = name[1:].split("] ", 1)
    words = head.split()
    words = words[:-1] if words and "/" in words[-1] else words
    if len(words) >= 2:
        return words[0], words[-1], step
    return "", (words[0] if words else ""), step


def spans_of(records: Iterable[StepRecord], *, target: str = "", offset: float = 0.0) -> list[Span]:
    """Timed Dockerfile instructions of one build; ``offset`` shifts them onto a shared clock."""
    spans: list[Span] = []
    for record in records:
        if record.kind != INSTRUCTION or record.start is None or record.end is None:
            continue
        named_target, stage, step = split_name(record.name)
        spans.append(
            Span(
                target=named_target or target,
                stage=record.stage or stage or "-",
                name=step,
                start=record.start + offset,
                end=max(record.end, record.start) + offset,
                cached=record.cached,
            )
        )
    return spans


def critical_path(spans: Sequence[Span]) -> tuple[Span, ...]:
    if not spans:
        return ()
    chain = [max(spans, key=lambda s: (s.end, s.seconds))]
    while True:
        current = chain[-1]
        before = [
            s for s in spans if s is not current and s.end <= current.start + SLACK_S and s not in chain
        ]
        if not before:
            break
        chain.append(max(before, key=lambda s: (s.end, s.seconds)))
    return tuple(reversed(chain))


def merge_shared(spans: Sequence[Span]) -> list[Span]:
    """One span for a step that concurrent builds shared: BuildKit ran it once and reported it to each.

    Same stage and step, started and ended within :data:`SLACK_S` of each other: the targets are joined.
    """
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        for index, seen in enumerate(merged):
            if (
                seen.stage == span.stage
                and seen.name == span.name
                and span.target not in seen.target.split("+")
                and abs(seen.start - span.start) <= SLACK_S * 2
                and abs(seen.end - span.end) <= SLACK_S * 2
            ):
                target = "+".join(sorted([*seen.target.split("+"), span.target]))
                end = max(seen.end, span.end)
                merged[index] = Span(
                    target, seen.stage, seen.name, seen.start, end, seen.cached and span.cached
                )
                break
        else:
            merged.append(span)
    return merged


def timeline(spans: Iterable[Span]) -> Timeline:
    ordered = tuple(sorted(merge_shared(list(spans)), key=lambda s: (s.start, s.end)))
    origin = min((s.start for s in ordered), default=0.0)
    shifted = tuple(
        Span(s.target, s.stage, s.name, s.start - origin, s.end - origin, s.cached) for s in ordered
    )
    return Timeline(shifted, critical_path(shifted))


def rows(line: Timeline, *, min_seconds: float = 0.05) -> list[tuple[str, ...]]:
    """One row per step that took time: when, how long, alongside how many, on the critical path."""
    critical = set(line.critical)
    out: list[tuple[str, ...]] = []
    for span in line.spans:
        if span.seconds < min_seconds and span not in critical:
            continue
        where = f"{span.target}/{span.stage}" if span.target else span.stage
        out.append(
            (
                f"{span.start:6.1f}",
                f"{span.end:6.1f}",
                f"{span.seconds:5.1f}",
                where,
                span.name if len(span.name) <= 60 else span.name[:57] + "...",
                "cached" if span.cached else "ran",
                str(line.concurrent(span)),
                "*" if span in critical else "",
            )
        )
    return out


HEADERS = ("start s", "end s", "secs", "stage", "step", "status", "alongside", "critical")


def summary(line: Timeline) -> list[tuple[str, str]]:
    by_stage = line.critical_by_stage()
    answer = by_stage[0][0] if by_stage else "-"
    return [
        ("wall", f"{line.wall_s:.1f}s"),
        ("step time", f"{line.busy_s:.1f}s ({line.parallelism:.2f} steps at once on average)"),
        ("critical path", f"{sum(s.seconds for s in line.critical):.1f}s in {len(line.critical)} steps"),
        ("make this stage faster", answer),
    ]


def chart_png(line: Timeline, path: Path, *, title: str = "build timeline") -> bool:
    """A Gantt chart of the steps, the critical path in red; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    spans = [s for s in line.spans if s.seconds >= 0.05 or s in line.critical]
    critical = set(line.critical)
    height = max(2.5, 0.28 * len(spans) + 1.2)
    fig, ax = plt.subplots(figsize=(10, height))
    for row, span in enumerate(spans):
        color = "#c0392b" if span in critical else ("#95a5a6" if span.cached else "#2e86c1")
        ax.barh(row, max(span.seconds, 0.05), left=span.start, color=color, height=0.7)
    labels = [f"{(s.target + '/') if s.target else ''}{s.stage}: {s.name[:40]}" for s in spans]
    ax.set_yticks(range(len(spans)), labels=labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the build started")
    ax.set_title(f"{title} (red: critical path, grey: cached)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
