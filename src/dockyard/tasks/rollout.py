"""``dockyard rollout``: phases 1 to 5 in order, resumable, ending with docs/rollout-report.md."""

from __future__ import annotations

from typing import Any

from dockyard import ui
from dockyard.phases import rollout as phase
from dockyard.phases.report import StepReport
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "fresh": "run every phase again, even those that finished on this project state",
        "runs": "benchmark repeats (default: the bench_runs setting, 3)",
    }
)
def rollout(
    c: Any,
    project: str | None = None,
    fresh: bool = False,
    runs: int | None = None,
    docker: str | None = None,
    json: str | None = None,
) -> None:
    """Run phases 1 to 5 in order (a resumed run skips finished phases); write docs/rollout-report.md."""
    s = settings(project, docker=docker, bench_runs=runs)

    def show(report: StepReport) -> None:
        if not json:
            ui.echo(ui.render_report(report, verbose=ui.verbosity() >= ui.VERBOSE) + "\n")

    with progress() as on_progress:
        report = phase.run(s, phase.PHASES, fresh=fresh, progress=on_progress, show=show)
    emit(report, json=json, shown=True)
