"""``dockyard phase3``: compose files for production and development, the dev guide, and the live
proof that an edit reaches the running dev service without a rebuild."""

from __future__ import annotations

from typing import Any

from dockyard.phases import phase3 as phase
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "check": "prove hot reload on a scratch copy: start the dev stack with watch, edit the code, "
        "time the changed answer (default: on; --no-check skips it)",
        "rebuild": "with the check, also change a lock and wait for watch to rebuild the image",
        "timeout": "seconds the edited service has to answer with the change (default: 10)",
        "branch": "create or switch to the docker-optimization branch first (default: yes)",
    }
)
def phase3(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    docker: str | None = None,
    check: bool = True,
    rebuild: bool = False,
    timeout: float = 10.0,
    branch: bool = True,
    json: str | None = None,
) -> None:
    """Write docker/compose.yaml, docker/compose.dev.yaml (develop.watch) and docs/development.md."""
    s = settings(project, docker=docker)
    with progress() as on_progress:
        report = phase.run(
            s,
            dry=dry_run,
            force=force,
            check=check,
            rebuild=rebuild,
            branch=branch,
            timeout=timeout,
            progress=on_progress,
        )
    emit(report, json=json)
