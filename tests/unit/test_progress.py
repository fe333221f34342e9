"""The plain-progress parser against real logs captured from both BuildKit printers."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.engine.progress import (
    BASE,
    INSTRUCTION,
    INTERNAL,
    ProgressParser,
    cache_hit_ratio,
    classify,
    parse,
)


def load(data_dir: Path, name: str) -> ProgressParser:
    return parse((data_dir / "engine" / name).read_text())


def instructions(parser: ProgressParser) -> dict[str, str]:
    return {r.name: r.status for r in parser.records() if r.kind == INSTRUCTION}


def test_classic_cold_build_executes_every_instruction(data_dir: Path) -> None:
    parser = load(data_dir, "classic-cold.log")
    steps = instructions(parser)
    assert len(steps) == 5
    assert set(steps.values()) == {"executed"}
    pip = next(r for r in parser.records() if "pip install six" in r.name)
    assert pip.seconds == pytest.approx(3.2)
    assert pip.stage == "builder"
    assert cache_hit_ratio(parser.records()) == 0.0
    # "#5 sha256:..." digest lines are not output
    assert all(not line.startswith("sha256:") for step in parser.steps.values() for line in step.output)


def test_classic_second_build_is_all_cached(data_dir: Path) -> None:
    parser = load(data_dir, "classic-cached.log")
    assert set(instructions(parser).values()) == {"cached"}
    assert cache_hit_ratio(parser.records()) == 1.0


def test_classic_code_change_reruns_from_the_changed_copy(data_dir: Path) -> None:
    steps = instructions(load(data_dir, "classic-code-change.log"))
    assert steps["[builder 3/3] COPY app.py /app/app.py"] == "executed"
    pip = next(name for name in steps if name.startswith("[builder 2/3] RUN --mount=type=cache"))
    assert steps[pip] == "cached"


@pytest.mark.parametrize("name", ["classic-fail.log", "compose-fail.log"])
def test_failed_step_is_named_with_its_output(data_dir: Path, name: str) -> None:
    parser = load(data_dir, name)
    failed = parser.failed_step()
    assert failed is not None
    assert "sys.exit(3)" in failed.name
    assert failed.output[-1] == "about to fail"
    assert failed.error is not None and "exit code: 3" in failed.error


def test_modern_printer_from_compose(data_dir: Path) -> None:
    parser = load(data_dir, "compose-cold.log")
    assert parser.builder_line == 'building with "default" instance using docker driver'
    steps = instructions(parser)
    assert len(steps) == 5
    assert set(steps.values()) == {"executed"}
    cached = load(data_dir, "compose-code-change.log")
    statuses = instructions(cached)
    assert statuses["[app builder 3/3] COPY app.py /app/app.py"] == "executed"
    # the pip step is cached; so is the venv copy, whose content did not change
    assert statuses["[app runtime 2/4] COPY --from=builder /opt/venv /opt/venv"] == "cached"
    assert next(k for k, v in statuses.items() if v == "cached").startswith("[app builder 2/3] RUN")


@pytest.mark.parametrize(
    ("name", "kind", "stage"),
    [
        ("[builder 2/3] RUN pip install x", INSTRUCTION, "builder"),
        ("[2/4] COPY . /app", INSTRUCTION, None),
        ("[runtime 1/4] FROM docker.io/library/python:3.11-slim", BASE, "runtime"),
        ("[internal] load build context", INTERNAL, None),
        ("[app internal] load .dockerignore", INTERNAL, None),
        ("exporting to image", INTERNAL, None),
        ("[stage-0  1/15] FROM ghcr.io/x/y:1", BASE, "stage-0"),
    ],
)
def test_classify(name: str, kind: str, stage: str | None) -> None:
    assert classify(name) == (kind, stage)


def test_interleaved_chunks_and_output_before_header() -> None:
    parser = ProgressParser()
    for line in [
        "#5 [1/2] RUN sleep 1",
        "#6 [internal] load build context",
        "#5 0.100 hello",
        "#6 DONE 0.0s",
        "#5 ...",
        "#7 0.2 orphan output",
        "#5 DONE 1.5s",
    ]:
        parser.feed(line)
    records = {r.id: r for r in parser.records()}
    assert records[5].status == "executed" and records[5].seconds == 1.5
    assert parser.steps[5].output == ["hello"]
    assert parser.steps[7].output == ["orphan output"]
    assert cache_hit_ratio(parser.records()) == 0.0


def test_no_instructions_counts_as_fully_cached() -> None:
    assert cache_hit_ratio([]) == 1.0
