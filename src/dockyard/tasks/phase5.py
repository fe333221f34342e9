"""``dockyard phase5``: CI pipelines, the build-time trend and the developer guide, in order."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase5 as phase
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "json": "write the report as JSON to this file, or - for stdout",
        "verbose": "show the diffs of a dry run",
    }
)
def phase5(
    c: Any,
    project: str | None = None,
    dry: bool = False,
    force: bool = False,
    json: str | None = None,
    verbose: bool = False,
) -> None:
    """Write the CI pipelines, draw the build-time trend, then write the developer guide."""
    s = settings(project)
    emit(phase.run(s, dry=dry, force=force), json=json, verbose=verbose)
