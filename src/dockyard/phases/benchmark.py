"""The benchmark as steps: run it (with progress), compare two results, write the docs' report."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dockyard import layout
from dockyard.atomic import atomic_write_text
from dockyard.bench import report, results
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options, Runner, Step, bench_engine
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.errors import RegressionFound
from dockyard.phases.report import Finding, Level, Progress, Status, StepReport, no_progress

CHARTS_HINT = "install the charts extra for the PNG: pip install 'dockyard[charts]'"


def default_variants(settings: Settings) -> list[Variant]:
    """The project's own Dockerfile and, once phase 2 wrote it, the optimized one."""
    found = []
    if (settings.project / layout.BASELINE_DOCKERFILE).is_file():
        found.append(Variant(name="current", dockerfile=layout.BASELINE_DOCKERFILE))
    if (settings.project / layout.DOCKERFILE).is_file():
        found.append(Variant(name="optimized", dockerfile=layout.DOCKERFILE, target=layout.RUNTIME_TARGET))
    return found


def run_benchmark(
    engine_in: Engine, variants: list[Variant], options: Options, *, progress: Progress = no_progress
) -> tuple[dict[str, Any], str]:
    """The result document and a note on whose build cache the run used."""
    engine, cache_note = bench_engine(engine_in)
    if engine.settings.build_args:
        options = dataclasses.replace(
            options, build_args={**engine.settings.build_args, **options.build_args}
        )
    where = {"text": ""}

    def on_build(index: int, total: int, step: Step, left: float | None) -> None:
        eta = f", ~{_minutes(left)} left" if left is not None else ""
        where["text"] = f"build {index}/{total}: {step.label(options.runs)}{eta}"
        progress(where["text"])

    def on_step(name: str) -> None:
        progress(f"{where['text']} | {name[:50]}")

    runner = Runner(engine, engine.settings.project, tuple(variants), options, on_build, on_step)
    doc = results.to_document(runner.run())
    shown = bool({"cold", "fresh"} & set(options.scenarios)) or engine is not engine_in
    return doc, cache_note if shown else ""


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}m{seconds % 60:02.0f}s" if seconds >= 60 else f"{seconds:.0f}s"


def bench(
    settings: Settings,
    engine: Engine,
    variants: list[Variant],
    options: Options,
    *,
    json_out: Path | None = None,
    history: bool = True,
    progress: Progress = no_progress,
) -> StepReport:
    """Measure the variants side by side and keep the result (latest, history, ``json_out``)."""
    doc, note = run_benchmark(engine, variants, options, progress=progress)
    latest = layout.bench_latest(settings)
    results.write_result(latest, doc)
    written = [latest]
    if json_out is not None:
        results.write_result(json_out, doc)
        written.append(json_out)
    if history:
        results.append_history(layout.bench_history(settings), doc)
    return StepReport(
        name="bench",
        status=Status.DONE,
        summary=f"result: {', '.join(str(p) for p in written)}",
        findings=(Finding(level=Level.INFO, message=f"build cache: {note}"),) if note else (),
        text=report.table(doc),
        data={"result": doc},
    )


def compare(baseline: Path, new: Path, *, threshold: float) -> StepReport:
    comparison = results.compare(
        results.read_result(baseline), results.read_result(new), threshold_pct=threshold
    )
    found = comparison.regressions
    findings = tuple(Finding(level=Level.ERROR, message=results.describe_row(r)) for r in found)
    return StepReport(
        name="bench.compare",
        status=Status.FAILED if found else Status.DONE,
        summary=(
            f"{len(found)} regression(s) beyond {threshold:g}%: "
            + "; ".join(map(results.describe_row, found))
            if found
            else f"no regression beyond {threshold:g}%"
        ),
        findings=findings,
        text=report.comparison_table(comparison),
        data={"exit_code": RegressionFound.exit_code if found else 0, "regressions": len(found)},
    )


def write_report(result: Path, folder: Path) -> StepReport:
    """benchmark.md always; benchmark.png when matplotlib (the ``charts`` extra) is installed."""
    doc = results.read_result(result)
    markdown = folder / "benchmark.md"
    atomic_write_text(markdown, report.markdown(doc))
    written = [markdown]
    findings: tuple[Finding, ...] = ()
    try:
        written.append(report.chart_png(doc, folder / "benchmark.png"))
    except ImportError:
        findings = (Finding(level=Level.WARNING, message=f"no chart: matplotlib is missing; {CHARTS_HINT}"),)
    return StepReport(
        name="bench.report",
        status=Status.DONE,
        summary="wrote " + " and ".join(str(p) for p in written),
        findings=findings,
    )
