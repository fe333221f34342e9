"""``dockyard ci``: write the GitHub Actions workflow and the GitLab CI file for the project."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase5
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "json": "write the report as JSON to this file, or - for stdout",
        "registry": "registry for the image and its build cache (default: the registry setting)",
    }
)
def ci(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    registry: str | None = None,
    json: str | None = None,
) -> None:
    """Write .github/workflows/docker.yml and .gitlab-ci.yml: registry cache, scan, benchmark gate."""
    s = settings(project, registry=registry)
    emit(phase5.ci_step(s, dry=dry_run, force=force), json=json)
