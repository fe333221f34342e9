"""``dockyard rollout``: phases 1 to 5 in order, resumable, ending with ``docs/rollout-report.md``.

Every phase is idempotent (each step is skipped when current), so resuming is running again; the
state file ``.dockyard/rollout.json`` also records which phases finished on which project state, so
a resumed run skips them without even asking, and says so.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard import process
from dockyard.config import Settings
from dockyard.phases.report import Progress, Status, StepReport, no_progress
from dockyard.render import writer
from dockyard.render.templating import environment

STATE_SCHEMA = 1
REPORT = "docs/rollout-report.md"


@dataclass(frozen=True, kw_only=True)
class RolloutPhase:
    name: str  # "phase1" ... "phase5"
    title: str
    run: Callable[[Settings, Progress], StepReport]


def state_path(settings: Settings) -> Path:
    return settings.state_path / "rollout.json"


def fingerprint(settings: Settings) -> str:
    """The project's files (tracked, or untracked and not ignored) and their content; not dockyard's state."""
    root = settings.project
    listed = process.run(
        ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        check=False,
        echo=False,
    )
    names = sorted(n for n in listed.stdout.split("\0") if n) if listed.returncode == 0 else []
    if not names:
        names = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for name in names:
        if name.startswith((settings.state_dir + "/", ".git/")) or name == REPORT:
            continue
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read_state(settings: Settings) -> dict[str, Any]:
    path = state_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"schema": STATE_SCHEMA, "phases": {}}
    return data if data.get("schema") == STATE_SCHEMA else {"schema": STATE_SCHEMA, "phases": {}}


def _save(settings: Settings, state: dict[str, Any]) -> None:
    writer.atomic_write_text(state_path(settings), json.dumps(state, indent=2) + "\n")


def run(
    settings: Settings,
    phases: Sequence[RolloutPhase],
    *,
    fresh: bool = False,
    dry_run: bool = False,
    progress: Progress = no_progress,
    show: Callable[[StepReport], None] = lambda _report: None,
) -> StepReport:
    """Each phase in order; one that finished on this exact project state is skipped (``fresh``: none is)."""
    state: dict[str, Any] = {"schema": STATE_SCHEMA, "phases": {}} if fresh else read_state(settings)
    finished: dict[str, Any] = state.setdefault("phases", {})
    # The phases that finished were done on the project as the last of them left it; if nobody changed
    # a file since, they are all still done (later phases write files, so each phase's own print differs).
    last: dict[str, Any] = max(finished.values(), key=lambda d: float(d.get("at", 0)), default={})
    unchanged = bool(last) and last.get("fingerprint") == fingerprint(settings)
    reports: list[StepReport] = []
    for phase in phases:
        done = finished.get(phase.name)
        if not dry_run and done and unchanged:
            previous = StepReport(
                name=phase.name,
                status=Status.CURRENT,
                summary=f"finished at {done['finished']} on this project state: skipped",
                data={"resumed": True, "report": done.get("report", {})},
            )
            reports.append(previous)
            show(previous)
            continue
        progress(f"rollout: {phase.title}")
        report = phase.run(settings, progress)
        reports.append(report)
        show(report)
        if dry_run:
            continue
        if report.failed:
            break
        finished[phase.name] = {
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "at": time.time(),
            "fingerprint": fingerprint(settings),
            "report": report.as_json(),
        }
        _save(settings, state)
    failed = any(r.failed for r in reports)
    summary = (
        "failed at " + next(r.name for r in reports if r.failed) if failed else f"{len(reports)} phase(s)"
    )
    rollout = StepReport(
        name="rollout", status=Status.FAILED if failed else Status.DONE, summary=summary, steps=tuple(reports)
    )
    if dry_run or failed:
        return rollout
    return rollout.with_steps(write_report(settings, rollout))


def _all_reports(rollout: StepReport) -> list[dict[str, Any]]:
    """Each phase's report as JSON: the live one, or the one recorded when it finished earlier."""
    found = []
    for phase in rollout.steps:
        recorded = phase.data.get("report") if phase.data.get("resumed") else None
        found.append(recorded or phase.as_json())
    return found


def _flatten(step: dict[str, Any]) -> list[dict[str, Any]]:
    return [step, *(s for child in step.get("steps", []) for s in _flatten(child))]


def report_text(settings: Settings, rollout: StepReport) -> str:
    phases = _all_reports(rollout)
    files: dict[str, str] = {}
    measurements: list[tuple[str, str, dict[str, Any]]] = []
    findings: list[tuple[str, dict[str, Any]]] = []
    for phase in phases:
        for step in _flatten(phase):
            for f in step.get("files", []):
                if f.get("action") not in {"unchanged", "skip"}:
                    files[_relative(settings, f["path"])] = f.get("message", "")
            measurements += [(phase["name"], step["name"], m) for m in step.get("measurements", [])]
            findings += [(step["name"], f) for f in step.get("findings", []) if f.get("level") != "info"]
    template = environment().get_template("rollout-report.md.j2")
    return str(
        template.render(
            project=settings.project.name,
            branch=settings.branch,
            phases=phases,
            files=sorted(files.items()),
            measurements=measurements,
            findings=findings,
            tables=[(s["name"], t) for p in phases for s in _flatten(p) for t in s.get("tables", [])],
        )
    )


def _relative(settings: Settings, path: str) -> str:
    """A path as the report links it: relative to the project, whatever form the step gave."""
    absolute = Path(path)
    if absolute.is_absolute() and absolute.is_relative_to(settings.project):
        return str(absolute.relative_to(settings.project))
    return path


def write_report(settings: Settings, rollout: StepReport) -> StepReport:
    generated = writer.GeneratedFile(report_text(settings, rollout), source="dockyard rollout")
    plan = writer.plan_writes(
        settings.project, {REPORT: generated}, force=False, state_dir=settings.state_dir
    )
    outcomes = writer.apply(plan)
    from dockyard.phases.report import FileResult

    return StepReport(
        name="report",
        status=Status.DONE,
        summary=REPORT,
        files=tuple(FileResult(path=REPORT, action=str(o.action), message=o.message) for o in outcomes),
    )


def _phase1(settings: Settings, progress: Progress) -> StepReport:
    from dockyard.phases import phase1

    return phase1.run(settings, progress=progress)


def _phase2(settings: Settings, progress: Progress) -> StepReport:
    from dockyard.phases import phase2

    return phase2.run(settings, runs=max(2, settings.bench_runs - 1), progress=progress)


def _phase3(settings: Settings, progress: Progress) -> StepReport:
    from dockyard.phases import phase3

    return phase3.run(settings, progress=progress)


def _phase4(settings: Settings, progress: Progress) -> StepReport:
    from dockyard.phases import phase4

    return phase4.run_phase(settings, progress=progress)


def _phase5(settings: Settings, progress: Progress) -> StepReport:
    from dockyard.phases import phase5

    return phase5.run(settings, progress=progress)


#: The whole rollout, in order.
PHASES: tuple[RolloutPhase, ...] = (
    RolloutPhase(name="phase1", title="phase 1: preparation", run=_phase1),
    RolloutPhase(name="phase2", title="phase 2: the optimized build", run=_phase2),
    RolloutPhase(name="phase3", title="phase 3: the development loop", run=_phase3),
    RolloutPhase(name="phase4", title="phase 4: caches, parallel builds, base images", run=_phase4),
    RolloutPhase(name="phase5", title="phase 5: measured, scanned, documented", run=_phase5),
)
