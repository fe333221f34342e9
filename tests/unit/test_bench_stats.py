"""Statistics of a few timings. The numbers are made up: these test arithmetic, not docker."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockyard.bench import stats

timings = st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=10)


def test_summary_of_three_runs_keeps_their_order() -> None:
    s = stats.summarize([3.0, 1.0, 2.0])
    assert s.runs == (3.0, 1.0, 2.0)
    assert (s.median, s.min, s.max, s.n) == (2.0, 1.0, 3.0, 3)
    assert s.spread == pytest.approx(1.0)  # (3 - 1) / 2
    assert s.range == 2.0


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert stats.summarize([1, 2, 3, 10]).median == 2.5


def test_a_single_run_has_no_spread_and_is_not_noisy() -> None:
    s = stats.summarize([42.0])
    assert (s.median, s.min, s.max, s.spread) == (42.0, 42.0, 42.0, 0.0)
    assert not stats.is_noisy(s)


@pytest.mark.parametrize("values", [[], [1.0, -0.5], [math.nan], [math.inf]])
def test_summarize_refuses_what_is_not_a_timing(values: list[float]) -> None:
    with pytest.raises(ValueError):
        stats.summarize(values)


def test_mad_ignores_one_outlier() -> None:
    assert stats.mad([1, 2, 3, 4, 100]) == 1.0
    assert stats.summarize([1, 2, 3, 4, 100]).mad == 1.0


def test_spread_of_a_near_zero_median_uses_the_ratio_floor() -> None:
    # median 0: the denominator is RATIO_FLOOR_S (0.05 s), so no division by zero
    assert stats.relative_spread([0.0, 0.0, 0.01]) == pytest.approx(0.01 / 0.05)


@pytest.mark.parametrize(
    ("values", "noisy"),
    [
        ([8.0, 10.0, 14.0], True),  # range 6 s > half of the 10 s median
        ([9.0, 10.0, 11.0], False),  # range 2 s, spread 0.2
        ([0.1, 0.3, 0.15], False),  # spread 1.33, but a 0.2 s range is client jitter
        ([0.5, 1.0, 0.8], True),  # spread 0.625, range 0.5 s
    ],
)
def test_is_noisy(values: list[float], noisy: bool) -> None:
    assert stats.is_noisy(stats.summarize(values)) is noisy


def test_speedup_is_baseline_over_other() -> None:
    assert stats.speedup(10.0, 2.0) == 5.0
    assert stats.speedup(2.0, 10.0) == 0.2


@pytest.mark.parametrize(("baseline", "other"), [(0.03, 0.01), (10.0, 0.01), (0.01, 10.0)])
def test_speedup_of_near_zero_times_is_not_given(baseline: float, other: float) -> None:
    assert stats.speedup(baseline, other) is None


def test_change_pct() -> None:
    assert stats.change_pct(10.0, 12.0) == pytest.approx(20.0)
    assert stats.change_pct(10.0, 5.0) == pytest.approx(-50.0)
    assert stats.change_pct(0.01, 1.0) is None


@given(timings)
def test_min_le_median_le_max(values: list[float]) -> None:
    s = stats.summarize(values)
    assert s.min <= s.median <= s.max
    assert s.spread >= 0
    assert s.mad <= s.range


@given(st.data(), timings)
def test_order_does_not_change_the_summary(data: st.DataObject, values: list[float]) -> None:
    shuffled = data.draw(st.permutations(values))
    a, b = stats.summarize(values), stats.summarize(shuffled)
    assert (a.median, a.min, a.max, a.spread) == (b.median, b.min, b.max, b.spread)


@given(
    st.lists(st.floats(min_value=1, max_value=1e3), min_size=1, max_size=10),
    st.floats(min_value=0.1, max_value=10),
)
def test_relative_spread_does_not_depend_on_the_unit(values: list[float], factor: float) -> None:
    scaled = [v * factor for v in values]
    assert stats.relative_spread(scaled) == pytest.approx(stats.relative_spread(values), rel=1e-9, abs=1e-12)
