"""``dockyard phase5``: CI pipelines, the build-time trend and the developer guide, in order."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase5 as phase
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def phase5(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    json: str | None = None,
) -> None:
    """Write the CI pipelines, draw the build-time trend, then write the developer guide."""
    s = settings(project)
    emit(phase.run(s, dry=dry_run, force=force), json=json)
