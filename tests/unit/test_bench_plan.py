"""The benchmark plan (interleaving, priming, floor) and the scenario edits, without Docker."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dockyard.bench import scenarios
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options, base_image_of, parse_scenarios, parse_variant, plan
from dockyard.dockerfile import parse_text
from dockyard.errors import ConfigError

A = Variant(name="naive", dockerfile="Dockerfile")
B = Variant(name="opt", dockerfile="docker/Dockerfile", target="runtime")


def test_parse_variant() -> None:
    assert parse_variant("naive=Dockerfile") == A
    assert parse_variant("opt=docker/Dockerfile:runtime") == B
    with pytest.raises(ConfigError, match="NAME=DOCKERFILE"):
        parse_variant("Dockerfile")


def test_parse_scenarios_keeps_canonical_order() -> None:
    assert parse_scenarios("deps,cold") == ("cold", "deps")
    with pytest.raises(ConfigError, match="unknown scenario"):
        parse_scenarios("cold,warm")


def test_cold_needs_permission() -> None:
    with pytest.raises(ConfigError, match="empties the build cache") as caught:
        plan([A], Options(scenarios=("cold",), runs=1))
    assert caught.value.hint is not None and "--allow-prune" in caught.value.hint


def test_plan_interleaves_variants_and_primes_after_cold() -> None:
    steps = plan([A, B], Options(runs=2, allow_prune=True))
    first = [(s.scenario, s.variant) for s in steps if s.repeat == 0]
    assert first == [
        ("cold", "naive"), ("cold", "opt"),
        ("prime", "naive"), ("prime", "opt"),
        ("noop", "naive"), ("noop", "opt"),
        ("code", "naive"), ("code", "opt"),
        ("floor", "naive"), ("floor", "opt"),
        ("deps", "naive"), ("deps", "opt"),
    ]  # fmt: skip
    assert len(steps) == 24
    assert sum(1 for s in steps if s.timed and s.scenario != "floor") == 16


def test_fresh_needs_permission_and_exports_the_registry_cache_first() -> None:
    with pytest.raises(ConfigError, match="fresh scenario empties the build cache"):
        plan([A], Options(scenarios=("fresh",), runs=1))
    steps = plan([A, B], Options(scenarios=("cold", "code", "fresh"), runs=1, allow_prune=True))
    assert [(s.scenario, s.variant) for s in steps] == [
        ("cold", "naive"), ("cold", "opt"),
        ("prime", "naive"), ("prime", "opt"),
        ("code", "naive"), ("code", "opt"),
        ("floor", "naive"), ("floor", "opt"),
        ("export", "naive"), ("export", "opt"),
        ("fresh", "naive"), ("fresh", "opt"),
    ]  # fmt: skip
    assert [s.scenario for s in steps if s.timed] == [
        "cold",
        "cold",
        "code",
        "code",
        "floor",
        "floor",
        "fresh",
        "fresh",
    ]


def test_fresh_is_not_measured_unless_asked() -> None:
    assert "fresh" not in Options().scenarios
    assert parse_scenarios("fresh,cold") == ("cold", "fresh")


def test_plan_without_cold_primes_once_and_still_measures_the_floor() -> None:
    steps = plan([A], Options(scenarios=("noop",), runs=3))
    assert [(s.repeat, s.scenario) for s in steps] == [
        (0, "prime"), (0, "noop"), (0, "floor"), (1, "noop"), (1, "floor"), (2, "noop"), (2, "floor"),
    ]  # fmt: skip


def test_duplicate_variant_names() -> None:
    with pytest.raises(ConfigError, match="distinct name"):
        plan([A, A], Options(scenarios=("noop",)))


def test_base_image_follows_stage_chain() -> None:
    parsed = parse_text(
        'FROM python:3.11-slim AS base\nFROM base AS builder\nRUN true\nFROM base AS runtime\nCMD ["x"]\n'
    )
    assert base_image_of(parsed, None) == "python:3.11-slim"
    assert base_image_of(parsed, "builder") == "python:3.11-slim"
    with pytest.raises(ConfigError, match="no stage named"):
        base_image_of(parsed, "nope")


def make_project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "model.py").write_text("X = 1\n" * 50)
    (tmp_path / "svc" / "app.py").write_text("from svc.model import X\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text("def test(): pass\n" * 100)
    (tmp_path / "setup.py").write_text("#" * 5000)
    return tmp_path


def test_pick_code_file_prefers_entry_point_in_a_package(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert scenarios.pick_code_file(project) == Path("svc/app.py")
    (project / "svc" / "app.py").unlink()
    assert scenarios.pick_code_file(project) == Path("svc/model.py")


def test_pick_code_file_needs_a_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no application \.py file") as caught:
        scenarios.pick_code_file(tmp_path)
    assert caught.value.hint == "name one with --code-file PATH"


def test_change_code_is_unique_and_valid(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    before = (project / "svc" / "app.py").read_text()
    scenarios.change_code(project, Path("svc/app.py"), "t1")
    scenarios.change_code(project, Path("svc/app.py"), "t2")
    after = (project / "svc" / "app.py").read_text()
    assert after.startswith(before) and "t1" in after and "t2" in after
    ast.parse(after)


def test_bench_requirement_is_replaced_not_stacked(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("fastapi==0.1\n")
    scenarios.set_bench_requirement(req, scenarios.deps_requirement(0), "n1")
    scenarios.set_bench_requirement(req, scenarios.deps_requirement(1), "n2")
    lines = req.read_text().splitlines()
    assert lines[0] == "fastapi==0.1"
    assert lines[1] == f"six==1.16.0  {scenarios.MARKER} n2"
    assert len(lines) == 2
    scenarios.set_bench_requirement(req, "", "n3")
    assert req.read_text().splitlines()[1] == f"{scenarios.MARKER} n3"


def test_requirement_targets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no runtime requirements"):
        scenarios.requirement_targets(tmp_path)
    (tmp_path / "requirements.txt").write_text("x\n")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.in").write_text("x\n")
    (tmp_path / "requirements" / "base.txt").write_text("x==1\n")
    targets = scenarios.requirement_targets(tmp_path)
    assert [t.locked_from for t in targets] == [None, tmp_path / "requirements" / "base.in"]


def test_requirement_targets_follow_the_requirements_dir_setting(tmp_path: Path) -> None:
    locks = tmp_path / "deps" / "locked"
    locks.mkdir(parents=True)
    (locks / "base.in").write_text("x\n")
    (locks / "base.txt").write_text("x==1\n")
    with pytest.raises(ConfigError) as default_dir:
        scenarios.requirement_targets(tmp_path)
    assert "requirements/base.in" in (default_dir.value.hint or "")
    targets = scenarios.requirement_targets(tmp_path, "deps/locked")
    assert [(t.path, t.locked_from) for t in targets] == [(locks / "base.txt", locks / "base.in")]
