"""``invoke phase2``: the optimized build, rendered, linted, built, smoke-tested and measured."""

from __future__ import annotations

from typing import Any

from dockyard import ui
from dockyard.bench import report, results, stats
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.build import step_table, summary_rows
from dockyard.phases import phase2 as p2
from dockyard.phases.phase2_plan import app_port, health_path, original
from dockyard.tasks._common import settings, task
from dockyard.tasks.bench import run_benchmark
from dockyard.tasks.engine import measured_build
from dockyard.tasks.phase1 import run_phase1, show_or_apply


@task(
    help={
        "runs": "repeats of the quick code-change benchmark (default 2)",
        "bench": "run the quick benchmark against the baseline (default: yes)",
        "smoke": "run the image and wait for its health endpoint (default: yes)",
        "branch": "create or switch to the docker-optimization branch first (default: yes)",
    }
)
def phase2(
    c: Any,
    project: str | None = None,
    dry: bool = False,
    force: bool = False,
    runs: int = 2,
    bench: bool = True,
    smoke: bool = True,
    branch: bool = True,
    docker: str | None = None,
) -> None:
    """Write docker/Dockerfile (multi-stage, cache mounts), lint it, build it, smoke-test it, measure it."""
    s = settings(project, docker=docker)
    ui.echo("== phase 1 outputs (each step is skipped when current)")
    run_phase1(s, dry=dry, force=force, branch=branch)
    ui.echo(f"\n== {p2.DOCKERFILE}")
    engine = None if dry else Engine.connect(s)
    if dry and not (s.project / s.requirements_dir / "base.txt").is_file():
        ui.echo("  (dry run: the Dockerfile is rendered from phase 1's locks, which do not exist yet;")
        ui.echo("   run `invoke phase1`, then `invoke phase2 --dry` shows the Dockerfile's diff)")
        return
    files, notes = p2.plan_files(s, force=force, docker=engine.docker if engine else None)
    for note in notes:
        ui.echo(f"  {note}")
    show_or_apply(files, dry=dry)
    if engine is None:
        ui.echo("\n(dry run: lint, build, smoke test and benchmark skipped)")
        return
    dockerfile = s.project / p2.DOCKERFILE
    ui.echo("\n== lint")
    lint = p2.lint(s, dockerfile)
    ui.echo(ui.table(lint.rows(), ["check", "result"]))
    p2.require_clean(lint, dockerfile)

    ui.echo(f"\n== build ({p2.RUNTIME_TARGET} target)")
    tag = f"{s.project.name.lower()}:dockyard"
    built = measured_build(
        engine,
        BuildRequest(context=s.project, dockerfile=dockerfile, target=p2.RUNTIME_TARGET, tags=(tag,)),
        label="phase2",
    )
    ui.echo(step_table(built))
    ui.echo(ui.table(summary_rows(built), ["", ""], fmt="plain"))

    rows: list[tuple[str, str]] = [
        ("generated", p2.DOCKERFILE),
        ("lint", "; ".join(f"{tool}: {result}" for tool, result in lint.rows())),
        ("this build", f"{built.cache_hit_ratio:.0%} of steps cached"),
    ]
    current = original(s)
    port, path = app_port(s, current), health_path(s, current)
    if smoke and not (port and path):
        rows.append(("smoke test", "skipped: not a network service (app_port 0 or no health_path)"))
    elif smoke:
        ui.echo("\n== smoke test")
        smoked = p2.smoke_test(engine, built.image_id, port=port, health_path=path)
        ui.echo(f"  {smoked.url} answered after {smoked.seconds_to_healthy:.1f}s: {smoked.body[:80]}")
        rows.append(("smoke test", f"{path} answered in {smoked.seconds_to_healthy:.1f}s"))
    if bench and (s.project / "Dockerfile").is_file():
        ui.echo(f"\n== quick benchmark: code-change rebuild, {runs} runs, baseline vs optimized")
        variants = [
            Variant(name="baseline", dockerfile="Dockerfile"),
            Variant(name="optimized", dockerfile=p2.DOCKERFILE, target=p2.RUNTIME_TARGET),
        ]
        doc = run_benchmark(engine, variants, Options(scenarios=("code",), runs=runs))
        result = results.from_document(doc)
        ui.echo(report.table(result))
        before, after = result.variant("baseline"), result.variant("optimized")
        rows.append(
            (
                "image size",
                f"{ui.human_bytes(before.image_bytes or 0)} -> {ui.human_bytes(after.image_bytes or 0)}",
            )
        )
        code_before = before.scenarios["code"].summary
        code_after = after.scenarios["code"].summary
        speed = stats.speedup(code_before.median, code_after.median)
        rows.append(
            (
                "code-change rebuild (median)",
                f"{ui.seconds(code_before.median)} -> {ui.seconds(code_after.median)}"
                + (f" ({speed:.1f}x faster)" if speed else ""),
            )
        )
    ui.echo("\n== phase 2 summary")
    ui.echo(ui.table(rows, ["", ""], fmt="simple"))
