"""The benchmark's raw records: what the runner measured, before any statistics.

The runner (``bench/runner.py``) produces a :class:`Measurements`; ``bench/results.py`` turns it
into the versioned JSON document, ``bench/report.py`` into tables and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Scenario names, in the order they run within a repeat.
SCENARIOS = ("cold", "noop", "code", "deps", "fresh")
#: What ``bench`` measures unless told: ``fresh`` needs a registry and an emptied cache.
DEFAULT_SCENARIOS = ("cold", "noop", "code", "deps")


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One way to build the project: a Dockerfile (relative to the project) and optional target."""

    name: str
    dockerfile: str
    target: str | None = None


@dataclass(frozen=True, kw_only=True)
class Run:
    """One timed build."""

    variant: str
    scenario: str
    repeat: int
    wall_s: float
    cache_hit_ratio: float
    #: (step name, "cached" | "executed", seconds) for each Dockerfile instruction
    steps: tuple[tuple[str, str, float], ...]

    @property
    def executed(self) -> tuple[str, ...]:
        return tuple(name for name, status, _ in self.steps if status != "cached")


@dataclass(frozen=True, kw_only=True)
class ContextSize:
    bytes: int
    files: int


@dataclass(frozen=True, kw_only=True)
class Environment:
    docker_client: str
    docker_server: str
    builder: str
    cores: int
    platform: str
    git_commit: str | None
    created: str  # ISO 8601, UTC


@dataclass(frozen=True, kw_only=True)
class Measurements:
    project: str
    variants: tuple[Variant, ...]
    scenarios: tuple[str, ...]
    runs: tuple[Run, ...]
    #: per variant, the runtime image's size in bytes
    image_bytes: dict[str, int] = field(default_factory=dict)
    #: per variant, the build context as Docker would send it
    context: dict[str, ContextSize] = field(default_factory=dict)
    #: per variant, seconds of each floor build (a one-file COPY on the variant's base image)
    floor_s: dict[str, tuple[float, ...]] = field(default_factory=dict)
    environment: Environment | None = None
