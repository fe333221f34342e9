"""The result document, its history file and the comparison of two results.

The measurements below are made up (plausible shapes, invented seconds): these tests check the
bookkeeping, not docker.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard.bench import results
from dockyard.bench.model import ContextSize, Environment, Measurements, Run, Variant
from dockyard.errors import ConfigError, InputError, RegressionFound

ENV = Environment(
    docker_client="20.10.24",
    docker_server="20.10.24",
    builder="buildkit",
    cores=2,
    platform="linux/amd64",
    git_commit="abc123",
    created="2025-01-14T09:32:05Z",
)
STEPS = {
    "cold": (("[2/4] COPY requirements.txt .", "executed", 0.1), ("[3/4] RUN pip install", "executed", 50.0)),
    "noop": (("[2/4] COPY requirements.txt .", "cached", 0.0), ("[3/4] RUN pip install", "cached", 0.0)),
    "code": (("[3/4] RUN pip install", "cached", 0.0), ("[4/4] COPY app /app", "executed", 0.2)),
}


TIMES: dict[tuple[str, str], tuple[float, ...]] = {
    ("naive", "cold"): (100.0, 110.0, 90.0),
    ("naive", "noop"): (0.1, 0.12, 0.11),
    ("naive", "code"): (95.0, 97.0, 99.0),
    ("fast", "cold"): (40.0, 42.0, 44.0),
    ("fast", "noop"): (0.1, 0.1, 0.1),
    ("fast", "code"): (3.0, 3.2, 2.8),
}


def run(variant: str, scenario: str, repeat: int, wall_s: float, hit: float = 0.5, steps: Any = None) -> Run:
    return Run(
        variant=variant,
        scenario=scenario,
        repeat=repeat,
        wall_s=wall_s,
        cache_hit_ratio=hit,
        steps=STEPS[scenario] if steps is None else steps,
    )


def measurements(
    times: Mapping[tuple[str, str], tuple[float, ...]] | None = None,
    *,
    floor: tuple[float, ...] = (1.0, 1.1, 0.9),
    environment: Environment | None = ENV,
) -> Measurements:
    times = times or TIMES
    return Measurements(
        project="demo",
        variants=(
            Variant(name="naive", dockerfile="Dockerfile"),
            Variant(name="fast", dockerfile="d/Df", target="rt"),
        ),
        scenarios=("cold", "noop", "code"),
        runs=tuple(run(v, s, i, t) for (v, s), ts in times.items() for i, t in enumerate(ts)),
        image_bytes={"naive": 1_000_000_000, "fast": 400_000_000},
        context={
            "naive": ContextSize(bytes=5_000_000, files=300),
            "fast": ContextSize(bytes=20_000, files=12),
        },
        floor_s={"naive": floor, "fast": floor},
        environment=environment,
    )


# --- the document --------------------------------------------------------------------------------


def test_document_holds_summaries_per_variant_and_scenario() -> None:
    doc = results.to_document(measurements())
    assert doc["schema"] == 1
    assert doc["project"] == "demo"
    assert doc["scenarios"] == ["cold", "noop", "code"]
    assert [v["name"] for v in doc["variants"]] == ["naive", "fast"]
    naive, fast = doc["variants"]
    assert naive["scenarios"]["cold"] == {
        "runs": [100.0, 110.0, 90.0],
        "median": 100.0,
        "min": 90.0,
        "max": 110.0,
        "spread": 0.2,
        "cache_hit_ratio": 0.5,
        "executed": ["[2/4] COPY requirements.txt .", "[3/4] RUN pip install"],
    }
    assert naive["scenarios"]["noop"]["executed"] == []
    assert fast["target"] == "rt" and naive["target"] is None
    assert fast["image_bytes"] == 400_000_000
    assert fast["context"] == {"bytes": 20_000, "files": 12}
    assert fast["floor"]["median"] == 1.0
    assert fast["code_vs_floor"] == 3.0
    assert naive["code_vs_floor"] == 97.0
    assert doc["environment"]["git_commit"] == "abc123"
    assert doc["environment"]["cores"] == 2


def test_runs_are_ordered_by_repeat_and_rounded_to_milliseconds() -> None:
    m = measurements()
    shuffled = (
        run("naive", "cold", 2, 3.00049),
        run("naive", "cold", 0, 1.23456),
        run("naive", "cold", 1, 2.0),
    )
    m = Measurements(project="demo", variants=m.variants[:1], scenarios=("cold",), runs=shuffled)
    cold = results.to_document(m)["variants"][0]["scenarios"]["cold"]
    assert cold["runs"] == [1.235, 2.0, 3.0]


def test_executed_is_the_union_over_runs_in_first_seen_order() -> None:
    m = measurements()
    runs = (
        run("naive", "code", 0, 5.0, steps=(("A", "cached", 0), ("B", "executed", 1))),
        run("naive", "code", 1, 6.0, steps=(("C", "executed", 1), ("B", "executed", 1), ("A", "cached", 0))),
    )
    m = Measurements(project="demo", variants=m.variants[:1], scenarios=("code",), runs=runs)
    assert results.to_document(m)["variants"][0]["scenarios"]["code"]["executed"] == ["B", "C"]


def test_cache_hit_ratio_is_the_median_of_the_runs() -> None:
    m = measurements()
    runs = tuple(run("naive", "code", i, 5.0, hit=h) for i, h in enumerate((0.2, 0.9, 0.6)))
    m = Measurements(project="demo", variants=m.variants[:1], scenarios=("code",), runs=runs)
    assert results.to_document(m)["variants"][0]["scenarios"]["code"]["cache_hit_ratio"] == 0.6


def test_a_scenario_without_runs_is_left_out_and_missing_extras_are_null() -> None:
    m = measurements({("naive", "cold"): (10.0,), ("fast", "cold"): (5.0,)})
    m = Measurements(project="demo", variants=m.variants, scenarios=("cold", "code"), runs=m.runs)
    doc = results.to_document(m)
    assert list(doc["variants"][0]["scenarios"]) == ["cold"]
    assert doc["environment"] is None
    assert doc["variants"][0]["floor"] is None
    assert doc["variants"][0]["image_bytes"] is None
    assert doc["variants"][0]["code_vs_floor"] is None
    assert results.from_document(doc).variants[0].code_vs_floor is None


def test_runs_of_an_unknown_variant_are_a_bug_in_the_runner() -> None:
    m = measurements()
    bad = Measurements(
        project="demo", variants=m.variants, scenarios=m.scenarios, runs=(run("other", "cold", 0, 1),)
    )
    with pytest.raises(ValueError, match="other/cold"):
        results.analyse(bad)


def test_round_trip_through_json() -> None:
    doc = results.to_document(measurements())
    again = json.loads(json.dumps(doc))
    result = results.from_document(again)
    assert result.baseline.name == "naive"
    assert result.variant("fast").scenarios["code"].summary.median == 3.0
    assert result.environment == ENV
    assert results.document(result) == doc


def test_example_file_round_trips_byte_for_byte(data_dir: Path, tmp_path: Path) -> None:
    source = data_dir / "bench" / "result-v1.json"
    result = results.read_result(source)
    assert [v.name for v in result.variants] == ["naive", "layered", "uv-cache"]
    assert result.variant("layered").variant.target == "runtime"
    target = tmp_path / "result.json"
    results.write_result(target, results.document(result))
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp file left behind


def _example(data_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((data_dir / "bench" / "result-v1.json").read_text())
    return loaded


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    node = changed
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return changed


COLD = ("variants", 0, "scenarios", "cold")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("schema",), 2, "schema version 2; this dockyard reads version 1"),
        (("schema",), KeyError, "`schema` is missing"),
        (("colour",), "blue", "has unknown 'colour'"),
        (("variants", 0, "image_bytes"), KeyError, "`variants[0]` is missing 'image_bytes'"),
        (("variants", 0, "image_bytes"), "big", "`variants[0].image_bytes` must be a whole number"),
        ((*COLD, "median"), 150.0, "`variants[0].scenarios.cold.median` is 150.0, but its runs give 182.4"),
        ((*COLD, "runs", 1), -1.0, "must not be negative"),
        ((*COLD, "runs", 1), True, "`variants[0].scenarios.cold.runs[1]` must be a number"),
        ((*COLD, "runs"), [], "`variants[0].scenarios.cold.runs` is empty"),
        ((*COLD, "cache_hit_ratio"), 1.5, "must be between 0 and 1"),
        ((*COLD, "executed"), "all", "must be a list"),
        (("variants", 0, "scenarios", "warm"), {}, "is not one of the document's scenarios"),
        (
            ("variants", 0, "code_vs_floor"),
            3.0,
            "`variants[0].code_vs_floor` is 3.0, but its runs give 186.74",
        ),
        (("variants", 1, "name"), "naive", "repeats a name"),
        (("variants",), [], "is empty"),
        (("environment", "cores"), "two", "`environment.cores` must be a whole number"),
        (("environment", "kernel"), "6.1", "`environment` has unknown 'kernel'"),
    ],
)
def test_invalid_documents_are_refused_naming_file_and_key(
    data_dir: Path, tmp_path: Path, path: tuple[Any, ...], value: Any, message: str
) -> None:
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(_set(_example(data_dir), path, value)))
    with pytest.raises(InputError) as caught:
        results.read_result(target)
    assert message in caught.value.message
    assert caught.value.path == str(target)
    assert str(target) in caught.value.message


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(InputError, match="must be a JSON object, not list"):
        results.from_document([1, 2], source="x.json")


def test_unreadable_json_and_missing_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1,')
    with pytest.raises(InputError, match=r"bad\.json: not valid JSON"):
        results.read_result(bad)
    with pytest.raises(InputError, match="no benchmark result here"):
        results.read_result(tmp_path / "missing.json")


def test_write_result_refuses_an_invalid_document_and_writes_nothing(tmp_path: Path) -> None:
    doc = results.to_document(measurements())
    doc["variants"][0]["scenarios"]["cold"]["median"] = 1.0
    with pytest.raises(InputError):
        results.write_result(tmp_path / "r.json", doc)
    assert list(tmp_path.iterdir()) == []


# --- history -------------------------------------------------------------------------------------


def test_history_appends_one_compact_line_per_result(tmp_path: Path) -> None:
    history = tmp_path / "state" / "history.jsonl"
    assert results.read_history(history) == ()
    first = results.to_document(measurements())
    second = results.to_document(measurements(floor=(2.0,)))
    results.append_history(history, first)
    results.append_history(history, second)
    lines = history.read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == first
    assert ": " not in lines[0] and "\n" not in lines[0]
    read = results.read_history(history)
    floors = [r.variant("naive").floor for r in read]
    assert [f.median for f in floors if f is not None] == [1.0, 2.0]
    assert sorted(p.name for p in history.parent.iterdir()) == ["history.jsonl"]


def test_history_skips_blank_lines_and_mends_a_missing_final_newline(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    line = json.dumps(results.to_document(measurements()))
    history.write_text(f"{line}\n\n{line}")
    results.append_history(history, results.to_document(measurements()))
    assert len(results.read_history(history)) == 3
    assert history.read_text().count("\n") == 4


def test_a_bad_history_line_is_named_by_number(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    good = json.dumps(results.to_document(measurements()))
    history.write_text(f"{good}\n{{not json\n")
    with pytest.raises(InputError) as caught:
        results.read_history(history)
    assert caught.value.line == 2
    assert f"{history}:2: not valid JSON" in caught.value.message
    history.write_text(f"{good}\n{json.dumps({'schema': 1})}\n")
    with pytest.raises(InputError, match=rf"{history.name}:2: benchmark result: `\(document\)` is missing"):
        results.read_history(history)


def test_append_history_refuses_an_invalid_document_and_keeps_the_file(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    results.append_history(history, results.to_document(measurements()))
    before = history.read_bytes()
    with pytest.raises(InputError):
        results.append_history(history, {"schema": 1})
    assert history.read_bytes() == before


# --- compare -------------------------------------------------------------------------------------


def _changed(floor: tuple[float, ...] = (1.0, 1.1, 0.9), **medians: tuple[float, ...]) -> dict[str, Any]:
    """The default measurements with some (variant_scenario=runs) replaced."""
    times = dict(TIMES)
    for key, runs in medians.items():
        variant, scenario = key.split("_")
        times[(variant, scenario)] = runs
    return results.to_document(measurements(times, floor=floor))


def test_identical_results_have_no_regression() -> None:
    doc = _changed()
    comparison = results.compare(doc, doc, threshold_pct=10)
    assert len(comparison.rows) == 6
    assert comparison.regressions == ()
    assert {row.change_pct for row in comparison.rows} == {0.0}
    results.check(comparison)  # does not raise


def test_a_slower_cold_build_is_a_regression() -> None:
    comparison = results.compare(_changed(), _changed(fast_cold=(55.0, 56.0, 57.0)), threshold_pct=10)
    (row,) = comparison.regressions
    assert (row.variant, row.scenario) == ("fast", "cold")
    assert row.baseline.median == 42.0 and row.new.median == 56.0
    assert row.change_pct == pytest.approx(33.333, abs=1e-3)
    with pytest.raises(RegressionFound) as caught:
        results.check(comparison)
    assert "1 build-time regression beyond 10%: fast/cold: 42.00s -> 56.00s (+33.3%)" in caught.value.message
    assert caught.value.exit_code == 9


def test_a_slowdown_within_the_threshold_is_not_a_regression() -> None:
    comparison = results.compare(_changed(), _changed(fast_cold=(45.0, 46.0, 44.0)), threshold_pct=10)
    assert comparison.regressions == ()
    assert comparison.rows[3].change_pct == pytest.approx(7.143, abs=1e-3)  # fast/cold: 42 s -> 45 s


def test_a_doubled_noop_of_a_tenth_of_a_second_is_noise() -> None:
    comparison = results.compare(_changed(), _changed(fast_noop=(0.2, 0.2, 0.2)), threshold_pct=10)
    row = next(r for r in comparison.rows if (r.variant, r.scenario) == ("fast", "noop"))
    assert row.change_pct == pytest.approx(100.0)
    assert not row.regression
    assert row.min_increase_s == 0.5
    steady = (1.0, 1.0, 1.0)  # a floor without jitter, and a lower minimum: now +0.1 s counts
    strict = results.compare(
        _changed(steady), _changed(steady, fast_noop=(0.2, 0.2, 0.2)), threshold_pct=10, min_seconds=0.05
    )
    assert [(r.variant, r.scenario) for r in strict.regressions] == [("fast", "noop")]


def test_an_increase_within_the_floors_jitter_is_not_a_regression() -> None:
    jittery = results.to_document(measurements(floor=(1.0, 3.0, 2.0)))  # the floor's range is 2 s
    slower = copy.deepcopy(jittery)
    code = slower["variants"][1]["scenarios"]["code"]
    code.update(runs=[4.0, 4.5, 5.0], median=4.5, min=4.0, max=5.0, spread=0.2222)
    slower["variants"][1]["code_vs_floor"] = 2.25
    rows = results.compare(jittery, slower, threshold_pct=10).rows
    row = next(r for r in rows if (r.variant, r.scenario) == ("fast", "code"))
    assert row.min_increase_s == 2.0
    assert row.change_pct == pytest.approx(50.0)  # +1.5 s: above 10 %, below the floor's 2 s range
    assert not row.regression


def test_rows_only_in_one_result_are_listed() -> None:
    old = results.to_document(measurements({("naive", "cold"): (10.0,), ("naive", "noop"): (1.0,)}))
    new = results.to_document(measurements({("naive", "cold"): (10.0,), ("fast", "cold"): (5.0,)}))
    comparison = results.compare(old, new, threshold_pct=5)
    assert [(r.variant, r.scenario) for r in comparison.rows] == [("naive", "cold")]
    assert comparison.only_baseline == ("naive/noop",)
    assert comparison.only_new == ("fast/cold",)


def test_a_different_machine_is_noted() -> None:
    other = Environment(**{**ENV.__dict__, "cores": 8})
    comparison = results.compare(
        results.to_document(measurements()),
        results.to_document(measurements(environment=other)),
        threshold_pct=5,
    )
    assert comparison.notes == ("cores differs: 2 (baseline) vs 8 (new); absolute times may not compare",)


def test_a_negative_threshold_is_a_config_error() -> None:
    doc = _changed()
    with pytest.raises(ConfigError):
        results.compare(doc, doc, threshold_pct=-1)
