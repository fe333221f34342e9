"""CI's slice of the corpus: projects today's dockyard handles, through phase 1 and phase 2 with the
real CLI, via the corpus runner (no bench; `nox -s corpus` runs everything and writes docs/corpus.md).

The projects here are the ones the current code gets through; docs/corpus.md lists the others and why
they stop. Add a project to CI_SUBSET when the corpus table shows it passing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.engine import Engine
from tests.corpus import runner, table

#: They start from python:3.11-slim, which CI already has; the projects on the full python:3.11 image
#: (about 1.2 GB, minutes to make here) run in `nox -s corpus` only.
CI_SUBSET = ("multi-target", "hatch-cli", "compose-django")


@pytest.mark.parametrize("name", CI_SUBSET)
def test_corpus_project_passes_phases_1_and_2(engine: Engine, tmp_path: Path, name: str) -> None:
    (entry,) = table.select(table.load_manifest(runner.MANIFEST), [name])
    options = runner.Options(scratch=tmp_path, bench=False, verify=False)

    result = runner.run_project(entry, options)

    logs = tmp_path / "logs" / name
    for step in ("phase1", "phase2"):
        outcome = result.steps[step]
        log = (logs / f"{step}.log").read_text()
        assert outcome.status == "ok", f"{name} {step}: {outcome.reason}\n{log[-3000:]}"
    assert result.steps["phase1"].reason == "", "phase 1 exited 0 but locked nothing"
    project = tmp_path / f"corpus-{name}"
    assert (project / "docker" / "Dockerfile").is_file()
    assert smoke_test_ran(logs), "phase 2 passed without smoke-testing the image"
    assert result.steps["bench"].status == "skipped"


def smoke_test_ran(logs: Path) -> bool:
    """From phase 2's JSON report when the task wrote one, else from its text output."""
    report = logs / "phase2.json"
    if report.is_file():

        def walk(step: dict[str, Any]) -> list[dict[str, Any]]:
            return [step, *(s for child in step["steps"] for s in walk(child))]

        verified = [s for s in walk(json.loads(report.read_text())) if s["name"] == "verify"]
        checks = [c for s in verified for c in s["data"].get("checks", []) if c["name"] == "smoke test"]
        return bool(checks) and all(s["status"] == "done" for s in verified) and all(c["ok"] for c in checks)
    lines = [line for line in (logs / "phase2.log").read_text().splitlines() if "smoke test" in line]
    return bool(lines) and all("pass" in line for line in lines if line.strip().startswith("smoke test"))


def test_a_failing_step_keeps_its_last_error_line(tmp_path: Path) -> None:
    """A project dockyard cannot handle (here: nothing in it) is recorded as failed with the reason."""
    argv = runner.dockyard_argv("phase2", "--no-bench", "--no-branch")
    result = runner.run_step(argv, cwd=tmp_path, timeout=300, log=tmp_path / "phase2.log")
    assert result.status == "failed" and result.exit_code not in (None, 0)
    assert result.reason.startswith("error:"), result.reason
    assert "--- stderr" in (tmp_path / "phase2.log").read_text()


def test_a_step_past_its_timeout_is_ended_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child-finished"
    script = f"sleep 5 && touch {marker} & wait"
    result = runner.run_step(["sh", "-c", script], cwd=tmp_path, timeout=1, log=tmp_path / "t.log")
    assert result.status == "timeout" and result.exit_code is None
    import time

    time.sleep(6)
    assert not marker.exists(), "the step's child outlived the timeout"
