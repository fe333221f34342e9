"""``invoke bench``: measure variants side by side; ``bench.compare`` and ``bench.report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoke.collection import Collection

from dockyard import ui
from dockyard.bench import report, results
from dockyard.bench.model import DEFAULT_SCENARIOS, SCENARIOS, Variant
from dockyard.bench.runner import Options, Runner, Step, bench_engine, parse_scenarios, parse_variant
from dockyard.bench.scenarios import DEFAULT_PACKAGE
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.tasks._common import settings, task


def default_variants(s: Settings) -> list[Variant]:
    found = [Variant(name="current", dockerfile="Dockerfile")] if (s.project / "Dockerfile").is_file() else []
    if (s.project / "docker" / "Dockerfile").is_file():
        found.append(Variant(name="optimized", dockerfile="docker/Dockerfile", target="runtime"))
    return found


def bench_dir(s: Settings) -> Path:
    return s.state_path / "bench"


def history_path(s: Settings) -> Path:
    return bench_dir(s) / "history.jsonl"


def latest_path(s: Settings) -> Path:
    return bench_dir(s) / "latest.json"


def run_benchmark(engine_in: Engine, variants: list[Variant], options: Options) -> dict[str, Any]:
    """Run with a live status line (which build, and an estimate of what is left)."""
    engine, cache_note = bench_engine(engine_in)
    if {"cold", "fresh"} & set(options.scenarios) or engine is not engine_in:
        ui.echo(f"build cache: {cache_note}")
    status = ui.StatusLine()
    where = {"text": ""}

    def progress(index: int, total: int, step: Step, left: float | None) -> None:
        eta = f", ~{_minutes(left)} left" if left is not None else ""
        where["text"] = f"build {index}/{total}: {step.label(options.runs)}{eta}"
        status.update(where["text"])

    def build_step(name: str) -> None:
        if status.live:
            status.update(f"{where['text']} | {name[:50]}")

    runner = Runner(engine, engine.settings.project, tuple(variants), options, progress, build_step)
    try:
        measurements = runner.run()
    finally:
        status.close()
    return results.to_document(measurements)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}m{seconds % 60:02.0f}s" if seconds >= 60 else f"{seconds:.0f}s"


@task(
    iterable=["variant"],
    help={
        "variant": "NAME=DOCKERFILE[:TARGET], repeatable; the first is the baseline "
        "(default: current=Dockerfile and, if present, optimized=docker/Dockerfile:runtime)",
        "scenario": f"comma-separated scenarios from {','.join(SCENARIOS)} "
        f"(default: {','.join(DEFAULT_SCENARIOS)}); fresh needs --allow-prune and the registry",
        "runs": "repeats per scenario (default: bench_runs setting, 3)",
        "allow_prune": "let the cold scenario empty the build cache (layers and cache mounts): with buildx "
        "only that of dockyard's own builder instance 'dockyard-bench', else the daemon's",
        "json": "also write the result document here",
        "code_file": "source file the code scenario edits (default: picked automatically)",
        "package": "package the deps scenario adds, in successive versions (default: six)",
        "history": "append the result to .dockyard/bench/history.jsonl (default: yes)",
    },
)
def run(
    c: Any,
    project: str | None = None,
    variant: list[str] | None = None,
    scenario: str | None = None,
    runs: int | None = None,
    allow_prune: bool = False,
    json: str | None = None,
    code_file: str | None = None,
    package: str | None = None,
    history: bool = True,
    docker: str | None = None,
) -> None:
    """Benchmark cold, no-change, code-change and dependency-change builds, variants side by side."""
    s = settings(project, docker=docker, bench_runs=runs)
    variants = [parse_variant(v) for v in variant] if variant else default_variants(s)
    options = Options(
        scenarios=parse_scenarios(scenario) if scenario else DEFAULT_SCENARIOS,
        runs=s.bench_runs,
        allow_prune=allow_prune,
        code_file=Path(code_file) if code_file else None,
        package=package or DEFAULT_PACKAGE,
    )
    engine = Engine.connect(s)
    doc = run_benchmark(engine, variants, options)
    results.write_result(latest_path(s), doc)
    if json:
        results.write_result(Path(json), doc)
    if history:
        results.append_history(history_path(s), doc)
    ui.echo(report.table(doc))
    ui.echo(f"\nresult: {latest_path(s)}" + (f" and {json}" if json else ""))


@task(
    help={
        "baseline": "result document (JSON) to compare against",
        "result": "new result document (default: the project's latest benchmark)",
        "threshold": "percent slower than the baseline median that counts as a regression (default 10)",
    }
)
def compare(
    c: Any, baseline: str, result: str | None = None, threshold: float = 10.0, project: str | None = None
) -> None:
    """Compare a result with a baseline; exit non-zero on a regression beyond the threshold."""
    s = settings(project)
    old = results.read_result(Path(baseline))
    new = results.read_result(Path(result) if result else latest_path(s))
    comparison = results.compare(old, new, threshold_pct=threshold)
    ui.echo(report.comparison_table(comparison))
    results.check(comparison)
    ui.echo(f"\nno regression beyond {threshold:g}%")


@task(
    name="report",
    help={
        "result": "result document (default: the project's latest benchmark)",
        "out": "directory for benchmark.md and benchmark.png (default: <project>/docs)",
    },
)
def report_(c: Any, result: str | None = None, out: str | None = None, project: str | None = None) -> None:
    """Write the benchmark as Markdown tables and a PNG bar chart, for the docs."""
    s = settings(project)
    doc = results.read_result(Path(result) if result else latest_path(s))
    folder = Path(out) if out else s.project / "docs"
    from dockyard.render.writer import atomic_write_text

    atomic_write_text(folder / "benchmark.md", report.markdown(doc))
    report.chart_png(doc, folder / "benchmark.png")
    ui.echo(f"wrote {folder / 'benchmark.md'} and {folder / 'benchmark.png'}")


bench = Collection("bench")
bench.add_task(run, default=True)
bench.add_task(compare)
bench.add_task(report_)
