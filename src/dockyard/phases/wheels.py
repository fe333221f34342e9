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
    """Wheels for the locked requirements, built in the target's base image, into the wheelhouse."""
    built = wheelhouse.build(
        engine,
        plan_dockerfile(settings),
        settings.project,
        state_dir=settings.state_dir,
        force=force,
        on_step=lambda step: progress(describe_step(step)),
    )
    if built.built:
        status = Status.DONE
        summary = f"built {len(built.built)} set(s) in {ui.seconds(built.seconds)}; log: {built.log_path}"
    else:
        status, summary = Status.CURRENT, f"{built.before.directory} is up to date (--force rebuilds it)"
    return StepReport(
        name="wheels",
        status=status,
        summary=summary,
        tables=(Table.of("", ["set", "from", "wheels"], built.rows()),),
    )
