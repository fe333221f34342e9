"""The build-time trend: series from the history, flagged with bench.compare's own rule."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dockyard import config
from dockyard.bench import results, stats, trend
from dockyard.bench.results import BenchResult
from dockyard.phases import phase5
from dockyard.phases.report import Level, Status

DATA = Path(__file__).resolve().parents[1] / "data" / "bench" / "result-v1.json"


def _result() -> BenchResult:
    return results.from_document(json.loads(DATA.read_text()))


def _scaled(result: BenchResult, factor: float, *, only: str | None = None) -> BenchResult:
    """The same result with every run (of one scenario, with ``only``) ``factor`` times as long."""
    variants = []
    for v in result.variants:
        scenarios = {
            name: dataclasses.replace(
                s,
                summary=stats.summarize(r * factor for r in s.summary.runs)
                if only in (None, name)
                else s.summary,
            )
            for name, s in v.scenarios.items()
        }
        variants.append(dataclasses.replace(v, scenarios=scenarios))
    return dataclasses.replace(result, variants=tuple(variants))


def _history(path: Path, *items: BenchResult) -> Path:
    for item in items:
        results.append_history(path, results.document(item))
    return path


def test_series_per_variant_and_scenario(tmp_path: Path) -> None:
    base = _result()
    found = trend.read(_history(tmp_path / "h.jsonl", base, _scaled(base, 1.0), _scaled(base, 1.01)))
    assert found.results == 3
    labels = {s.label for s in found.series}
    assert labels == {f"{v.name}/{sc}" for v in base.variants for sc in v.scenarios}
    assert all(len(s.points) == 3 for s in found.series)
    assert found.regressions == ()


def test_a_regression_is_flagged_with_the_compare_rule(tmp_path: Path) -> None:
    base = _result()
    slower = _scaled(base, 1.6, only="cold")
    found = trend.read(_history(tmp_path / "h.jsonl", base, slower), threshold_pct=10)
    flagged = {s.label for s in found.regressions}
    expected = results.compare(base, slower, threshold_pct=10)
    assert flagged == {f"{r.variant}/{r.scenario}" for r in expected.regressions}
    assert flagged and all(label.endswith("/cold") for label in flagged)
    # A higher threshold is the same rule: nothing is flagged.
    assert trend.read(tmp_path / "h.jsonl", threshold_pct=100).regressions == ()


def test_the_verdict_compares_the_last_two_results_that_measured_the_series(tmp_path: Path) -> None:
    base = _result()
    only_cold = dataclasses.replace(base, scenarios=("cold",))
    only_cold = dataclasses.replace(
        only_cold,
        variants=tuple(
            dataclasses.replace(v, scenarios={"cold": v.scenarios["cold"]}) for v in only_cold.variants
        ),
    )
    history = _history(tmp_path / "h.jsonl", base, _scaled(base, 2.0, only="code"), only_cold)
    found = trend.read(history)
    code = next(s for s in found.series if s.scenario == "code" and s.variant == base.baseline.name)
    assert [p.index for p in code.points] == [1, 2]
    assert code.regression


def test_rows_and_rule(tmp_path: Path) -> None:
    base = _result()
    found = trend.read(_history(tmp_path / "h.jsonl", base, _scaled(base, 1.6, only="cold")))
    rows = trend.rows(found)
    assert all(len(row) == len(trend.HEADERS) for row in rows)
    cold = [row for row in rows if row[0] == "cold"]
    assert cold and all(row[-1].startswith("REGRESSION") and row[-2] == "+60.0%" for row in cold)
    assert "10%" in trend.rule(found)


def test_one_result_has_no_verdict(tmp_path: Path) -> None:
    found = trend.read(_history(tmp_path / "h.jsonl", _result()))
    assert {row[-1] for row in trend.rows(found)} == {"one result"}


def test_chart_is_a_png(tmp_path: Path) -> None:
    base = _result()
    png = trend.chart_png_bytes(trend.read(_history(tmp_path / "h.jsonl", base, _scaled(base, 1.6))))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.fixture
def project(tmp_path: Path) -> config.Settings:
    s = config.load(tmp_path, environ={})
    base = _result()
    _history(s.state_path / trend.HISTORY, base, _scaled(base, 1.6, only="deps"))
    return s


def test_trend_step_reports_table_chart_and_warnings(project: config.Settings) -> None:
    report = phase5.trend_step(project)
    assert report.status is Status.DONE
    assert report.tables[0].headers == trend.HEADERS
    assert report.findings and all(f.level is Level.WARNING for f in report.findings)
    assert (project.state_path / trend.CHART).read_bytes().startswith(b"\x89PNG")
    again = phase5.trend_step(project)
    assert again.files[0].action == "unchanged"


def test_trend_step_gate_fails_on_a_regression(project: config.Settings) -> None:
    report = phase5.trend_step(project, gate=True, chart=False)
    assert report.status is Status.FAILED and report.failed
    assert all(f.level is Level.ERROR for f in report.findings)


def test_trend_step_without_matplotlib_degrades_to_the_table(
    project: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trend, "charts_available", lambda: False)
    report = phase5.trend_step(project)
    assert report.files == ()
    assert any("dockyard[charts]" in f.message for f in report.findings)
    assert not (project.state_path / trend.CHART).exists()
    assert report.tables[0].rows


def test_trend_step_without_history_is_skipped(tmp_path: Path) -> None:
    report = phase5.trend_step(config.load(tmp_path, environ={}))
    assert report.status is Status.SKIPPED and "dockyard bench" in report.summary
