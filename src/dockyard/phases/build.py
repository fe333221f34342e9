"""One measured build as a step: the build result, its step table and its summary."""

from __future__ import annotations

from dockyard.engine import BuildRequest, BuildResult, Engine
from dockyard.engine.build import describe_step, step_table, summary_rows
from dockyard.phases.report import Measurement, Progress, Status, StepReport, Table, no_progress


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
            Measurement(name="cache hit ratio", value=round(result.cache_hit_ratio, 4), unit="%"),
            Measurement(name="image size", value=float(result.image_bytes or 0), unit="B"),
        ),
        tables=(Table.of("", ["", ""], summary_rows(result)),),
        text=step_table(result),
        data=result.as_json(),
    )


def build(
    engine: Engine, request: BuildRequest, *, label: str, progress: Progress = no_progress
) -> StepReport:
    return build_report(measured_build(engine, request, label=label, progress=progress))
