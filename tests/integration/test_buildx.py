"""The buildx path for real: its docker driver on Engine 20.10, and the docker-container fallback."""

from __future__ import annotations

import subprocess

import pytest

from dockyard.bench.runner import BENCH_BUILDER, bench_engine
from dockyard.engine import Engine


def test_bench_builder_of_its_own_or_a_said_fallback(both_engines: Engine) -> None:
    if both_engines.caps.builder != "buildx":
        pytest.skip("the classic client has no builder instances")
    chosen, note = bench_engine(both_engines)
    listed = subprocess.run(
        [both_engines.docker, "buildx", "ls"], capture_output=True, text=True, check=True
    ).stdout
    if getattr(chosen.builder, "instance", None) == BENCH_BUILDER:
        assert "only its cache" in note and BENCH_BUILDER in listed
        return
    # moby/buildkit cannot be pulled here: dockyard says so and builds on the docker driver.
    assert chosen is both_engines and not chosen.builder.exports_cache
    assert "could not start" in note and "falling back to buildx's docker driver" in note
    assert "whole build cache" in note
    assert BENCH_BUILDER not in listed  # no half-made instance left behind
