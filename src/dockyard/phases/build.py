"""One measured build as a step: the build result, its step table and its summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dockyard.engine import BuildRequest, BuildResult, Engine, platform_plan
from dockyard.engine.build import describe_step, step_table, summary_rows
from dockyard.engine.platform_plan import PlatformPlan
from dockyard.phases.report import Measurement, Progress, Status, StepReport, Table, no_progress


def with_platforms(engine: Engine, request: BuildRequest) -> tuple[BuildRequest, PlatformPlan]:
    """``request`` for the ``platforms`` setting, checked against the builder (an error says what to set)."""
    chosen = platform_plan.plan(
        engine.settings.platforms, engine.builder, tags=request.tags, registry=engine.settings.registry
    )
    return chosen.apply(request), chosen


def _with_platform_rows(report: StepReport, chosen: PlatformPlan) -> StepReport:
    if not chosen.platforms:
        return report
    return replace(report, tables=(*report.tables, Table.of("platforms", ["", ""], chosen.rows())))


def measured_build(
    engine: Engine, request: BuildRequest, *, label: str, progress: Progress = no_progress
) -> BuildResult:
    """Build, telling ``progress`` which step is running."""
    return engine.build(request, label=label, on_step=lambda step: progress(describe_step(step)))


def build_report(result: BuildResult, *, name: str = "build") -> StepReport:
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=f"{result.cache_hit_ratio:.0%} of steps cached",
        measurements=(
            Measurement(name="wall time", value=round(result.wall_s, 3), unit="s"),
            Measurement(name="cache hit ratio", value=round(result.cache_hit_ratio * 100, 1), unit="%"),
            Measurement(name="image size", value=float(result.image_bytes or 0), unit="B"),
        ),
        tables=(Table.of("", ["", ""], summary_rows(result)),),
        text=step_table(result),
        data=result.as_json(),
    )


def build(
    engine: Engine, request: BuildRequest, *, label: str, progress: Progress = no_progress
) -> StepReport:
    request, chosen = with_platforms(engine, request)
    report = build_report(measured_build(engine, request, label=label, progress=progress))
    return _with_platform_rows(report, chosen)


def cached(
    engine: Engine, request: BuildRequest, *, label: str, push: bool = True, progress: Progress = no_progress
) -> StepReport:
    """A build through the registry cache, pushing it back unless told not to (a fresh runner's build)."""
    from dockyard import dockerfile as dockerfile_mod
    from dockyard.engine.cache import build_with_cache, plan_cache

    request, chosen = with_platforms(engine, request)
    assert request.dockerfile is not None
    plan = plan_cache(
        dockerfile_mod.parse_file(request.dockerfile),
        request.target,
        registry=engine.settings.registry,
        project=engine.settings.project.name,
        builder=engine.builder,
    )
    results = build_with_cache(
        engine, request, plan, export=push, label=label, on_step=lambda step: progress(describe_step(step))
    )
    report = build_report(results[-1])
    report = replace(
        report, tables=(Table.of("registry cache", ["stage", "cache", "ref"], plan.rows()), *report.tables)
    )
    return _with_platform_rows(report, chosen)


def targets(
    engine: Engine,
    request: BuildRequest,
    names: Sequence[str],
    *,
    jobs: int,
    png: Path | None = None,
    progress: Progress = no_progress,
) -> StepReport:
    """Several targets at once (bake with buildx, bounded concurrent builds otherwise), with a timeline."""
    from dockyard.engine.parallel import build_targets
    from dockyard.phases.phase4 import targets_report

    request, chosen = with_platforms(engine, request)
    built = build_targets(
        engine,
        request,
        list(names),
        jobs=jobs,
        name=engine.settings.project.name.lower(),
        on_step=lambda step: progress(describe_step(step)),
    )
    return _with_platform_rows(targets_report(built, png=png), chosen)
