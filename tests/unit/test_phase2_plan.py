"""Phase 2's inferences: command, port, runtime paths, layer order, project install."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dockyard import config
from dockyard.errors import InputError
from dockyard.history import change_counts, log_argv, order_by_stability
from dockyard.phases import phase2_plan as plan
from dockyard.phases.phase2_plan import FALLBACK_RANK


def project(
    tmp_path: Path, dockerfile: str = 'FROM python:3.11-slim\nEXPOSE 9000\nCMD ["gunicorn", "app:app"]\n'
) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for folder in ("svc", "config", "tests", "docs", "notebooks", "requirements", "empty"):
        (tmp_path / folder).mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "config" / "app.toml").write_text("")
    (tmp_path / "tests" / "test_x.py").write_text("")
    (tmp_path / "manage.py").write_text("")
    for name in ("README.md", "requirements.txt", "pyproject.toml", ".env.example", "notes.ipynb"):
        (tmp_path / name).write_text("")
    return tmp_path


def test_command_and_port_come_from_the_current_dockerfile(tmp_path: Path) -> None:
    s = config.load(project(tmp_path), environ={})
    current = plan.current_dockerfile(s)
    assert plan.app_command(s, current) == ("gunicorn", "app:app")
    assert plan.app_port(s, current) == 9000


def test_shell_form_cmd_and_override(tmp_path: Path) -> None:
    root = project(tmp_path, "FROM python:3.11-slim\nCMD python -m svc --port 8000\n")
    s = config.load(root, environ={})
    assert plan.app_command(s, plan.current_dockerfile(s)) == ("/bin/sh", "-c", "python -m svc --port 8000")
    s = config.load(root, {"app_command": ["python", "-m", "svc"]}, environ={})
    assert plan.app_command(s, plan.current_dockerfile(s)) == ("python", "-m", "svc")


def test_missing_cmd_is_a_clear_error(tmp_path: Path) -> None:
    s = config.load(project(tmp_path, "FROM python:3.11-slim\n"), environ={})
    with pytest.raises(InputError, match="cannot tell how the service starts") as caught:
        plan.app_command(s, plan.current_dockerfile(s))
    assert caught.value.hint is not None and "app_command" in caught.value.hint


def test_runtime_paths_leave_out_tests_docs_and_tooling(tmp_path: Path) -> None:
    assert plan.runtime_paths(project(tmp_path)) == ["config", "manage.py", "svc"]


def test_installs_project_only_with_a_build_system(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert not plan.installs_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n[build-system]\nrequires = ["setuptools"]\n'
    )
    assert plan.installs_project(tmp_path)


def test_plan_needs_phase1_locks(tmp_path: Path) -> None:
    s = config.load(project(tmp_path), environ={})
    with pytest.raises(InputError, match="no locked runtime requirements") as caught:
        plan.plan_dockerfile(s)
    assert caught.value.hint is not None and "phase1" in caught.value.hint


def test_change_counts_and_order() -> None:
    log = "svc/app.py\nsvc/model.py\n\nconfig/app.toml\nsvc/app.py\nREADME.md\n"
    counts = change_counts(log)
    assert counts == Counter({"svc": 3, "config": 1, "README.md": 1})
    assert order_by_stability(["svc", "config", "static"], counts, fallback=FALLBACK_RANK) == [
        "static",
        "config",
        "svc",
    ]  # fmt: skip  (static never changed; config once; svc three times)
    assert order_by_stability(["svc", "data", "config"], Counter(), fallback=FALLBACK_RANK) == [
        "config", "data", "svc",
    ]  # fmt: skip
    assert log_argv(Path("/p"))[:3] == ["git", "-C", "/p"]
