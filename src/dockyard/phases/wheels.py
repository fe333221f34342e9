"""``dockyard wheels`` as a step: build (or reuse) the wheelhouse for the locks."""

from __future__ import annotations

from dockyard import ui, wheelhouse
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.engine.build import describe_step
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.phases.report import Progress, Status, StepReport, Table, no_progress


def wheels(
    settings: Settings, engine: Engine, *, force: bool = False, progress: Progress = no_progress
) -> StepReport:
    """Wheels for the locked requirements, built in the target's base image, into the wheelhouse:
    one per platform of the ``platforms`` setting (none: the base image's own)."""
    plan = plan_dockerfile(settings)
    reports = [
        wheelhouse.build(
            engine,
            plan,
            settings.project,
            state_dir=settings.state_dir,
            force=force,
            on_step=lambda step: progress(describe_step(step)),
            platform=platform,
        )
        for platform in settings.platforms or (None,)
    ]
    rows = [(r.after.platform or "", *row) for r in reports for row in r.rows()]
    built = [r for r in reports if r.built]
    if built:
        status = Status.DONE
        seconds = sum(r.seconds for r in reports)
        logs = ", ".join(str(r.log_path) for r in built)
        count = sum(len(r.built) for r in built)
        summary = f"built {count} set(s) in {ui.seconds(seconds)}; log: {logs}"
    else:
        status = Status.CURRENT
        where = ", ".join(str(r.before.directory) for r in reports)
        summary = f"{where} up to date (--force rebuilds it)"
    return StepReport(
        name="wheels",
        status=status,
        summary=summary,
        tables=(Table.of("", ["platform", "set", "from", "wheels"], rows),),
    )
