"""``dockyard phase4``: the registry cache a fresh CI runner imports, and parallel target builds."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase4 as phase
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "target": "comma-separated stages to build together (default: runtime,test,dev)",
        "jobs": "how many targets build at once (default: all of them)",
        "cache_export": "push each target's registry cache (default: yes)",
        "measure": "time serial against parallel builds on scratch copies (default: yes; three full builds)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def phase4(
    c: Any,
    project: str | None = None,
    docker: str | None = None,
    target: str | None = None,
    jobs: int = 0,
    cache_export: bool = True,
    measure: bool = True,
    json: str | None = None,
    force: bool = False,
) -> None:
    """Push the registry cache a fresh CI runner imports; build targets in parallel, with a timeline."""
    s = settings(project, docker=docker)
    targets = tuple(t.strip() for t in target.split(",") if t.strip()) if target else phase.TARGETS
    options = phase.Options(
        targets=targets, jobs=jobs or len(targets), export_cache=cache_export, measure=measure, force=force
    )
    with progress() as on_progress:
        report = phase.run_phase(s, options=options, progress=on_progress)
    emit(report, json=json)
