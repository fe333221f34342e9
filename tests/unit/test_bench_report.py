"""Tables, Markdown, the chart and the comparison table, from the example result (made-up numbers)."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dockyard.bench import report, results, stats
from dockyard.bench.model import Measurements, Run, Variant


@pytest.fixture
def doc(data_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((data_dir / "bench" / "result-v1.json").read_text())
    return loaded


def _row(text: str, *cells: str) -> bool:
    """True when one line of ``text`` holds all ``cells``, in order."""
    for line in text.splitlines():
        at = 0
        for cell in cells:
            at = line.find(cell, at)
            if at < 0:
                break
            at += len(cell)
        else:
            return True
    return False


def test_terminal_table_shows_medians_ranges_and_ratios(doc: dict[str, Any]) -> None:
    text = report.table(doc)
    assert "inference-service at 3f9c2e1a7b5d, 2025-01-14T09:32:05Z" in text
    assert "code: one source file changed" in text
    assert _row(text, "naive", "171.8s", "168.4s–179.3s", "3", "20%", "baseline")
    assert _row(text, "layered", "3.42s", "3.15s–3.61s", "3", "80%", "50.2× faster")  # 171.8 / 3.42
    assert _row(text, "uv-cache", "9.84s", "8.71s–10.5s", "18.8× faster")  # deps: 185.0 / 9.84
    assert _row(text, "layered", "160.3s", "1.14× faster")  # cold: 182.4 / 160.3


def test_terminal_table_shows_images_context_and_floor(doc: dict[str, Any]) -> None:
    text = report.table(doc)
    assert _row(text, "naive", "1.5 GB", "baseline", "412.3 MB in 2841 files", "0.92s (n=3)", "186.7× floor")
    assert _row(
        text, "uv-cache", "611.4 MB", "59% smaller", "1.2 MB in 57 files", "0.91s (n=3)", "3.2× floor"
    )


def test_terminal_table_marks_and_names_noisy_summaries(doc: dict[str, Any]) -> None:
    text = report.table(doc)
    assert "2.61s–4.95s *" in text  # uv-cache/code: range 2.34 s around a 2.88 s median
    assert "the spread is wide relative to the median for: uv-cache/code;" in text
    assert "3.15s–3.61s *" not in text


def test_terminal_table_lists_the_steps_a_rebuild_ran(doc: dict[str, Any]) -> None:
    text = report.table(doc)
    assert "  naive/code: [3/5] COPY . /app; [4/5] RUN pip install -r requirements.txt;" in text
    assert "naive/noop" not in text  # nothing ran


def test_no_noise_note_when_every_spread_is_narrow(doc: dict[str, Any]) -> None:
    code = doc["variants"][2]["scenarios"]["code"]
    code.update(runs=[2.88, 2.61, 2.95], median=2.88, min=2.61, max=2.95, spread=0.1181)
    assert "spread is wide" not in report.table(doc)


@pytest.mark.parametrize(
    ("baseline", "other", "text"),
    [
        ((100.0,), (10.0,), "10.0× faster"),
        ((10.0,), (14.0,), "1.40× slower"),
        ((10.0,), (10.3,), "same"),
        ((1.0,), (0.01,), "n/a (< 0.05s)"),
    ],
)
def test_ratio_text(baseline: tuple[float, ...], other: tuple[float, ...], text: str) -> None:
    assert report.ratio_text(stats.summarize(baseline), stats.summarize(other)) == text


@pytest.mark.parametrize(
    ("baseline", "other", "text"),
    [
        (1000, 380, "62% smaller"),
        (1000, 1050, "5% larger"),
        (1000, 1001, "same"),
        (None, 5, "n/a"),
        (5, None, "n/a"),
    ],
)
def test_size_change_text(baseline: int | None, other: int | None, text: str) -> None:
    assert report.size_change_text(baseline, other) == text


def test_markdown_has_a_header_and_github_tables(doc: dict[str, Any]) -> None:
    text = report.markdown(doc)
    assert text.startswith("# Build benchmark: inference-service\n")
    assert "- commit: `3f9c2e1a7b5d4c6e8f0a1b2c3d4e5f6a7b8c9d0e`" in text
    assert "- docker: client 20.10.24+dfsg1, server 20.10.24+dfsg1, builder buildkit" in text
    assert "- machine: 2 cores, linux/amd64" in text
    assert "## deps: one requirement added" in text
    assert _row(text, "| uv-cache", "| 2.88s", "| 2.61s–4.95s *", "| 59.7× faster", "|")
    assert _row(text, "| layered", "| 1.2 GB", "| 19% smaller", "| 3.8× floor", "|")
    assert "- uv-cache/deps: `[deps 3/4] RUN uv pip install -r requirements/base.txt`" in text
    assert "\\* the spread is wide relative to the median for: uv-cache/code" in text


def _minimal(variants: int = 1, seconds: tuple[float, ...] = (5.0, 6.0)) -> Measurements:
    """One scenario, no environment, no images or floor: the least a result can hold."""
    names = [f"v{i}" for i in range(variants)]
    return Measurements(
        project="tiny",
        variants=tuple(Variant(name=n, dockerfile="Dockerfile") for n in names),
        scenarios=("code",),
        runs=tuple(
            Run(variant=n, scenario="code", repeat=i, wall_s=s, cache_hit_ratio=1.0, steps=())
            for n in names
            for i, s in enumerate(seconds)
        ),
    )


def test_reports_of_a_minimal_result_say_what_is_missing() -> None:
    doc = results.to_document(_minimal())
    text = report.table(doc)
    assert "tiny: environment not recorded" in text
    assert _row(text, "v0", "n/a", "n/a", "n/a", "n/a")
    assert "- commit:" not in report.markdown(doc)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_written_atomically_as_a_png(doc: dict[str, Any], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = report.chart_png(doc, tmp_path / "out" / "bench.png")
    data = path.read_bytes()
    assert _png_size(data) == (1320, 572)  # 12 x 5.2 inches at 110 dpi
    assert len(data) > 30_000
    assert [p.name for p in path.parent.iterdir()] == ["bench.png"]


def test_chart_of_a_minimal_result_still_draws() -> None:
    pytest.importorskip("matplotlib")
    data = report.chart_png_bytes(results.to_document(_minimal(variants=2)))
    assert _png_size(data) == (1320, 572)
    assert len(data) > 10_000


def _comparison(
    data_dir: Path, changed: dict[tuple[str, str], list[float]] | None = None
) -> results.Comparison:
    """The example against itself with the runs of some (variant, scenario) replaced."""
    base = results.read_result(data_dir / "bench" / "result-v1.json")
    variants = []
    for variant in base.variants:
        scenarios = dict(variant.scenarios)
        for (name, scenario), runs in (changed or {}).items():
            if name == variant.name:
                scenarios[scenario] = replace(scenarios[scenario], summary=stats.summarize(runs))
        variants.append(replace(variant, scenarios=scenarios))
    return results.compare(base, replace(base, variants=tuple(variants)), threshold_pct=10)


def test_comparison_table_flags_regressions(data_dir: Path) -> None:
    comparison = _comparison(data_dir, {("uv-cache", "deps"): [13.0, 13.1, 12.9]})
    text = report.comparison_table(comparison)
    assert "new median > baseline median + 10% and at least 0.5s" in text
    assert _row(text, "uv-cache", "deps", "9.84s", "13.0s", "+32.1%", "REGRESSION")
    assert _row(text, "uv-cache", "code", "2.88s", "2.88s", "+0.0%", "ok (noisy)")
    assert text.rstrip().endswith("1 regression in 12 rows")


def test_comparison_table_in_markdown(data_dir: Path) -> None:
    text = report.comparison_table(_comparison(data_dir), fmt="github")
    assert _row(text, "| naive", "| cold", "| 182.4s", "| 182.4s", "| +0.0%", "| ok", "|")
    assert text.rstrip().endswith("0 regressions in 12 rows")


def test_report_without_matplotlib_writes_the_markdown_and_says_how_to_get_the_chart(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from dockyard.phases import benchmark

    for name in ("matplotlib", "matplotlib.figure", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)  # `import matplotlib` now raises ImportError
    done = benchmark.write_report(data_dir / "bench" / "result-v1.json", tmp_path)
    assert (tmp_path / "benchmark.md").read_text().startswith("#")
    assert not (tmp_path / "benchmark.png").exists()
    assert [f.message for f in done.findings] == [f"no chart: matplotlib is missing; {benchmark.CHARTS_HINT}"]
    assert "pip install 'dockyard[charts]'" in benchmark.CHARTS_HINT
