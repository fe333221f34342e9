"""The command line's conventions: --help everywhere, typed flags named in errors, hidden globals,
output control, and every task module on its own (no task imports another)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from invoke.context import Context

from dockyard import cli, config, ui
from dockyard.phases.report import FileResult, Finding, Level, Status, StepReport
from dockyard.tasks import _common, namespace

TASKS_DIR = Path(_common.__file__).parent


def all_task_names() -> list[str]:
    return sorted(namespace.task_names)


def run_cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as stopped:
        cli.program.run(["dockyard", *argv])
    return int(stopped.value.code or 0)


def test_the_task_tree_is_all_there() -> None:
    names = all_task_names()
    assert {"doctor", "build", "phase1.all", "phase2", "phase3", "bench.compare", "dev.test"} <= set(names)


@pytest.mark.parametrize("name", all_task_names())
def test_help_exits_0_for_every_task(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(name, "--help") == 0
    out = capsys.readouterr().out
    assert f"dockyard [--core-opts] {name}" in out
    assert "-q, --quiet" in out and "-v, --verbose" in out


def test_core_help_hides_invokes_flags_that_do_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--help") == 0
    out = capsys.readouterr().out
    for hidden in ("--dry", "--pty", "--hide", "--warn-only", "--prompt-for-sudo-password", "--echo"):
        assert hidden not in out
    assert "--list" in out and "--version" in out


def test_a_hidden_global_flag_is_refused_not_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--dry", "phase1") == 1
    assert "No idea what '--dry' is!" in capsys.readouterr().err


def test_a_bad_number_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("bench", "--runs", "abc") == 2
    err = capsys.readouterr().err
    assert "--runs: 'abc' is not a whole number" in err
    assert "bench_runs" not in err


def test_a_bad_float_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("bench.compare", "--baseline", "x.json", "--threshold", "ten") == 2
    assert "--threshold: 'ten' is not a number" in capsys.readouterr().err


def test_numbers_arrive_as_numbers() -> None:
    assert _common.convert("runs", "3", int | None) == 3
    assert _common.convert("threshold", "2.5", float) == 2.5
    assert _common.convert("project", "3", str | None) == "3"


def test_dry_run_has_the_dry_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("phase1.branch", "--help") == 0
    assert "--dry, --dry-run" in capsys.readouterr().out


def test_bench_compare_without_a_baseline_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("bench.compare") == 2
    assert "--baseline is required" in capsys.readouterr().err


def test_no_task_module_imports_another() -> None:
    for path in TASKS_DIR.glob("*.py"):
        if path.name in ("__init__.py", "_common.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert (
                    not node.module.startswith("dockyard.tasks.") or node.module == "dockyard.tasks._common"
                ), (
                    path.name,
                    node.module,
                )


def test_no_color_is_honoured() -> None:
    assert config.color_wanted(True, {})
    assert not config.color_wanted(True, {"NO_COLOR": "1"})
    assert not config.color_wanted(True, {"TERM": "dumb"})
    assert not config.color_wanted(False, {})


REPORT = StepReport(
    name="phase1",
    status=Status.PLANNED,
    summary="1 planned",
    steps=(
        StepReport(
            name="requirements",
            status=Status.PLANNED,
            files=(FileResult(path="a", action="create", message="would create a", diff="+++ b/a\n+x"),),
            findings=(Finding(level=Level.WARNING, message="careful"),),
        ),
    ),
)


def test_dry_run_text_is_short_and_verbose_adds_diffs() -> None:
    short = ui.render_report(REPORT)
    assert "would create a" in short and "+++ b/a" not in short
    assert "warning: careful" in short
    assert "+++ b/a" in ui.render_report(REPORT, verbose=True)


def test_quiet_shows_the_outcome_only(capsys: pytest.CaptureFixture[str]) -> None:
    ui.set_verbosity(ui.QUIET)
    try:
        _common.emit(REPORT)
    finally:
        ui.set_verbosity(ui.NORMAL)
    assert capsys.readouterr().out == "phase1: planned: 1 planned\n"


def test_json_to_stdout_is_only_json(capsys: pytest.CaptureFixture[str]) -> None:
    _common.emit(REPORT, json="-")
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert data["schema"] == 1
    assert data["steps"][0]["files"][0]["diff"] == "+++ b/a\n+x"


def test_a_failed_report_exits_with_its_code() -> None:
    from invoke.exceptions import Exit

    failed = StepReport(name="doctor", status=Status.FAILED, summary="1 missing", data={"exit_code": 4})
    with pytest.raises(Exit) as stopped:
        _common.emit(failed)
    assert stopped.value.code == 4


def test_quiet_and_verbose_flags_reach_the_task(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[int] = []

    @_common.task()
    def probe(c: Any, project: str | None = None) -> None:
        seen.append(ui.verbosity())

    probe(Context(), quiet=True)
    probe(Context(), verbose=True)
    assert seen == [ui.QUIET, ui.VERBOSE]
    ui.set_verbosity(ui.NORMAL)


def test_status_line_on_a_pipe_prints_each_head_once() -> None:
    import io

    stream = io.StringIO()
    line = ui.StatusLine(stream=stream)
    for text in ("build 1/2 | FROM", "build 1/2 | COPY", "build 2/2 | FROM", "build 2/2"):
        line.update(text)
    printed = [row.split("] ", 1)[1] for row in stream.getvalue().splitlines()]
    assert printed == ["build 1/2", "build 2/2"]
    quiet = ui.StatusLine(stream=io.StringIO(), enabled=False)
    quiet.update("anything")
    assert quiet.stream.getvalue() == ""  # type: ignore[attr-defined]
