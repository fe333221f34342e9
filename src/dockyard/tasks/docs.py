"""``dockyard docs``: write docs/developer-guide.md from the project's real state."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase5
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "check": "write nothing; exit non-zero when the guide is out of date (for CI)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def docs(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    check: bool = False,
    json: str | None = None,
) -> None:
    """Write docs/developer-guide.md: what each phase changed, the measurements, tasks, locks, CI, scan."""
    s = settings(project)
    emit(phase5.docs_step(s, dry=dry_run, force=force, check=check), json=json)
