"""Real locks: uv resolves every set once from PyPI, with hashes, split into layers, reproducibly."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.requirements import GROUPS, analyse, conflicting_pins, lock, pins
from dockyard.requirements.lock import all_hashed

pytestmark = pytest.mark.integration

REQUIREMENTS = """\
fastapi
uvicorn
numpy
pytest
httpx
ruff
-e ./libs/helper
"""
HELPER = """\
[project]
name = "helper"
version = "0.1.0"
dependencies = ["six"]

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
"""


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    project = tmp_path / "svc"
    (project / "libs" / "helper" / "helper").mkdir(parents=True)
    (project / "libs" / "helper" / "pyproject.toml").write_text(HELPER)
    (project / "libs" / "helper" / "helper" / "__init__.py").write_text("")
    (project / "requirements.txt").write_text(REQUIREMENTS)
    (project / "app.py").write_text("import fastapi\nimport numpy\nimport helper\n")
    return project


def test_small_project_locks_with_hashes_and_one_version_per_package(small_project: Path) -> None:
    analysis = analyse(small_project)
    assert "numpy" in analysis.plan.files["ml.in"]
    assert "httpx" in analysis.plan.files["test.in"]
    locked = lock(small_project, python_version="3.11", inputs=analysis.plan.files)

    assert list(locked.files) == [f"{g}.txt" for g in GROUPS]
    for name, text in locked.files.items():
        assert pins(text), f"{name} is empty"
        assert all_hashed(text), name
        assert "--hash=sha256:" in text
        assert "# via" in text
    assert conflicting_pins(locked.files) == {}
    base, ml, test = (pins(locked.files[f"{g}.txt"]) for g in ("base", "ml", "test"))
    assert {"fastapi", "starlette", "six"} <= set(base)
    assert "numpy" in ml
    assert {"pytest", "httpx"} <= set(test)
    # a package two layers need is in the earliest only: anyio (via starlette in base, via httpx in test)
    assert "anyio" in base and "anyio" not in test
    # the editable line is locked without a hash, set aside; its dependency six is hashed in base
    assert locked.unhashed["base"] == ("-e ./libs/helper",)
    assert locked.files["base.txt"].endswith("# -e ./libs/helper\n")
    assert "# via -r requirements/base.in" in locked.files["base.txt"]


def test_a_second_lock_changes_no_byte(small_project: Path) -> None:
    plan = analyse(small_project).plan
    first = lock(small_project, python_version="3.11", inputs=plan.files)
    target = small_project / "requirements"
    target.mkdir()
    for name, text in {**plan.files, **first.files}.items():
        (target / name).write_text(text)
    second = lock(small_project, python_version="3.11")
    assert dict(second.files) == dict(first.files)
    assert sorted(p.name for p in small_project.iterdir()) == [
        "app.py",
        "libs",
        "requirements",
        "requirements.txt",
    ]
