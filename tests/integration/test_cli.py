"""The installed command line as a user meets it: JSON reports, a closed pipe, a fresh project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dockyard.engine import Engine
from tests.integration.conftest import ROOT, dockyard_cli


def test_doctor_json_to_stdout_parses(engine: Engine) -> None:
    result = dockyard_cli("doctor", "--json", "-")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["name"] == "doctor" and report["status"] == "done"
    assert report["data"]["builder"] == engine.caps.builder


def test_a_closed_pipe_ends_quietly() -> None:
    # `dockyard --help | head -0`: the reader is gone before dockyard writes.
    child = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "--help"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0
    assert err == ""


def test_phase3_on_a_fresh_copy_brings_phases_1_and_2_up_to_date(engine: Engine, example_copy: Path) -> None:
    result = dockyard_cli("phase3", "--project", str(example_copy), "--no-check", "--json", "-")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    steps = {step["name"]: step for step in report["steps"]}
    assert list(steps) == ["phase1", "docker/Dockerfile", "compose files and guide", "hot reload"]
    assert steps["phase1"]["status"] == "done"
    assert steps["docker/Dockerfile"]["status"] == "done"
    for name in ("requirements/base.txt", ".dockerignore", "docker/Dockerfile", "docker/compose.dev.yaml"):
        assert (example_copy / name).is_file(), name
    assert "dockyard dev.watch" in (example_copy / "docs" / "development.md").read_text()
    again = json.loads(
        dockyard_cli("phase3", "--project", str(example_copy), "--no-check", "--json", "-").stdout
    )
    # (.dockyard/context-report.md may change: the context now holds phases 2 and 3's files)
    assert [step["status"] for step in again["steps"][1:]] == ["current", "current", "skipped"]
    assert {s["name"]: s["status"] for s in again["steps"][0]["steps"]}["requirements"] == "current"
