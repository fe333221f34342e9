"""``dockyard bench``: measure variants side by side; ``bench.compare`` and ``bench.report``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoke.collection import Collection

from dockyard import layout
from dockyard.bench.model import DEFAULT_SCENARIOS, SCENARIOS
from dockyard.bench.runner import Options, parse_scenarios, parse_variant
from dockyard.bench.scenarios import DEFAULT_PACKAGE
from dockyard.engine import Engine
from dockyard.errors import ConfigError
from dockyard.phases import benchmark
from dockyard.tasks._common import emit, progress, settings, task


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
        "json": "also write the result document here (the report, with --json -, goes to stdout)",
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
    variants = [parse_variant(v) for v in variant] if variant else benchmark.default_variants(s)
    options = Options(
        scenarios=parse_scenarios(scenario) if scenario else DEFAULT_SCENARIOS,
        runs=s.bench_runs,
        allow_prune=allow_prune,
        code_file=Path(code_file) if code_file else None,
        package=package or DEFAULT_PACKAGE,
        requirements_dir=s.requirements_dir,
    )
    out = Path(json) if json and json != "-" else None
    with progress() as on_progress:
        report = benchmark.bench(
            s, Engine.connect(s), variants, options, json_out=out, history=history, progress=on_progress
        )
    emit(report, json="-" if json == "-" else None)


@task(
    help={
        "baseline": "result document (JSON) to compare against (required)",
        "result": "new result document (default: the project's latest benchmark)",
        "threshold": "percent slower than the baseline median that counts as a regression (default 10)",
    }
)
def compare(
    c: Any,
    baseline: str | None = None,
    result: str | None = None,
    threshold: float = 10.0,
    project: str | None = None,
    json: str | None = None,
) -> None:
    """Compare a result with a baseline; exit 9 on a regression beyond the threshold."""
    if not baseline:
        raise ConfigError("--baseline is required", hint="e.g. --baseline .dockyard/baseline/result.json")
    new = Path(result) if result else layout.bench_latest(settings(project))
    emit(benchmark.compare(Path(baseline), new, threshold=threshold), json=json)


@task(
    name="report",
    help={
        "result": "result document (default: the project's latest benchmark)",
        "out": "directory for benchmark.md and benchmark.png (default: <project>/docs)",
    },
)
def report_(
    c: Any,
    result: str | None = None,
    out: str | None = None,
    project: str | None = None,
    json: str | None = None,
) -> None:
    """Write the benchmark as Markdown tables and, with dockyard[charts], a PNG bar chart."""
    s = settings(project)
    source = Path(result) if result else layout.bench_latest(s)
    emit(benchmark.write_report(source, Path(out) if out else s.project / layout.BENCH_DOCS_DIR), json=json)


bench = Collection("bench")
bench.add_task(run, default=True)
bench.add_task(compare)
bench.add_task(report_)
