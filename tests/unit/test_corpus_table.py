"""The corpus manifest, the failure reasons and the table (tests/corpus/table.py), without Docker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus import runner, table
from tests.corpus.table import BenchFigures, Entry, ProjectResult, StepResult

DOC = Path(__file__).parents[1] / "data" / "bench" / "result-v1.json"


def test_every_manifest_entry_has_its_project_or_dockerfile() -> None:
    entries = table.load_manifest(runner.MANIFEST)
    assert len([e for e in entries if not e.is_sdist]) >= 12
    for entry in entries:
        if entry.is_sdist:
            assert (runner.HERE / "sdists" / f"{entry.name}.Dockerfile").is_file()
            assert entry.sha256 is not None and len(entry.sha256) == 64
        else:
            assert (runner.HERE / "projects" / entry.name / "Dockerfile").is_file(), entry.name
    on_disk = {p.name for p in (runner.HERE / "projects").iterdir() if p.is_dir()} - {"__pycache__"}
    assert on_disk == {e.name for e in entries if not e.is_sdist}


def test_every_project_has_a_test_and_uses_one_of_the_two_base_images() -> None:
    """As in the wild, some start from the full python image and some from slim; both are made
    locally when they cannot be pulled (.ci/make-base-image, .ci/make-full-base-image)."""
    used = set()
    for project in (runner.HERE / "projects").iterdir():
        if not project.is_dir() or project.name == "__pycache__":
            continue
        assert list(project.rglob("test_*.py")), project.name
        froms = runner.base_images(project / "Dockerfile")
        assert froms and all(f in runner.BASE_IMAGES for f in froms), project.name
        used |= froms
    assert used == set(runner.BASE_IMAGES)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "corpus.toml"
    manifest.write_text('[[project]]\nname = "a"\nkind = "x"\n[[project]]\nname = "a"\nkind = "y"\n')
    with pytest.raises(ValueError, match="duplicate corpus names: a"):
        table.load_manifest(manifest)


def test_select_keeps_the_order_asked_and_names_unknown_ones() -> None:
    entries = [Entry("a", "k"), Entry("b", "k")]
    assert table.select(entries, []) == entries
    assert [e.name for e in table.select(entries, ["b", "a"])] == ["b", "a"]
    with pytest.raises(ValueError, match=r"unknown corpus project.*: c; known: a, b"):
        table.select(entries, ["c"])


def test_the_reason_is_the_last_error_line_without_colour() -> None:
    stderr = "$ docker build ...\n\x1b[31merror: first\x1b[0m\n  | tail\n"
    stderr += "error: no CMD in Dockerfile\n  hint: set it\n"
    assert table.last_error_line(stderr) == "error: no CMD in Dockerfile"
    smoke = "error: did not answer /health\n  File x, line 1\nModuleNotFoundError: No module named 'shop'\n"
    assert (
        table.last_error_line(smoke)
        == "error: did not answer /health — ModuleNotFoundError: No module named 'shop'"
    )
    booted = (
        smoke.replace("\n", "\n[ERROR] Worker failed to boot.\n", 1).rstrip() + "\n[INFO] Shutting down\n"
    )
    assert table.last_error_line(booted).endswith("— ModuleNotFoundError: No module named 'shop'")
    built = "error: build failed at step [3/4] RUN x\n  | ERROR: exit code: 1\n  hint: full log: /x\n"
    assert table.last_error_line(built) == "error: build failed at step [3/4] RUN x — ERROR: exit code: 1"
    assert table.last_error_line("", "plain\nlast words\n") == "last words"
    assert table.last_error_line("Traceback\nValueError: boom\n") == "ValueError: boom"
    assert table.last_error_line("", "") == "(no output)"


def test_a_reason_cannot_break_the_markdown_table() -> None:
    assert "|" not in table.last_error_line("error: a | b\n")
    assert len(table.last_error_line("error: " + "x" * 500)) == 220


def test_bench_figures_come_from_a_real_shaped_document() -> None:
    doc = json.loads(DOC.read_text())
    first, second = (v["name"] for v in doc["variants"][:2])
    figures = table.bench_figures(doc, before=first, after=second)
    assert figures.code_before == doc["variants"][0]["scenarios"]["code"]["median"]
    assert figures.image_after == doc["variants"][1]["image_bytes"]
    assert figures.after_vs_floor == doc["variants"][1]["code_vs_floor"]
    assert figures.runs_after == tuple(doc["variants"][1]["scenarios"]["code"]["runs"])
    assert figures.code_before is not None and figures.code_after is not None
    assert figures.speedup == pytest.approx(figures.code_before / figures.code_after)


def test_an_empty_lock_is_flagged_but_stays_ok(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("# nothing\n")
    flagged = table.check_locks(StepResult("ok", 3.0), tmp_path)
    assert flagged.status == "ok" and "pins anything" in flagged.reason
    (tmp_path / "base.txt").write_text("click==8.1.7 \\\n    --hash=sha256:abc\n")
    assert table.check_locks(StepResult("ok", 3.0), tmp_path).reason == ""


def test_markdown_rows_and_failures() -> None:
    bench = BenchFigures(20.0, 0.5, 1.4, 400_000_000, 200_000_000)
    results = [
        ProjectResult(
            "good",
            "web",
            {s: StepResult("ok", 10.0) for s in table.STEPS},
            bench,
        ),
        ProjectResult(
            "bad",
            "cli",
            {
                "phase1": StepResult("ok", 4.0),
                "phase2": StepResult("failed", 2.0, "error: no CMD", 1),
                "verify": StepResult("skipped", 0.0, "phase2 did not succeed"),
                "bench": StepResult("skipped", 0.0, "phase2 did not succeed"),
            },
        ),
    ]
    text = table.markdown(results, header="# T")
    assert "| good | web | ok (10s) | ok (10s) | ok (10s) | 20.00s → 0.50s (40.0×, 1.4× floor) |" in text
    assert "400.0 MB → 200.0 MB (-50%)" in text
    assert "| bad | cli | ok (4s) | **FAILED** | skipped | – | – |" in text
    assert "- **bad** / phase2: failed: error: no CMD" in text
    assert "- bench: phase2 did not succeed: bad" in text
    assert "- phase2: 1/2 ok" in text
    assert "median code-change speedup: 40.0×" in text
    assert "- highest code-change rebuild against the floor: 1.4× (good)" in text
    assert "- runtime images larger than the original: none" in text
    document = table.as_json(results, meta={"dockyard": "abc"})
    assert document["schema"] == 1 and document["projects"][1]["steps"]["phase2"]["exit_code"] == 1


def test_results_read_back_and_merge_in_manifest_order() -> None:
    old = [
        ProjectResult("a", "k", {"phase1": StepResult("failed", 1.0, "error: x", 1)}),
        ProjectResult(
            "b", "k", {"phase1": StepResult("ok", 2.0)}, BenchFigures(2.0, 1.0, 1.5, 10, 5, (2.0,), (1.0,))
        ),
    ]
    back = table.from_json(json.loads(json.dumps(table.as_json(old, meta={}))))
    assert back == old
    new = [ProjectResult("a", "k", {"phase1": StepResult("ok", 3.0)})]
    merged = table.merge(back, new, ["b", "a", "c"])
    assert [r.name for r in merged] == ["b", "a"] and merged[1].steps["phase1"].status == "ok"
    with pytest.raises(ValueError, match="schema"):
        table.from_json({"schema": 99, "projects": []})


def test_figures_by_the_base_image_of_the_original() -> None:
    ok = {s: StepResult("ok", 1.0) for s in table.STEPS}
    results = [
        ProjectResult("full-a", "k", ok, BenchFigures(40.0, 0.5, 0.8, 1_000, 200)),
        ProjectResult("slim-a", "k", ok, BenchFigures(4.0, 0.5, 0.8, 1_000, 800)),
        ProjectResult("full-b", "k", ok, BenchFigures(60.0, 0.5, 0.8, 1_000, 100)),
        ProjectResult("slim-b", "k", ok, BenchFigures(2.0, 0.4, 0.8, 1_000, 1_100)),
    ]
    groups = {"full-a": "python:3.11", "full-b": "python:3.11", "slim-a": "slim", "slim-b": "slim"}
    assert table.group_lines(results, groups) == [
        "- originals on python:3.11 (2 measured): median speedup 100.0×, median image reduction 85%",
        "- originals on slim (2 measured): median speedup 6.5×, median image reduction 5%",
    ]
    assert "- runtime images larger than the original: slim-b" in table.summary_lines(results)
    # reductions -10%, 20%, 80%, 90%: the median of a split corpus names its two middle values
    assert (
        "- median image reduction: 50% over 4 (the mean of the middle two, 20% and 80%)"
        in table.summary_lines(results)
    )
    entries = table.load_manifest(runner.MANIFEST)
    assert {runner.base_image_of(e) for e in entries} == set(runner.BASE_IMAGES)
