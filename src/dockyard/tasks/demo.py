"""``invoke demo``: the whole rollout, so far, on a scratch copy of the bundled example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard import process, ui
from dockyard.demo import scratch_copy
from dockyard.tasks._common import task
from dockyard.tasks.engine import doctor
from dockyard.tasks.phase1 import all_ as phase1
from dockyard.tasks.phase2 import phase2
from dockyard.tasks.phase3 import phase3
from dockyard.tasks.phase4 import phase4


@task(
    help={
        "example": "project to demo on (default: the bundled examples/inference-service)",
        "runs": "benchmark repeats (default 3 for the baseline, 2 for the quick check)",
    }
)
def demo(c: Any, example: str | None = None, runs: int = 3, docker: str | None = None) -> None:
    """Run every phase dockyard has on a scratch copy of the bundled example and show the results."""
    work = scratch_copy(Path(example).resolve() if example else None)
    ui.echo(f"== working on a scratch copy: {work}\n")
    for argv in (
        ["git", "-C", str(work), "init", "--quiet", "--initial-branch", "main"],
        ["git", "-C", str(work), "add", "--all"],
        ["git", "-C", str(work), "-c", "user.name=dockyard demo", "-c", "user.email=demo@dockyard.invalid",
         "commit", "--quiet", "--message", "the naive service"],
    ):  # fmt: skip
        process.run(argv)
    ui.echo("\n######## doctor")
    doctor(c, project=str(work), docker=docker)
    ui.echo("\n######## phase 1: preparation")
    phase1(c, project=str(work), docker=docker, runs=runs)
    ui.echo("\n######## phase 2: the optimized build")
    phase2(c, project=str(work), docker=docker, runs=max(2, runs - 1))
    ui.echo("\n######## phase 3: the development loop")
    phase3(c, project=str(work), docker=docker)
    ui.echo("\n######## phase 4: the registry cache, parallel targets and their timeline")
    phase4(c, project=str(work), docker=docker)
