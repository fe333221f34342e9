"""``dockyard phase1``: prepare a project (branch, baseline, requirements, .dockerignore)."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard.phases import phase1 as phase
from dockyard.tasks._common import emit, progress, settings, task

BASELINE_HELP = {
    "scenario": "scenarios to measure (default: noop,code,deps; add cold with --allow-prune)",
    "runs": "repeats per scenario (default: bench_runs setting, 3)",
    "allow_prune": "measure the cold build too (empties the build cache)",
    "rebaseline": "measure again even if the saved baseline matches the Dockerfile",
}


@task(
    name="all",
    default=True,
    help={**BASELINE_HELP, "branch": "create or switch to the docker-optimization branch (default: yes)"},
)
def all_(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    branch: bool = True,
    scenario: str | None = None,
    runs: int | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    docker: str | None = None,
    json: str | None = None,
) -> None:
    """Prepare the project: branch, baseline, split and locked requirements, .dockerignore."""
    s = settings(project, docker=docker, bench_runs=runs)
    with progress() as on_progress:
        report = phase.run(
            s,
            dry=dry_run,
            force=force,
            branch=branch,
            scenario=scenario,
            allow_prune=allow_prune,
            rebaseline=rebaseline,
            progress=on_progress,
        )
    emit(report, json=json)


@task(name="requirements")
def requirements_(
    c: Any, project: str | None = None, dry_run: bool = False, force: bool = False, json: str | None = None
) -> None:
    """Split requirements into base/ml/test/dev .in files and lock them with hashes."""
    emit(phase.requirements_step(settings(project), dry=dry_run, force=force), json=json)


@task()
def dockerignore(
    c: Any, project: str | None = None, dry_run: bool = False, force: bool = False, json: str | None = None
) -> None:
    """Write a comprehensive .dockerignore and report the build context before and after."""
    emit(phase.dockerignore_step(settings(project), dry=dry_run, force=force), json=json)


@task(help=BASELINE_HELP)
def baseline(
    c: Any,
    project: str | None = None,
    dry_run: bool = False,
    scenario: str | None = None,
    runs: int | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    docker: str | None = None,
    json: str | None = None,
) -> None:
    """Benchmark the project's current Dockerfile and save it as the baseline."""
    s = settings(project, docker=docker, bench_runs=runs)
    with progress() as on_progress:
        report = phase.baseline_step(
            s,
            dry=dry_run,
            scenario=scenario,
            allow_prune=allow_prune,
            rebaseline=rebaseline,
            progress=on_progress,
        )
    emit(report, json=json)


@task(name="branch")
def branch_(c: Any, project: str | None = None, dry_run: bool = False, json: str | None = None) -> None:
    """Create or switch to the docker-optimization branch (never stashes or discards work)."""
    emit(phase.branch_step(settings(project), dry=dry_run), json=json)


phase1 = Collection("phase1")
for t in (all_, requirements_, dockerignore, baseline, branch_):
    phase1.add_task(t)
