"""``invoke demo``: the whole rollout, so far, on a scratch copy of the bundled example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard import ui
from dockyard.demo import scratch_copy
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.build import step_table, summary_rows
from dockyard.tasks._common import settings, task
from dockyard.tasks.engine import doctor, measured_build


@task(help={"example": "project to demo on (default: the bundled examples/inference-service)"})
def demo(c: Any, example: str | None = None, docker: str | None = None) -> None:
    """Run every phase dockyard has on a scratch copy of the bundled example and show the results."""
    work = scratch_copy(Path(example).resolve() if example else None)
    ui.echo(f"== working on a scratch copy: {work}\n")
    ui.echo("== doctor")
    doctor(c, project=str(work), docker=docker)
    s = settings(str(work), docker=docker)
    engine = Engine.connect(s)
    ui.echo("\n== the naive build, as the project has it")
    request = BuildRequest(context=work, dockerfile=work / "Dockerfile", tags=("dockyard-demo:naive",))
    result = measured_build(engine, request, label="demo-naive")
    ui.echo(step_table(result))
    ui.echo()
    ui.echo(ui.table(summary_rows(result), ["", ""], fmt="plain"))
