"""The benchmark analysed: medians, ranges, cache hits and the steps that ran, per variant and scenario."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockyard.bench import stats
from dockyard.bench.model import ContextSize, Environment, Measurements, Variant
from dockyard.bench.stats import Summary

#: run times are kept to the millisecond: finer digits are clock noise
_RUN_DIGITS = 3


@dataclass(frozen=True, kw_only=True)
class ScenarioResult:
    """One variant in one scenario: its timings, median cache-hit ratio, and the steps that ran."""

    summary: Summary
    cache_hit_ratio: float
    #: steps that executed (were not cached) in any run, in the order first seen
    executed: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class VariantResult:
    variant: Variant
    scenarios: Mapping[str, ScenarioResult]
    image_bytes: int | None = None
    context: ContextSize | None = None
    #: the floor: a one-file COPY on the variant's base image, the least any rebuild can cost
    floor: Summary | None = None

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def code_vs_floor(self) -> float | None:
        """The code-change median as a multiple of the floor median (None without both, or a ~0 floor)."""
        code = self.scenarios.get("code")
        if code is None or self.floor is None or self.floor.median < stats.RATIO_FLOOR_S:
            return None
        return code.summary.median / self.floor.median


@dataclass(frozen=True, kw_only=True)
class BenchResult:
    """A whole benchmark: the first variant is the baseline every other one is compared with."""

    project: str
    environment: Environment | None
    scenarios: tuple[str, ...]
    variants: tuple[VariantResult, ...]

    @property
    def baseline(self) -> VariantResult:
        return self.variants[0]

    def variant(self, name: str) -> VariantResult:
        for found in self.variants:
            if found.name == name:
                return found
        raise KeyError(name)


# --- from measurements ---------------------------------------------------------------------------------


def _summary(values: Iterable[float]) -> Summary:
    return stats.summarize(round(v, _RUN_DIGITS) for v in values)


def _union(names: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for group in names for name in group))


def analyse(m: Measurements) -> BenchResult:
    """Summarize raw measurements. Raises ValueError for runs of an unknown variant or scenario."""
    if not m.variants:
        raise ValueError("a benchmark needs at least one variant")
    names = [v.name for v in m.variants]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names repeat: {names}")
    for run in m.runs:
        if run.variant not in names or run.scenario not in m.scenarios:
            raise ValueError(f"run of unknown variant or scenario: {run.variant}/{run.scenario}")
    variants = []
    for variant in m.variants:
        scenarios: dict[str, ScenarioResult] = {}
        for scenario in m.scenarios:
            runs = sorted(
                (r for r in m.runs if r.variant == variant.name and r.scenario == scenario),
                key=lambda r: r.repeat,
            )
            if runs:
                scenarios[scenario] = ScenarioResult(
                    summary=_summary(r.wall_s for r in runs),
                    cache_hit_ratio=round(stats.median(r.cache_hit_ratio for r in runs), 3),
                    executed=_union(r.executed for r in runs),
                )
        floor = m.floor_s.get(variant.name)
        variants.append(
            VariantResult(
                variant=variant,
                scenarios=scenarios,
                image_bytes=m.image_bytes.get(variant.name),
                context=m.context.get(variant.name),
                floor=_summary(floor) if floor else None,
            )
        )
    return BenchResult(
        project=m.project, environment=m.environment, scenarios=tuple(m.scenarios), variants=tuple(variants)
    )
