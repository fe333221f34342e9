"""``invoke phase3``: compose files for production and development, the dev guide, and the live proof
that an edit reaches the running dev service without a rebuild."""

from __future__ import annotations

from typing import Any

from dockyard import ui
from dockyard.errors import CheckFailed
from dockyard.phases import phase3 as phase
from dockyard.tasks._common import settings, task


@task(
    help={
        "check": "prove hot reload on a scratch copy: start the dev stack with watch, edit the code, "
        "time the changed answer (default: on; --no-check skips it)",
        "rebuild": "with the check, also change a lock and wait for watch to rebuild the image",
        "timeout": "seconds the edited service has to answer with the change (default: 10)",
    }
)
def phase3(
    c: Any,
    project: str | None = None,
    dry: bool = False,
    force: bool = False,
    docker: str | None = None,
    check: bool = True,
    rebuild: bool = False,
    timeout: float = 10.0,
) -> None:
    """Write docker/compose.yaml, docker/compose.dev.yaml (develop.watch) and docs/development.md."""
    s = settings(project, docker=docker)
    status = ui.StatusLine()
    try:
        report = phase.run(
            s, dry=dry, force=force, check=check, rebuild=rebuild, timeout=timeout, on_status=status.update
        )
    finally:
        status.close()
    for note in report.plan.notes:
        ui.echo(f"note: {note}")
    if dry:
        ui.echo(report.dry_run)
        return
    for outcome in report.outcomes:
        ui.echo(outcome.message)
    ui.echo(f"docker compose {report.compose_version} accepts both files")
    result = report.hot_reload
    if result is None:
        ui.echo("\nhot reload not checked (--no-check); `invoke dev.watch` starts the loop")
        return
    ui.echo("\nhot reload, checked on a scratch copy:")
    ui.echo(ui.table(result.rows(), ["check", "result"]))
    if not result.ok:
        raise CheckFailed(
            f"the hot-reload check failed: {result.message}",
            hint="`invoke dev.watch` then `invoke dev.logs` shows what the dev server saw",
        )
