"""``dockyard demo``: the whole rollout, so far, on a scratch copy of the bundled example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard import demo as rollout
from dockyard import ui
from dockyard.tasks._common import emit, progress, task


@task(
    help={
        "example": "project to demo on (default: the bundled examples/inference-service)",
        "runs": "benchmark repeats (default 3 for the baseline, 2 for the quick check)",
    }
)
def demo(c: Any, example: str | None = None, runs: int = 3, docker: str | None = None) -> None:
    """Run every phase dockyard has on a scratch copy of the bundled example and show the results."""

    def show(report: Any) -> None:
        ui.echo(ui.render_report(report, verbose=ui.verbosity() >= ui.VERBOSE) + "\n")

    with progress() as on_progress:
        report = rollout.run(
            Path(example).resolve() if example else None,
            docker=docker,
            runs=runs,
            progress=on_progress,
            show=show,
        )
    emit(report, shown=True)
