"""Fixture projects of every kind (tests/data/projects): what is read, where each package goes, and
what is reported. Their lock files and build-backend METADATA were made by the real uv, poetry, pdm,
pipenv and setuptools (tests/data/projects/make_locks.py); here the METADATA is replayed, so no
backend runs.

Each case's ``expected.json`` holds the exact placement of every direct dependency, every finding
(``level code package``), the project lock read and its pin count, or the error. After a deliberate
change: ``python tests/unit/test_requirements_projects.py --regen`` and review the diff.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import InputError
from dockyard.requirements import GROUPS, Analysis, analyse

PROJECTS = Path(__file__).resolve().parent.parent / "data" / "projects"
CASES = sorted(p.name for p in PROJECTS.iterdir() if (p / "project").is_dir())


def materialize(case: Path, into: Path) -> Path:
    project = into / "project"
    shutil.copytree(case / "project", project)
    for source in sorted(project.rglob("*.py.src")):
        source.rename(source.with_name(source.name.removesuffix(".src")))
    return project


def replay(case: Path, project: Path) -> Any:
    """A metadata reader that returns what the real build backend returned for that directory."""

    def read(folder: Path) -> str:
        rel = folder.resolve().relative_to(project.resolve()).as_posix()
        return (case / "metadata" / f"{'root' if rel == '.' else rel}.METADATA").read_text()

    return read


def observed(case: Path, into: Path) -> dict[str, Any]:
    project = materialize(case, into)
    try:
        analysis = analyse(project, metadata=replay(case, project), python_version="3.11")
    except InputError as exc:
        return {"error": exc.message, "path": exc.path, "line": exc.line}
    return summary(analysis)


def summary(analysis: Analysis) -> dict[str, Any]:
    declared = analysis.declared
    return {
        "placements": {p.key: p.group for p in analysis.classification.placements},
        "findings": [f"{f.level} {f.code} {f.package or '-'}" for f in analysis.findings],
        "lock_file": declared.lock_file,
        "locked_pins": len(declared.locked),
    }


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", CASES)
def test_project(name: str, tmp_path: Path) -> None:
    case = PROJECTS / name
    expected = json.loads((case / "expected.json").read_text())
    assert observed(case, tmp_path) == expected


def _succeeds(name: str) -> bool:
    expected = PROJECTS / name / "expected.json"
    return expected.is_file() and "error" not in json.loads(expected.read_text())


@pytest.mark.parametrize("name", [c for c in CASES if _succeeds(c)])
def test_nothing_is_dropped(name: str, tmp_path: Path) -> None:
    """Every declared line is placed, and every placement is a line of exactly one .in file."""
    case = PROJECTS / name
    project = materialize(case, tmp_path)
    analysis = analyse(project, metadata=replay(case, project), python_version="3.11")
    placed = {(e.text, e.origin) for p in analysis.classification.placements for e in p.entries}
    assert {(e.text, e.origin) for e in analysis.declared.entries} <= placed
    for placement in analysis.classification.placements:
        text = placement.entries[0].text
        holders = [
            g
            for g in GROUPS
            if any(line.startswith(text) for line in analysis.plan.files[f"{g}.in"].splitlines())
        ]
        assert holders == [placement.group], (placement.key, holders)


def regenerate() -> None:
    for name in CASES:
        case = PROJECTS / name
        with tempfile.TemporaryDirectory() as tmp:
            result = observed(case, Path(tmp))
        (case / "expected.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"regenerated {name}")


if __name__ == "__main__" and sys.argv[1:] == ["--regen"]:
    regenerate()
