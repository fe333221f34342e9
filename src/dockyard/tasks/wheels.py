"""``invoke wheels``: build the wheelhouse for the locked requirements (see :mod:`dockyard.wheelhouse`)."""

from __future__ import annotations

from typing import Any

from dockyard import ui, wheelhouse
from dockyard.engine import Engine
from dockyard.engine.build import describe_step
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.tasks._common import settings, task


@task(help={"force": "rebuild every wheel set, even those whose key matches"})
def wheels(c: Any, project: str | None = None, docker: str | None = None, force: bool = False) -> None:
    """Build wheels for the locked requirements in the target's base image, into .wheelhouse/."""
    s = settings(project, docker=docker)
    plan = plan_dockerfile(s)
    engine = Engine.connect(s)
    status = ui.StatusLine()
    try:
        report = wheelhouse.build(
            engine,
            plan,
            s.project,
            state_dir=s.state_dir,
            force=force,
            on_step=lambda step: status.update(describe_step(step)),
        )
    finally:
        status.close()
    ui.echo(ui.table(report.rows(), ["set", "from", "wheels"]))
    if report.built:
        ui.echo(f"\nbuilt {len(report.built)} set(s) in {ui.seconds(report.seconds)}; log: {report.log_path}")
    else:
        ui.echo(f"\nup to date: {report.before.directory} (--force rebuilds it)")
