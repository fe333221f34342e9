"""``dockyard phase2``: the optimized build, rendered, linted, built, smoke-tested and measured."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase2 as phase
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "runs": "repeats of the quick code-change benchmark (default 2)",
        "bench": "run the quick benchmark against the baseline (default: yes)",
        "smoke": "run the image and wait for its health endpoint (default: yes)",
        "branch": "create or switch to the docker-optimization branch first (default: yes)",
    }
)
def phase2(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    runs: int = 2,
    bench: bool = True,
    smoke: bool = True,
    branch: bool = True,
    docker: str | None = None,
    json: str | None = None,
) -> None:
    """Write docker/Dockerfile (multi-stage, cache mounts), lint it, build it, smoke-test it, measure it."""
    s = settings(project, docker=docker)
    with progress() as on_progress:
        report = phase.run(
            s,
            dry=dry_run,
            force=force,
            runs=runs,
            bench=bench,
            smoke=smoke,
            branch=branch,
            progress=on_progress,
        )
    emit(report, json=json)
