"""Two benchmark results lined up per (variant, scenario); regressions beyond a threshold and the noise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.bench import stats
from dockyard.bench.analysis import BenchResult
from dockyard.bench.model import Environment
from dockyard.bench.stats import Summary
from dockyard.errors import ConfigError, RegressionFound

#: an increase smaller than this many seconds is never a regression (see :func:`compare`)
MIN_REGRESSION_S = 0.5


def _as_result(value: BenchResult | Mapping[str, Any]) -> BenchResult:
    if isinstance(value, BenchResult):
        return value
    # results.py reads documents and re-exports this module: import it when a document comes in.
    from dockyard.bench.results import from_document

    return from_document(dict(value))


# --- comparing two results -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComparisonRow:
    variant: str
    scenario: str
    baseline: Summary
    new: Summary
    #: + slower, - faster; None when the baseline median is below stats.RATIO_FLOOR_S
    change_pct: float | None
    #: the smallest increase in seconds that counts for this row (see compare)
    min_increase_s: float
    regression: bool

    @property
    def noisy(self) -> bool:
        return stats.is_noisy(self.baseline) or stats.is_noisy(self.new)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    threshold_pct: float
    min_seconds: float
    rows: tuple[ComparisonRow, ...]
    #: "variant/scenario" measured in only one of the two results
    only_baseline: tuple[str, ...] = ()
    only_new: tuple[str, ...] = ()
    #: differences of machine or engine that make absolute times incomparable
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[ComparisonRow, ...]:
        return tuple(row for row in self.rows if row.regression)


def _floor_range(result: BenchResult, variant: str) -> float:
    try:
        floor = result.variant(variant).floor
    except KeyError:
        return 0.0
    return 0.0 if floor is None else floor.range


def _environment_notes(old: Environment | None, new: Environment | None) -> tuple[str, ...]:
    if old is None or new is None:
        return ()
    notes = []
    for key in ("cores", "platform", "docker_server", "builder"):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            notes.append(
                f"{key} differs: {before} (baseline) vs {after} (new); absolute times may not compare"
            )
    return tuple(notes)


def compare(
    baseline: BenchResult | Mapping[str, Any],
    new: BenchResult | Mapping[str, Any],
    *,
    threshold_pct: float,
    min_seconds: float = MIN_REGRESSION_S,
) -> Comparison:
    """Line up the medians of each (variant, scenario) measured in both results.

    A row is a regression when the new median exceeds the baseline median by more than
    ``threshold_pct`` percent *and* by at least ``min_increase_s`` seconds: the larger of
    ``min_seconds`` and the floor's range (max - min) in either result, the machine's own jitter for
    a trivial build. So a no-op build going from 0.1 s to 0.2 s (+100 %) is not a regression.
    """
    if threshold_pct < 0 or min_seconds < 0:
        raise ConfigError(f"a regression threshold cannot be negative: {threshold_pct}%, {min_seconds}s")
    old_result, new_result = _as_result(baseline), _as_result(new)
    old_keys = {(v.name, s) for v in old_result.variants for s in v.scenarios}
    new_keys = {(v.name, s) for v in new_result.variants for s in v.scenarios}
    rows = []
    for variant in new_result.variants:
        for scenario, measured in variant.scenarios.items():
            if (variant.name, scenario) not in old_keys:
                continue
            before = old_result.variant(variant.name).scenarios[scenario].summary
            after = measured.summary
            min_increase = max(
                min_seconds, _floor_range(old_result, variant.name), _floor_range(new_result, variant.name)
            )
            rows.append(
                ComparisonRow(
                    variant=variant.name,
                    scenario=scenario,
                    baseline=before,
                    new=after,
                    change_pct=stats.change_pct(before.median, after.median),
                    min_increase_s=min_increase,
                    regression=after.median > before.median * (1 + threshold_pct / 100)
                    and after.median - before.median >= min_increase,
                )
            )

    def labels(keys: set[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(sorted(f"{v}/{s}" for v, s in keys))

    return Comparison(
        threshold_pct=threshold_pct,
        min_seconds=min_seconds,
        rows=tuple(rows),
        only_baseline=labels(old_keys - new_keys),
        only_new=labels(new_keys - old_keys),
        notes=_environment_notes(old_result.environment, new_result.environment),
    )


def describe_row(row: ComparisonRow) -> str:
    """e.g. ``naive/cold: 10.00s -> 14.00s (+40.0%)``."""
    change = "n/a" if row.change_pct is None else f"{row.change_pct:+.1f}%"
    return f"{row.variant}/{row.scenario}: {row.baseline.median:.2f}s -> {row.new.median:.2f}s ({change})"


def check(comparison: Comparison) -> None:
    """Raise RegressionFound listing every regression; return quietly when there is none."""
    found = comparison.regressions
    if not found:
        return
    listed = "; ".join(describe_row(row) for row in found)
    noun = "regression" if len(found) == 1 else "regressions"
    raise RegressionFound(
        f"{len(found)} build-time {noun} beyond {comparison.threshold_pct:g}%: {listed}",
        hint=(
            "see which steps ran in the new report; "
            "if the slowdown is intended, make the new result the baseline"
        ),
    )
