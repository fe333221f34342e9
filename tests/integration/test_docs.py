"""`dockyard docs` and `dockyard phase5` through the console script, on a copy of the example."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard import devguide

from .conftest import EXAMPLE

DOCKYARD = str(Path(sys.executable).parent / "dockyard")


def _dockyard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DOCKYARD, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "inference-service"
    shutil.copytree(EXAMPLE, root)
    return root


def test_phase5_then_docs_check_and_a_change(project: Path) -> None:
    done = _dockyard("phase5", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    guide = project / devguide.GUIDE
    first = guide.read_bytes()
    assert b"| `check` | pull request |" in first  # the pipeline phase 5 wrote just before
    again = _dockyard("docs", cwd=project)
    assert again.returncode == 0 and "is up to date" in again.stdout
    assert guide.read_bytes() == first
    assert _dockyard("docs", "--check", cwd=project).returncode == 0
    # a dockyard step changes a file the guide describes: --check fails and says what to run
    assert _dockyard("ci", "--registry", "registry.example:5000", cwd=project).returncode == 0
    stale = _dockyard("docs", "--check", cwd=project)
    assert stale.returncode == 1
    assert "out of date: run `dockyard docs`" in stale.stdout + stale.stderr
    assert guide.read_bytes() == first
    assert _dockyard("docs", cwd=project).returncode == 0
    assert _dockyard("docs", "--check", cwd=project).returncode == 0


def test_docs_json_report(project: Path) -> None:
    import json

    result = _dockyard("docs", "--dry", "--json", "-", cwd=project)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["name"] == "docs" and report["status"] == "planned"
    assert report["files"][0]["path"] == devguide.GUIDE
    assert not (project / devguide.GUIDE).exists()
