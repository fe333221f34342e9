"""Build times over time: the benchmark history as one series per (variant, scenario).

Each series is flagged with :func:`dockyard.bench.results.compare`, the rule ``bench.compare`` uses,
applied to the last two results that measured it; the chart needs matplotlib and is optional.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard import ui
from dockyard.bench import results
from dockyard.bench.comparison import MIN_REGRESSION_S
from dockyard.bench.results import BenchResult, ComparisonRow
from dockyard.bench.stats import Summary

HISTORY = "bench/history.jsonl"  # inside the state directory, as `dockyard bench` appends it
CHART = "bench/trend.png"
DEFAULT_THRESHOLD_PCT = 10.0
_LOG_SCALE_RATIO = 20.0  # as in the benchmark chart: past this spread of medians, a log scale


@dataclass(frozen=True, kw_only=True)
class Point:
    index: int  # position of the result in the history, from 1
    created: str | None
    commit: str | None
    summary: Summary


@dataclass(frozen=True, kw_only=True)
class Series:
    variant: str
    scenario: str
    points: tuple[Point, ...]
    #: the last two points compared with bench.compare's rule; None with fewer than two
    verdict: ComparisonRow | None

    @property
    def label(self) -> str:
        return f"{self.variant}/{self.scenario}"

    @property
    def regression(self) -> bool:
        return self.verdict is not None and self.verdict.regression


@dataclass(frozen=True, kw_only=True)
class Trend:
    results: int
    threshold_pct: float
    series: tuple[Series, ...]

    @property
    def regressions(self) -> tuple[Series, ...]:
        return tuple(s for s in self.series if s.regression)


def _verdict(
    history: Sequence[BenchResult], variant: str, scenario: str, threshold: float
) -> ComparisonRow | None:
    measured = [r for r in history if _measures(r, variant, scenario)]
    if len(measured) < 2:
        return None
    comparison = results.compare(measured[-2], measured[-1], threshold_pct=threshold)
    return next(row for row in comparison.rows if (row.variant, row.scenario) == (variant, scenario))


def _measures(result: BenchResult, variant: str, scenario: str) -> bool:
    return any(v.name == variant and scenario in v.scenarios for v in result.variants)


def build(history: Sequence[BenchResult], *, threshold_pct: float = DEFAULT_THRESHOLD_PCT) -> Trend:
    """The series of every (variant, scenario) in the history, in the order first measured."""
    keys: dict[tuple[str, str], list[Point]] = {}
    for index, result in enumerate(history, start=1):
        env = result.environment
        for variant in result.variants:
            for scenario in result.scenarios:
                measured = variant.scenarios.get(scenario)
                if measured is None:
                    continue
                keys.setdefault((variant.name, scenario), []).append(
                    Point(
                        index=index,
                        created=env.created if env else None,
                        commit=env.git_commit if env else None,
                        summary=measured.summary,
                    )
                )
    series = tuple(
        Series(
            variant=variant,
            scenario=scenario,
            points=tuple(points),
            verdict=_verdict(history, variant, scenario, threshold_pct),
        )
        for (variant, scenario), points in keys.items()
    )
    return Trend(results=len(history), threshold_pct=threshold_pct, series=series)


def read(history_path: Path | str, *, threshold_pct: float = DEFAULT_THRESHOLD_PCT) -> Trend:
    return build(results.read_history(history_path), threshold_pct=threshold_pct)


# --- tables -------------------------------------------------------------------------------------------


HEADERS = ("scenario", "variant", "results", "first", "previous", "latest", "change", "verdict")


def _verdict_text(series: Series) -> str:
    if series.verdict is None:
        return "one result"
    row = series.verdict
    text = "REGRESSION" if row.regression else "ok"
    return f"{text} (noisy)" if row.noisy else text


def rows(trend: Trend) -> list[tuple[str, ...]]:
    """One row per series: first, previous and latest medians, the last change and its verdict."""
    out: list[tuple[str, ...]] = []
    for s in sorted(trend.series, key=lambda s: (s.scenario, s.variant)):
        first, latest = s.points[0].summary, s.points[-1].summary
        previous = s.points[-2].summary if len(s.points) > 1 else None
        change = s.verdict.change_pct if s.verdict else None
        out.append(
            (
                s.scenario,
                s.variant,
                str(len(s.points)),
                ui.seconds(first.median),
                "" if previous is None else ui.seconds(previous.median),
                ui.seconds(latest.median),
                "" if change is None else f"{change:+.1f}%",
                _verdict_text(s),
            )
        )
    return out


def rule(trend: Trend) -> str:
    return (
        f"regression (as bench.compare): the latest median > the previous one + {trend.threshold_pct:g}% "
        f"and at least {MIN_REGRESSION_S:g}s (or the floor's range) slower"
    )


# --- chart ----------------------------------------------------------------------------------------------


def charts_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def chart_png_bytes(trend: Trend) -> bytes:
    """One panel per scenario: each variant's median per result, with its min–max band."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    scenarios = list(dict.fromkeys(s.scenario for s in trend.series))
    fig = Figure(figsize=(10, 2.8 * max(len(scenarios), 1)), dpi=100, layout="constrained")
    axes = fig.subplots(max(len(scenarios), 1), 1, squeeze=False)[:, 0]
    for ax, scenario in zip(axes, scenarios, strict=False):
        for s in (s for s in trend.series if s.scenario == scenario):
            xs = [p.index for p in s.points]
            ax.plot(xs, [p.summary.median for p in s.points], marker="o", label=s.variant)
            ax.fill_between(
                xs, [p.summary.min for p in s.points], [p.summary.max for p in s.points], alpha=0.2
            )
            if s.regression:
                last = s.points[-1]
                ax.annotate("regression", (last.index, last.summary.median), color="red", fontsize=8)
        medians = [p.summary.median for s in trend.series if s.scenario == scenario for p in s.points]
        log = min(medians) > 0 and max(medians) / min(medians) > _LOG_SCALE_RATIO
        if log:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(scenario)
        ax.set_ylabel("seconds (median)" + (", log scale" if log else ""))
        ax.set_xlabel("benchmark result in the history")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Build time per scenario over the benchmark history (band: min–max)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
