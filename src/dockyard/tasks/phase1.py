"""``invoke phase1``: prepare a project (branch, baseline, requirements, .dockerignore)."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard import process, ui
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options, parse_scenarios
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.phases import phase1 as p1
from dockyard.render import writer
from dockyard.render.writer import WritePlan
from dockyard.tasks._common import settings, task
from dockyard.tasks.bench import run_benchmark

BASELINE_HELP = {
    "scenario": "scenarios to measure (default: noop,code,deps; add cold with --allow-prune)",
    "runs": "repeats per scenario (default: bench_runs setting, 3)",
    "allow_prune": "measure the cold build too (empties the build cache)",
    "rebaseline": "measure again even if the saved baseline matches the Dockerfile",
}


def show_or_apply(plan: WritePlan, *, dry: bool) -> None:
    if dry:
        ui.echo(writer.describe(plan))
        return
    for outcome in writer.apply(plan):
        ui.echo(f"  {outcome.message}")


def do_requirements(s: Settings, *, dry: bool, force: bool) -> None:
    ui.echo("== requirements: split and lock")
    step = p1.plan_requirements(s, force=force)
    for line in step.findings:
        ui.echo(f"  {line}")
    for plan in step.plans():
        show_or_apply(plan, dry=dry)


def do_dockerignore(s: Settings, *, dry: bool, force: bool) -> None:
    ui.echo("== .dockerignore")
    step = p1.plan_dockerignore(s, force=force)
    for line in step.report():
        ui.echo(line)
    show_or_apply(step.plan, dry=dry)


def do_baseline(s: Settings, *, dry: bool, scenario: str | None, allow_prune: bool, rebaseline: bool) -> None:
    ui.echo("== baseline: the current Dockerfile, measured")
    if not (s.project / "Dockerfile").is_file():
        ui.echo("  no Dockerfile in the project: nothing to measure")
        return
    if p1.baseline_current(s) and not rebaseline:
        ui.echo(
            f"  up to date: {p1.baseline_dir(s)} measured this Dockerfile (--rebaseline to measure again)"
        )
        return
    chosen = scenario or ("cold,noop,code,deps" if allow_prune else "noop,code,deps")
    options = Options(scenarios=parse_scenarios(chosen), runs=s.bench_runs, allow_prune=allow_prune)
    if dry:
        where = p1.baseline_dir(s)
        ui.echo(f"  would benchmark Dockerfile ({chosen}, {s.bench_runs} runs) and save it in {where}")
        return
    doc = run_benchmark(Engine.connect(s), [Variant(name="baseline", dockerfile="Dockerfile")], options)
    for path in p1.save_baseline(s, doc):
        ui.echo(f"  wrote {path.relative_to(s.project)}")
    from dockyard.bench import report

    ui.echo(report.table(doc))


def do_branch(s: Settings, *, dry: bool) -> None:
    ui.echo("== branch")
    decision = p1.decide_branch(s)
    ui.echo(f"  {decision.message}")
    argv = p1.branch_argv(s, decision)
    if argv and not dry:
        process.run(argv)


@task(
    name="all",
    default=True,
    help={**BASELINE_HELP, "branch": "create or switch to the docker-optimization branch (default: yes)"},
)
def all_(
    c: Any,
    project: str | None = None,
    dry: bool = False,
    force: bool = False,
    branch: bool = True,
    scenario: str | None = None,
    runs: int | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    docker: str | None = None,
) -> None:
    """Prepare the project: branch, baseline, split and locked requirements, .dockerignore."""
    s = settings(project, docker=docker, bench_runs=runs)
    run_phase1(
        s,
        dry=dry,
        force=force,
        branch=branch,
        scenario=scenario,
        allow_prune=allow_prune,
        rebaseline=rebaseline,
    )


def run_phase1(
    s: Settings,
    *,
    dry: bool,
    force: bool,
    branch: bool = True,
    scenario: str | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
) -> None:
    """Every phase-1 step; each is idempotent, so later phases call this to bring outputs up to date."""
    if branch:
        do_branch(s, dry=dry)
    do_baseline(s, dry=dry, scenario=scenario, allow_prune=allow_prune, rebaseline=rebaseline)
    do_requirements(s, dry=dry, force=force)
    do_dockerignore(s, dry=dry, force=force)


@task(name="requirements")
def requirements_(c: Any, project: str | None = None, dry: bool = False, force: bool = False) -> None:
    """Split requirements into base/ml/test/dev .in files and lock them with hashes."""
    do_requirements(settings(project), dry=dry, force=force)


@task()
def dockerignore(c: Any, project: str | None = None, dry: bool = False, force: bool = False) -> None:
    """Write a comprehensive .dockerignore and report the build context before and after."""
    do_dockerignore(settings(project), dry=dry, force=force)


@task(help=BASELINE_HELP)
def baseline(
    c: Any,
    project: str | None = None,
    dry: bool = False,
    scenario: str | None = None,
    runs: int | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    docker: str | None = None,
) -> None:
    """Benchmark the project's current Dockerfile and save it as the baseline."""
    s = settings(project, docker=docker, bench_runs=runs)
    do_baseline(s, dry=dry, scenario=scenario, allow_prune=allow_prune, rebaseline=rebaseline)


@task(name="branch")
def branch_(c: Any, project: str | None = None, dry: bool = False) -> None:
    """Create or switch to the docker-optimization branch (never stashes or discards work)."""
    do_branch(settings(project), dry=dry)


phase1 = Collection("phase1")
for t in (all_, requirements_, dockerignore, baseline, branch_):
    phase1.add_task(t)
