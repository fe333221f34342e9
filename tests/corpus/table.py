"""The corpus results as data, and the table written from them (docs/corpus.md and its JSON).

Pure functions only: the runner (runner.py) produces these records, the unit tests check them.
"""

from __future__ import annotations

import re
import statistics
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = 1
STEPS = ("phase1", "phase2", "verify", "bench")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EXCEPTION_LINE = re.compile(r"^[A-Za-z_.]*(Error|Exception|Exit)\b:")
ERROR_LINE = re.compile(r"^\s*(error|failed|Error|ERROR)\b[:\s]")


@dataclass(frozen=True)
class Entry:
    """One corpus project: a directory here, or a pinned sdist with a Dockerfile of ours."""

    name: str
    kind: str
    version: str | None = None
    sha256: str | None = None

    @property
    def is_sdist(self) -> bool:
        return self.version is not None


def load_manifest(path: Path) -> list[Entry]:
    data = tomllib.loads(path.read_text())
    entries = [Entry(name=p["name"], kind=p["kind"]) for p in data.get("project", [])]
    entries += [
        Entry(name=s["name"], kind=s["kind"], version=s["version"], sha256=s["sha256"])
        for s in data.get("sdist", [])
    ]
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate corpus names: {', '.join(duplicates)}")
    return entries


def select(entries: list[Entry], names: list[str]) -> list[Entry]:
    """The entries named (all when none is); an unknown name is an error that lists the known ones."""
    if not names:
        return entries
    known = {e.name: e for e in entries}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown corpus project(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]


@dataclass(frozen=True)
class StepResult:
    """``status`` is ok, failed, timeout or skipped; ``reason`` the last error line, or why skipped."""

    status: str
    seconds: float = 0.0
    reason: str = ""
    exit_code: int | None = None


@dataclass(frozen=True)
class BenchFigures:
    """Code-change rebuild medians (seconds) and image sizes (bytes), from a bench result document."""

    code_before: float | None
    code_after: float | None
    after_vs_floor: float | None
    image_before: int | None
    image_after: int | None
    runs_before: tuple[float, ...] = ()
    runs_after: tuple[float, ...] = ()

    @property
    def speedup(self) -> float | None:
        if not self.code_before or not self.code_after:
            return None
        return self.code_before / self.code_after


@dataclass(frozen=True)
class ProjectResult:
    name: str
    kind: str
    steps: dict[str, StepResult] = field(default_factory=dict)
    bench: BenchFigures | None = None
    measured: str = ""  # which dockyard, when: rows of a table updated with --update can differ


def last_error_line(stderr: str, stdout: str = "") -> str:
    """The line that says what went wrong: the last ``error:``/``failed:`` line, else the last line."""
    for text in (stderr, stdout):
        lines = [ANSI.sub("", line).strip() for line in text.splitlines()]
        lines = [line for line in lines if line]
        flagged = [i for i, line in enumerate(lines) if ERROR_LINE.match(line)]
        if flagged:
            # What follows the error line (a log tail, a traceback) often ends with the cause.
            after = [line.lstrip("| ").strip() for line in lines[flagged[-1] + 1 :]]
            after = [line for line in after if line and not line.startswith("hint:")]
            exceptions = [line for line in after if EXCEPTION_LINE.match(line)]
            cause = f" — {(exceptions or after)[-1]}" if after else ""
            return _short(lines[flagged[-1]] + cause)
        if lines:
            return _short(lines[-1])
    return "(no output)"


def check_locks(step: StepResult, requirements: Path) -> StepResult:
    """Phase 1 exiting 0 with nothing pinned is a silent failure: say so (the step stays ok)."""
    pinned = [
        path.name
        for path in sorted(requirements.glob("*.txt"))
        if any(line.split("==")[0].strip() and "==" in line for line in path.read_text().splitlines())
    ]
    if pinned:
        return step
    return StepResult(
        step.status, step.seconds, "warning: no requirements/*.txt pins anything", step.exit_code
    )


def _short(line: str, limit: int = 220) -> str:
    line = line.replace("|", "/")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def bench_figures(doc: dict[str, Any], *, before: str = "before", after: str = "after") -> BenchFigures:
    """Read the two variants of a ``dockyard bench --json`` document (schema 1)."""
    variants = {v["name"]: v for v in doc["variants"]}

    def code(name: str) -> float | None:
        scenario = variants.get(name, {}).get("scenarios", {}).get("code")
        return None if scenario is None else float(scenario["median"])

    def runs(name: str) -> tuple[float, ...]:
        scenario = variants.get(name, {}).get("scenarios", {}).get("code")
        return () if scenario is None else tuple(scenario["runs"])

    return BenchFigures(
        code_before=code(before),
        code_after=code(after),
        after_vs_floor=variants.get(after, {}).get("code_vs_floor"),
        image_before=variants.get(before, {}).get("image_bytes"),
        image_after=variants.get(after, {}).get("image_bytes"),
        runs_before=runs(before),
        runs_after=runs(after),
    )


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in ("B", "kB") else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def step_cell(step: StepResult | None) -> str:
    if step is None:
        return "–"
    if step.status == "ok":
        return f"ok ({step.seconds:.0f}s)" + (", **nothing locked**" if step.reason else "")
    if step.status == "skipped":
        return "skipped"
    return f"**{step.status.upper()}**"


def code_cell(b: BenchFigures | None) -> str:
    if b is None or b.code_before is None or b.code_after is None:
        return "–"
    text = f"{b.code_before:.2f}s → {b.code_after:.2f}s"
    if b.speedup is not None:
        text += f" ({b.speedup:.1f}×"
        text += f", {b.after_vs_floor:.1f}× floor)" if b.after_vs_floor is not None else ")"
    return text


