"""Statistics for a handful of timings on a noisy machine: medians, ranges, a noise rule and guarded
ratios (the thresholds are explained in docs/architecture.md).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

RATIO_FLOOR_S = 0.05
NOISY_SPREAD = 0.5
NOISE_FLOOR_S = 0.25


@dataclass(frozen=True, kw_only=True)
class Summary:
    """A few timings in seconds, in the order measured, and their median, extremes and spread."""

    runs: tuple[float, ...]
    median: float
    min: float
    max: float
    #: relative spread: (max - min) / median (the median taken as at least RATIO_FLOOR_S)
    spread: float

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def range(self) -> float:
        """max - min, in seconds."""
        return self.max - self.min

    @property
    def mad(self) -> float:
        """Median absolute deviation from the median, in seconds."""
        return mad(self.runs)


def _checked(values: Iterable[float]) -> tuple[float, ...]:
    runs = tuple(float(v) for v in values)
    if not runs:
        raise ValueError("no timings to summarize")
    if not all(math.isfinite(v) and v >= 0 for v in runs):
        raise ValueError(f"timings must be finite and not negative: {runs!r}")
    return runs


def median(values: Iterable[float]) -> float:
    return float(statistics.median(_checked(values)))


def mad(values: Iterable[float]) -> float:
    """Median absolute deviation: robust to one outlier, unlike the standard deviation."""
    runs = _checked(values)
    centre = statistics.median(runs)
    return float(statistics.median(abs(v - centre) for v in runs))


def relative_spread(values: Iterable[float]) -> float:
    """(max - min) / median; 0 for a single run."""
    runs = _checked(values)
    return (max(runs) - min(runs)) / max(float(statistics.median(runs)), RATIO_FLOOR_S)


def summarize(values: Iterable[float]) -> Summary:
    """Summarize timings in seconds; raises ValueError for none, or for negative or non-finite ones."""
    runs = _checked(values)
    return Summary(
        runs=runs,
        median=float(statistics.median(runs)),
        min=min(runs),
        max=max(runs),
        spread=relative_spread(runs),
    )


def is_noisy(summary: Summary) -> bool:
    """True when the runs disagree too much for the median to be trusted at face value.

    Noisy means a relative spread above NOISY_SPREAD *and* a range of at least NOISE_FLOOR_S seconds.
    A single run is never noisy: there is nothing to disagree with (reports show n, so a reader sees it).
    """
    return summary.spread > NOISY_SPREAD and summary.range >= NOISE_FLOOR_S


def speedup(baseline_s: float, other_s: float) -> float | None:
    """How many times faster ``other`` is than ``baseline`` (>1 faster, <1 slower).

    None when either time is below RATIO_FLOOR_S: a ratio of two near-zero times is noise.
    """
    if baseline_s < RATIO_FLOOR_S or other_s < RATIO_FLOOR_S:
        return None
    return baseline_s / other_s


def change_pct(old_s: float, new_s: float) -> float | None:
    """Percent change from ``old`` to ``new`` (+ slower, - faster); None when ``old`` is below the floor."""
    if old_s < RATIO_FLOOR_S:
        return None
    return (new_s - old_s) / old_s * 100.0
