"""The guided rollout on the bundled example: copy it to scratch space, then run every phase there.

The example in ``examples/`` stays naive in git forever; the demo always works on a fresh copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from dockyard import config, process
from dockyard.errors import ConfigError
from dockyard.layout import DEMO_SCRATCH, bundled_example, repo_root
from dockyard.phases import rollout
from dockyard.phases.doctor import doctor
from dockyard.phases.report import Progress, Status, StepReport, no_progress

SCRATCH = DEMO_SCRATCH


def scratch_copy(example: Path | None = None, scratch: Path | None = None) -> Path:
    """A fresh copy of the example in the scratch directory (ignored by git), returned."""
    source = example or bundled_example()
    if source is None or not source.is_dir():
        raise ConfigError(
            "the bundled example was not found",
            hint="run the demo from a dockyard checkout, or pass --example DIR",
        )
    base = scratch or ((repo_root() or Path.cwd()) / SCRATCH)
    target = base / source.name
    if target.exists():
        shutil.rmtree(target)
    base.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True)
    return target


def git_init_argvs(work: Path) -> list[list[str]]:
    """Make the copy a git repository with one commit, as a user's project would be."""
    return [
        ["git", "-C", str(work), "init", "--quiet", "--initial-branch", "main"],
        ["git", "-C", str(work), "add", "--all"],
        ["git", "-C", str(work), "-c", "user.name=dockyard demo", "-c", "user.email=demo@dockyard.invalid",
         "commit", "--quiet", "--message", "the naive service"],
    ]  # fmt: skip


def run(
    example: Path | None = None,
    *,
    docker: str | None = None,
    runs: int = 3,
    progress: Progress = no_progress,
    show: Callable[[StepReport], None] = lambda _report: None,
) -> StepReport:
    """doctor, then the rollout (phases 1 to 5) on a scratch copy; ``show`` gets each report when done."""
    work = scratch_copy(example)
    for argv in git_init_argvs(work):
        process.run(argv)
    flags = {"docker": docker} if docker else {}
    progress("doctor")
    checked = doctor(config.load(work, flags))
    show(checked)
    steps: list[StepReport] = [checked]
    if not checked.failed:
        settings = config.load(work, {**flags, "bench_runs": runs})
        steps.append(rollout.run(settings, rollout.PHASES, fresh=True, progress=progress, show=show))
    failed = any(s.failed for s in steps)
    return StepReport(
        name="demo",
        status=Status.FAILED if failed else Status.DONE,
        summary=f"on a scratch copy: {work}",
        data={"project": str(work)},
    )
