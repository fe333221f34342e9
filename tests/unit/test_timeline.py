"""The build timeline: spans from step records, overlap, and the critical path."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.engine import timeline as tl
from dockyard.engine.progress import ProgressParser, StepRecord


def rec(name: str, start: float, end: float, *, stage: str | None = None, cached: bool = False) -> StepRecord:
    return StepRecord(
        0, name, "instruction", stage, "cached" if cached else "executed", cached, end - start, start, end
    )


# base (0-1) -> builder (1-6) and ml (1-9) side by side -> runtime copies both (9-10)
RECORDS = [
    rec("[base 2/3] RUN groupadd app", 0.0, 1.0, stage="base"),
    rec("[builder 1/1] RUN uv pip install -r base.txt", 1.1, 6.0, stage="builder"),
    rec("[ml 1/1] RUN uv pip install -r ml.txt", 1.1, 9.0, stage="ml"),
    rec("[runtime 1/2] COPY --from=ml /opt/ml /opt/ml", 9.1, 9.6, stage="runtime"),
    rec("[runtime 2/2] COPY app /app", 9.6, 10.0, stage="runtime"),
]


def test_critical_path_goes_through_the_slower_branch() -> None:
    line = tl.timeline(tl.spans_of(RECORDS))
    assert [s.stage for s in line.critical] == ["base", "ml", "runtime", "runtime"]
    stage, seconds = line.critical_by_stage()[0]
    assert stage == "ml" and seconds == pytest.approx(7.9)
    assert dict(tl.summary(line))["make this stage faster"] == "ml"
    assert line.wall_s == pytest.approx(10.0)
    assert line.parallelism == pytest.approx((1 + 4.9 + 7.9 + 0.5 + 0.4) / 10)


def test_rows_show_what_ran_alongside() -> None:
    line = tl.timeline(tl.spans_of(RECORDS))
    by_stage = {row[3]: row for row in tl.rows(line)}
    assert by_stage["builder"][6] == "1" and by_stage["builder"][7] == ""
    assert by_stage["ml"][6] == "1" and by_stage["ml"][7] == "*"
    assert by_stage["base"][6] == "0"


def test_targets_on_one_clock() -> None:
    spans = tl.spans_of(RECORDS[:1], target="runtime", offset=5.0) + tl.spans_of(RECORDS[:1], target="test")
    line = tl.timeline(spans)
    assert [(s.target, s.start) for s in line.spans] == [("test", 0.0), ("runtime", 5.0)]


def test_split_name() -> None:
    assert tl.split_name("[b base 2/2] RUN x") == ("b", "base", "RUN x")
    assert tl.split_name("[builder 2/3] RUN y") == ("", "builder", "RUN y")
    assert tl.split_name("[2/3] RUN z") == ("", "", "RUN z")
    assert tl.split_name("exporting to image") == ("", "", "exporting to image")


def test_untimed_and_internal_steps_are_left_out() -> None:
    records = [
        StepRecord(1, "[internal] load build context", "internal", None, "executed", False, 0.1, 0.0, 0.1),
        StepRecord(2, "[a 1/1] RUN x", "instruction", "a", "executed", False, 1.0, None, None),
    ]
    assert tl.spans_of(records) == []


def test_parser_stamps_start_from_buildkits_own_duration() -> None:
    parser = ProgressParser()
    parser.feed("#5 [builder 1/2] RUN sleep 3", at=0.4)
    parser.feed("#5 0.512 sleeping", at=1.0)
    parser.feed("#5 DONE 3.0s", at=4.5)
    parser.feed("#6 [builder 2/2] COPY a b", at=4.6)
    parser.feed("#6 CACHED", at=4.7)
    first, second = parser.records()
    assert first.start == pytest.approx(1.5) and first.end == 4.5
    assert (second.start, second.end, second.cached) == (4.6, 4.7, True)


def test_chart_png_or_table_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = tl.timeline(tl.spans_of(RECORDS))
    assert tl.chart_png(line, tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    assert not tl.chart_png(line, tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()


def test_a_step_concurrent_builds_shared_counts_once() -> None:
    shared = RECORDS[:1]
    spans = tl.spans_of(shared, target="runtime") + tl.spans_of(shared, target="test", offset=0.1)
    spans += tl.spans_of(RECORDS[1:2], target="test")
    line = tl.timeline(spans)
    assert [(s.target, s.stage) for s in line.spans] == [("runtime+test", "base"), ("test", "builder")]
    # the same step far apart in time is two runs, not one
    apart = tl.spans_of(shared, target="runtime") + tl.spans_of(shared, target="test", offset=5.0)
    assert len(tl.timeline(apart).spans) == 2
