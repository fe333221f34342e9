"""The generated pipelines pass the real validators: actionlint, and GitLab's published JSON schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard import ci, config
from dockyard.phases import phase5

from .conftest import EXAMPLE

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(BIN))
    if found is None:
        message = f"{name} is not installed (it is in the test dependency group)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ci") / "inference-service"
    shutil.copytree(EXAMPLE, root)
    report = phase5.ci_step(config.load(root, environ={}))
    assert not report.failed
    return root


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)


def test_github_workflow_passes_actionlint(project: Path) -> None:
    actionlint = _tool("actionlint")
    result = _run([actionlint, "-no-color", ci.GITHUB_FILE], project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(project: Path, tmp_path: Path) -> None:
    """The check above can fail: the same workflow with one undefined context does not pass."""
    actionlint = _tool("actionlint")
    broken = tmp_path / ".github" / "workflows" / "docker.yml"
    broken.parent.mkdir(parents=True)
    text = (project / ci.GITHUB_FILE).read_text()
    broken.write_text(text.replace("github.sha", "github.nope"))
    result = _run([actionlint, "-no-color", str(broken)], tmp_path)
    assert result.returncode == 1 and "nope" in result.stdout


def test_gitlab_file_passes_its_schema(project: Path) -> None:
    checker = _tool("check-jsonschema")
    result = _run([checker, "--builtin-schema", "vendor.gitlab-ci", ci.GITLAB_FILE], project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_catches_a_broken_gitlab_file(project: Path, tmp_path: Path) -> None:
    checker = _tool("check-jsonschema")
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text((project / ci.GITLAB_FILE).read_text().replace("  rules:", "  rulez:", 1))
    result = _run([checker, "--builtin-schema", "vendor.gitlab-ci", str(broken)], tmp_path)
    assert result.returncode != 0
