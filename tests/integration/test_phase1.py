"""Phase 1 on a copy of the bundled example: real uv locks, real baseline build, real git."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from dockyard.engine import Engine
from tests.integration.conftest import dockyard_cli

GROUPS = ("base", "ml", "test", "dev")


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(example_copy: Path) -> Path:
    git(example_copy, "init", "-q", "-b", "main")
    git(example_copy, "add", "-A")
    git(example_copy, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "naive")
    return example_copy


def phase1(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return dockyard_cli("phase1", "--project", str(project), "--scenario", "noop", "--runs", "1", *extra)


def test_phase1_writes_everything_then_a_second_run_changes_no_byte(engine: Engine, repo: Path) -> None:
    first = phase1(repo)
    assert first.returncode == 0, first.stderr[-3000:]
    for group in GROUPS:
        lock = (repo / "requirements" / f"{group}.txt").read_text()
        assert "--hash=sha256:" in lock, group
        assert (repo / "requirements" / f"{group}.in").is_file()
    assert "scikit-learn==" in (repo / "requirements" / "ml.txt").read_text()
    assert "pytest==" in (repo / "requirements" / "test.txt").read_text()
    assert "pytest==" not in (repo / "requirements" / "base.txt").read_text()
    ignore = (repo / ".dockerignore").read_text()
    assert ".git" in ignore and "**/.env" in ignore
    assert (repo / ".dockyard" / "context-report.md").is_file()
    baseline = json.loads((repo / ".dockyard" / "baseline" / "result.json").read_text())
    assert baseline["schema"] == 1 and baseline["variants"][0]["name"] == "baseline"
    assert (repo / ".dockyard" / "baseline" / "Dockerfile").read_bytes() == (repo / "Dockerfile").read_bytes()
    assert git(repo, "branch", "--show-current").strip() == "docker-optimization"

    before = digest(repo)
    second = phase1(repo)
    assert second.returncode == 0, second.stderr[-3000:]
    assert digest(repo) == before
    assert "locks are up to date" in second.stdout
    assert "measured this Dockerfile (--rebaseline to measure again)" in second.stdout
    assert ".dockerignore is up to date" in second.stdout


def test_dry_run_changes_nothing_and_shows_diffs(engine: Engine, repo: Path) -> None:
    before = digest(repo)
    result = phase1(repo, "--dry", "-v")  # --dry: the alias of --dry-run; -v adds the diffs
    assert result.returncode == 0, result.stderr[-3000:]
    assert digest(repo) == before
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert "+++ b/requirements/base.in" in result.stdout
    assert "+++ b/.dockerignore" in result.stdout
    assert "would benchmark Dockerfile" in result.stdout


def test_hand_edited_file_survives_with_new_beside_it(engine: Engine, repo: Path) -> None:
    assert dockyard_cli("phase1.requirements", "--project", str(repo)).returncode == 0
    assert dockyard_cli("phase1.dockerignore", "--project", str(repo)).returncode == 0
    ignore = repo / ".dockerignore"
    edited = ignore.read_text() + "my-own-pattern\n"
    ignore.write_text(edited)
    (repo / "requirements.txt").write_text((repo / "requirements.txt").read_text() + "six==1.16.0\n")
    again = dockyard_cli("phase1.requirements", "--project", str(repo))
    assert again.returncode == 0, again.stderr
    assert "six==1.16.0" in (repo / "requirements" / "base.in").read_text()
    redo = dockyard_cli("phase1.dockerignore", "--project", str(repo))
    assert redo.returncode == 0
    assert ignore.read_text() == edited
    assert (repo / ".dockerignore.new").is_file()
    assert "edited by hand" in redo.stdout


def test_dirty_tree_is_never_switched(engine: Engine, repo: Path) -> None:
    (repo / "inference_service" / "app.py").write_text("# work in progress\n", encoding="utf-8")
    result = dockyard_cli("phase1.branch", "--project", str(repo))
    assert result.returncode == 0
    assert "uncommitted changes" in result.stdout
    assert git(repo, "branch", "--show-current").strip() == "main"
    assert (repo / "inference_service" / "app.py").read_text() == "# work in progress\n"


def test_malformed_requirements_line_is_named_and_nothing_is_written(engine: Engine, repo: Path) -> None:
    (repo / "requirements.txt").write_text("fastapi==0.165.0\nnumpy>>=2\n")
    result = dockyard_cli("phase1.requirements", "--project", str(repo))
    assert result.returncode == 7, result.stdout + result.stderr
    assert "requirements.txt:2" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / "requirements").exists()


def test_dry_run_as_json_parses_and_names_every_step(engine: Engine, repo: Path) -> None:
    before = digest(repo)
    result = phase1(repo, "--dry-run", "--json", "-")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["status"] == "planned"
    assert [step["name"] for step in report["steps"]] == [
        "branch",
        "baseline",
        "requirements",
        ".dockerignore",
    ]
    assert "would create requirements/base.in" in [f["message"] for f in report["steps"][2]["files"]]
    assert digest(repo) == before