def image_cell(b: BenchFigures | None) -> str:
    if b is None or b.image_before is None or b.image_after is None:
        return "–"
    change = (b.image_after - b.image_before) / b.image_before * 100 if b.image_before else 0.0
    return f"{human_bytes(b.image_before)} → {human_bytes(b.image_after)} ({change:+.0f}%)"


def markdown(results: list[ProjectResult], *, header: str) -> str:
    rows = [
        "| project | kind | phase 1 | phase 2 | verify | code change before → after | image before → after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [r.name, r.kind, *(step_cell(r.steps.get(s)) for s in STEPS[:3])]
        cells += [code_cell(r.bench), image_cell(r.bench)]
        rows.append("| " + " | ".join(cells) + " |")
    out = [header.rstrip(), "", *rows, "", *summary_lines(results), "", "## Failures and warnings", ""]
    skips: dict[tuple[str, str], list[str]] = {}
    for r in results:
        for name in STEPS:
            step = r.steps.get(name)
            if step is None or (step.status == "ok" and not step.reason):
                continue
            if step.status == "skipped":
                skips.setdefault((name, step.reason), []).append(r.name)
            else:
                out.append(f"- **{r.name}** / {name}: {step.status}: {step.reason}")
    if skips:
        out += ["", "## Skipped", ""]
        out += [f"- {name}: {reason}: {', '.join(names)}" for (name, reason), names in skips.items()]
    return "\n".join(out) + "\n"


def _middle(values: list[float]) -> str:
    """For an even count, the two middle values the median averages: far apart, the median of a
    split corpus says little (slim originals about 0%, full-image ones about 80%)."""
    if len(values) % 2:
        return ""
    ordered = sorted(values)
    low, high = ordered[len(values) // 2 - 1], ordered[len(values) // 2]
    return f" (the mean of the middle two, {low:.0%} and {high:.0%})" if high - low > 0.1 else ""


def summary_lines(results: list[ProjectResult]) -> list[str]:
    total = len(results)
    passed = {s: sum(1 for r in results if _ok(r, s)) for s in STEPS}
    lines = [f"- {s}: {passed[s]}/{total} ok" for s in STEPS]
    speedups = [r.bench.speedup for r in results if r.bench and r.bench.speedup]
    if speedups:
        lines.append(f"- median code-change speedup: {statistics.median(speedups):.1f}× over {len(speedups)}")
    shrink = [
        1 - r.bench.image_after / r.bench.image_before
        for r in results
        if r.bench and r.bench.image_before and r.bench.image_after
    ]
    if shrink:
        lines.append(
            f"- median image reduction: {statistics.median(shrink):.0%} over {len(shrink)}{_middle(shrink)}"
        )
    floors = [(r.bench.after_vs_floor, r.name) for r in results if r.bench and r.bench.after_vs_floor]
    if floors:
        worst, name = max(floors)
        lines.append(f"- highest code-change rebuild against the floor: {worst:.1f}× ({name})")
    larger = [r.name for r in results if r.bench and (r.bench.image_after or 0) > (r.bench.image_before or 0)]
    if shrink:
        lines.append(f"- runtime images larger than the original: {', '.join(larger) or 'none'}")
    return lines


def group_lines(results: list[ProjectResult], groups: dict[str, str]) -> list[str]:
    """Median speedup and image reduction per group (a project's base image), one line each."""
    lines = []
    for group in dict.fromkeys(groups[r.name] for r in results if r.name in groups):
        members = [r for r in results if groups.get(r.name) == group and r.bench]
        speedups = [r.bench.speedup for r in members if r.bench and r.bench.speedup]
        shrink = [
            1 - r.bench.image_after / r.bench.image_before
            for r in members
            if r.bench and r.bench.image_before and r.bench.image_after
        ]
        if not speedups or not shrink:
            continue
        lines.append(
            f"- originals on {group} ({len(speedups)} measured): median speedup "
            f"{statistics.median(speedups):.1f}×, median image reduction {statistics.median(shrink):.0%}"
        )
    return lines


def _ok(result: ProjectResult, step: str) -> bool:
    found = result.steps.get(step)
    return found is not None and found.status == "ok"


def as_json(results: list[ProjectResult], *, meta: dict[str, Any]) -> dict[str, Any]:
    return {"schema": SCHEMA, **meta, "projects": [asdict(r) for r in results]}


def from_json(doc: dict[str, Any]) -> list[ProjectResult]:
    """Read back what :func:`as_json` wrote (to update some rows of an earlier table)."""
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"corpus results schema {doc.get('schema')!r}, expected {SCHEMA}")
    results = []
    for p in doc["projects"]:
        bench = p.get("bench")
        if bench is not None:
            figures: dict[str, Any] = {k: tuple(v) if k.startswith("runs_") else v for k, v in bench.items()}
            bench = BenchFigures(**figures)
        steps = {name: StepResult(**step) for name, step in p["steps"].items()}
        results.append(ProjectResult(p["name"], p["kind"], steps, bench, p.get("measured", "")))
    return results


def merge(earlier: list[ProjectResult], new: list[ProjectResult], order: list[str]) -> list[ProjectResult]:
    """The earlier rows with the new ones in their place, in manifest order."""
    by_name = {r.name: r for r in earlier} | {r.name: r for r in new}
    return [by_name[name] for name in order if name in by_name]
