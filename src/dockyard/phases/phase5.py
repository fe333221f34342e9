"""Phase 5, proof and documentation: CI pipelines, the build-time trend, the developer guide.

Phase 5 is a list of steps, each a function of the settings that returns a StepReport; the guide
comes last because it describes what the steps before it produced (the scan step goes before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from dockyard import ci, devguide
from dockyard.bench import report, results, trend
from dockyard.config import Settings
from dockyard.errors import DockyardError
from dockyard.phases.report import (
    FileResult,
    Finding,
    Level,
    Progress,
    Status,
    StepReport,
    Table,
    no_progress,
)
from dockyard.render import writer
from dockyard.render.writer import Action, WritePlan


class PhaseStep(Protocol):
    def __call__(
        self, settings: Settings, *, dry: bool = False, force: bool = False, progress: Progress = no_progress
    ) -> StepReport: ...


def write_report(name: str, plan: WritePlan, *, dry: bool, summary: str = "") -> StepReport:
    """Carry out (or, dry, describe) a write plan as a step report: one FileResult per file."""
    if dry:
        files = tuple(
            FileResult(
                path=change.relpath,
                action=str(change.action),
                message=f"would {writer.intent(change)}",
                diff=_diff(plan, change),
            )
            for change in plan.changes
        )
        status = Status.PLANNED if plan.writes_anything else Status.CURRENT
        return StepReport(name=name, status=status, summary=summary, files=files)
    outcomes = writer.apply(plan)
    files = tuple(
        FileResult(path=change.relpath, action=str(outcome.action), message=outcome.message)
        for change, outcome in zip(plan.changes, outcomes, strict=True)
    )
    wrote = any(outcome.action is not Action.UNCHANGED for outcome in outcomes)
    return StepReport(
        name=name, status=Status.DONE if wrote else Status.CURRENT, summary=summary, files=files
    )


def _diff(plan: WritePlan, change: writer.FileChange) -> str:
    """The unified diff of one file (describe's text after its one-line intent)."""
    described = writer.describe(WritePlan(root=plan.root, changes=(change,)))
    return described.split("\n", 1)[1].lstrip("\n")


def ci_step(
    settings: Settings, *, dry: bool = False, force: bool = False, progress: Progress = no_progress
) -> StepReport:
    """Write the GitHub Actions workflow and the GitLab CI file."""
    progress("rendering the CI pipelines")
    pipeline = ci.pipeline(settings)
    jobs = ", ".join(f"{job.name} ({job.event.replace('_', ' ')})" for job in pipeline.jobs)
    return write_report("ci", ci.plan(settings, force=force), dry=dry, summary=f"jobs: {jobs}")


def trend_step(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    progress: Progress = no_progress,
    threshold_pct: float = trend.DEFAULT_THRESHOLD_PCT,
    chart: bool = True,
    gate: bool = False,
) -> StepReport:
    """The build-time trend per scenario from the benchmark history; with ``gate`` a regression fails."""
    history = settings.state_path / trend.HISTORY
    if not history.is_file():
        return StepReport(
            name="trend",
            status=Status.SKIPPED,
            summary=f"no benchmark history at {settings.state_dir}/{trend.HISTORY} yet: "
            "`dockyard bench` adds one",
        )
    progress(f"reading {history.name}")
    found = trend.read(history, threshold_pct=threshold_pct)
    level = Level.ERROR if gate else Level.WARNING
    findings = [
        Finding(level=level, message=f"build-time regression: {results.describe_row(s.verdict)}")
        for s in found.regressions
        if s.verdict is not None
    ]
    files: list[FileResult] = []
    chart_path = settings.state_path / trend.CHART
    if chart and not trend.charts_available():
        findings.append(
            Finding(
                level=Level.INFO,
                message="matplotlib is not installed: table only (pip install 'dockyard[charts]')",
            )
        )
    elif chart and found.series:
        rel = f"{settings.state_dir}/{trend.CHART}"
        if dry:
            files.append(FileResult(path=rel, action="create", message=f"would draw {rel}"))
        else:
            progress("drawing the trend chart")
            png = trend.chart_png_bytes(found)
            same = chart_path.is_file() and chart_path.read_bytes() == png
            if not same:
                writer.atomic_write_bytes(chart_path, png)
            files.append(
                FileResult(
                    path=rel,
                    action="unchanged" if same else "update",
                    message=f"{rel} is up to date" if same else f"drew {rel}",
                )
            )
    table = Table.of(trend.rule(found), trend.HEADERS, trend.rows(found))
    regressions = len(found.regressions)
    summary = (
        f"{found.results} result(s), {len(found.series)} series, "
        f"{regressions} regression{'s' if regressions != 1 else ''}"
    )
    return StepReport(
        name="trend",
        status=Status.FAILED if gate and regressions else (Status.PLANNED if dry else Status.DONE),
        summary=summary,
        files=tuple(files),
        findings=tuple(findings),
        tables=(table,),
        data={"series": [_series_json(s) for s in found.series], "threshold_pct": threshold_pct},
    )


def _series_json(series: trend.Series) -> dict[str, object]:
    return {
        "variant": series.variant,
        "scenario": series.scenario,
        "medians": [p.summary.median for p in series.points],
        "created": [p.created for p in series.points],
        "regression": series.regression,
        "change_pct": None if series.verdict is None else series.verdict.change_pct,
    }


def docs_step(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    progress: Progress = no_progress,
    check: bool = False,
    tasks: Sequence[devguide.TaskInfo] | None = None,
) -> StepReport:
    """Write docs/developer-guide.md (and its chart); with ``check``, only say whether they are current."""
    progress("reading the project for the developer guide")
    charts = trend.charts_available()
    guide = devguide.collect(settings, tasks=tasks, chart=charts)
    text = devguide.render(guide)
    findings: list[Finding] = []
    if guide.bench is not None and not charts:
        findings.append(
            Finding(
                level=Level.INFO,
                message="matplotlib is not installed: the benchmark chart is not drawn, the guide "
                "shows the tables (pip install 'dockyard[charts]')",
            )
        )
    png = report.chart_png_bytes(guide.bench) if charts and guide.chart and guide.bench else None
    broken = devguide.broken_links(text, settings.project, also=[devguide.CHART] if png else [])
    if broken:
        findings += [
            Finding(level=Level.ERROR, message=f"link to a missing file: {t}", where=devguide.GUIDE)
            for t in broken
        ]
        return StepReport(
            name="docs",
            status=Status.FAILED,
            summary="the guide links to missing files",
            findings=tuple(findings),
        )
    source = "the project's locks, Dockerfile, compose files, CI files, benchmark and scan"
    plan = writer.plan_writes(
        settings.project,
        {devguide.GUIDE: writer.GeneratedFile(text, source=source)},
        force=force,
        state_dir=settings.state_dir,
    )
    chart_path = settings.project / devguide.CHART
    chart_current = png is None or (chart_path.is_file() and chart_path.read_bytes() == png)
    if check:
        change = plan.changes[0]
        stale = [change.relpath] if change.action is not Action.UNCHANGED else []
        stale += [] if chart_current else [devguide.CHART]
        if stale:
            return StepReport(
                name="docs",
                status=Status.FAILED,
                summary=f"{' and '.join(stale)} out of date: run `dockyard docs`",
                findings=tuple(findings),
            )
        return StepReport(
            name="docs",
            status=Status.CURRENT,
            summary=f"{devguide.GUIDE} is current",
            findings=tuple(findings),
        )
    step = write_report("docs", plan, dry=dry, summary=f"{len(guide.tasks)} tasks, links checked")
    files = list(step.files)
    if png is not None:
        files.append(_write_chart(chart_path, devguide.CHART, png, current=chart_current, dry=dry))
    status = step.status
    if not chart_current and status is Status.CURRENT:
        status = Status.PLANNED if dry else Status.DONE
    return StepReport(
        name="docs", status=status, summary=step.summary, files=tuple(files), findings=tuple(findings)
    )


def _write_chart(path: Path, rel: str, png: bytes, *, current: bool, dry: bool) -> FileResult:
    if current:
        return FileResult(path=rel, action="unchanged", message=f"{rel} is up to date")
    if dry:
        return FileResult(path=rel, action="update", message=f"would draw {rel}")
    writer.atomic_write_bytes(path, png)
    return FileResult(path=rel, action="update", message=f"drew {rel}")


def bench_step(
    settings: Settings, *, dry: bool = False, force: bool = False, progress: Progress = no_progress
) -> StepReport:
    """The original Dockerfile and the generated one, side by side: no-change, code and deps builds."""
    from dockyard.bench.runner import Options
    from dockyard.engine import Engine
    from dockyard.phases import benchmark

    variants = benchmark.default_variants(settings)
    if len(variants) < 2:
        return StepReport(
            name="bench", status=Status.SKIPPED, summary="needs the original and the generated Dockerfile"
        )
    if dry:
        return StepReport(name="bench", status=Status.PLANNED, summary="would benchmark noop, code and deps")
    scenarios = ("noop", "code", "deps")
    options = Options(
        scenarios=scenarios, runs=settings.bench_runs, requirements_dir=settings.requirements_dir
    )
    return benchmark.bench(settings, Engine.connect(settings), variants, options, progress=progress)


def scan_step(
    settings: Settings, *, dry: bool = False, force: bool = False, progress: Progress = no_progress
) -> StepReport:
    """``dockyard scan``: hadolint, pip-audit, trivy when installed, the image's layers; SARIF, Markdown."""
    from dockyard.phases import scan

    if dry:
        return StepReport(
            name="scan", status=Status.PLANNED, summary="would scan Dockerfiles, locks, context, image"
        )
    return scan.scan(settings, scan.ScanOptions(), progress=progress)


#: Phase 5 in order: measure, scan, then what documents them (docs describes what the steps before it left).
STEPS: Sequence[tuple[str, PhaseStep]] = (
    ("bench", bench_step),
    ("scan", scan_step),
    ("ci", ci_step),
    ("trend", trend_step),
    ("docs", docs_step),
)


def run(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    progress: Progress = no_progress,
    steps: Sequence[tuple[str, PhaseStep]] | None = None,
) -> StepReport:
    """Run every step in order; a failed step does not stop the ones after it."""
    reports = tuple(
        _guarded(name, step, settings, dry=dry, force=force, progress=progress)
        for name, step in steps or STEPS
    )
    failed = [r.name for r in reports if r.failed]
    status = Status.FAILED if failed else _combined(reports)
    summary = f"failed: {', '.join(failed)}" if failed else ""
    return StepReport(name="phase5", status=status, summary=summary, steps=reports)


def _guarded(
    name: str, step: PhaseStep, settings: Settings, *, dry: bool, force: bool, progress: Progress
) -> StepReport:
    """A step that fails is reported as failed, and the steps after it still run."""
    try:
        return step(settings, dry=dry, force=force, progress=progress)
    except DockyardError as exc:
        hint = (Finding(level=Level.ERROR, message=exc.hint),) if exc.hint else ()
        return StepReport(name=name, status=Status.FAILED, summary=exc.message.splitlines()[0], findings=hint)


def _combined(reports: Sequence[StepReport]) -> Status:
    statuses = {r.status for r in reports}
    for status in (Status.DONE, Status.PLANNED):
        if status in statuses:
            return status
    return Status.CURRENT
