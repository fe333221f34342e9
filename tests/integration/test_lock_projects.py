"""Every kind of fixture project, read and locked for real: the build backend's metadata hook, uv's one
resolution, the split into layers. No Docker. Asserts hash-locked non-empty layers, exact placement,
nothing dropped, and pin-for-pin fidelity to the project's own lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.requirements import GROUPS, Locked, analyse, lock, pins
from dockyard.requirements.lock import all_hashed
from tests.unit.test_requirements_projects import PROJECTS, materialize

KINDS = [
    "setup-py-only",
    "setup-cfg-only",
    "poetry-groups-lock",
    "poetry-no-lock",
    "pdm-lock",
    "uv-lock-groups",
    "hatch",
    "pipfile-lock",
    "requirements-e-dot",
    "monorepo-editable",
    "subdir-app",
    "transitive-pin",
    "dockerfile-pip-install",
]


def layer_pins(locked: Locked) -> dict[str, dict[str, str]]:
    return {group: pins(locked.files[f"{group}.txt"]) for group in GROUPS}


@pytest.mark.parametrize("kind", KINDS)
def test_kind_locks_into_hashed_layers(kind: str, tmp_path: Path) -> None:
    case = PROJECTS / kind
    expected = json.loads((case / "expected.json").read_text())["placements"]
    project = materialize(case, tmp_path)
    analysis = analyse(project, python_version="3.11")  # the real metadata hook for setup.py/setup.cfg
    assert {p.key: p.group for p in analysis.classification.placements} == expected
    assert not list(project.rglob("*.egg-info")), "the metadata hook left files in the project"
    locked = lock(project, python_version="3.11", analysis=analysis)
    layers = layer_pins(locked)
    assert all(all_hashed(text) for text in locked.files.values())
    assert layers["base"], "the runtime layer is empty"
    for group in set(expected.values()):
        # a layer is empty only when an earlier layer already needs every package declared for it
        needed_earlier = all(
            any(name in layers[g] for g in GROUPS[: GROUPS.index(group)])
            for name, g2 in expected.items()
            if g2 == group
        )
        assert layers[group] or needed_earlier, f"{group}.txt is empty though {group} packages are declared"
    seen: dict[str, str] = {}
    for group, found in layers.items():
        for name in found:
            assert name not in seen, f"{name} is in {seen.get(name)}.txt and {group}.txt"
            seen[name] = group
    for name, group in expected.items():
        if name.startswith((".", "-")):
            continue
        placed = seen.get(name)
        if name in {e.name for e in analysis.declared.entries if e.kind == "editable"}:
            assert name in " ".join(locked.unhashed[group]) or placed, name
            continue
        assert placed is not None, f"{name} was dropped"
        # the earliest layer that needs it: its own group, or earlier when an earlier package needs it
        assert GROUPS.index(placed) <= GROUPS.index(group), (name, placed, group)
    if analysis.declared.lock_file:
        project_lock = analysis.declared.locked
        shared = {n: v for found in layers.values() for n, v in found.items() if n in project_lock}
        assert shared == {n: project_lock[n] for n in shared}, "a pin differs from the project's lock"
        runtime = {n for g in ("base", "ml") for n in layers[g]}
        assert runtime <= set(project_lock), f"runtime pins not in the lock: {runtime - set(project_lock)}"


def test_transitive_pin_holds_across_layers(tmp_path: Path) -> None:
    project = materialize(PROJECTS / "transitive-pin", tmp_path)
    analysis = analyse(project, python_version="3.11")
    locked = lock(project, python_version="3.11", analysis=analysis)
    layers = layer_pins(locked)
    # contourpy (base) needs numpy, so numpy goes to base, at the version ml's numpy~=1.26.4 asks for
    assert layers["base"]["numpy"].startswith("1.26.")
    assert "contourpy" in layers["base"]
    assert "numpy" not in layers["ml"]


def test_a_broken_resolution_points_at_the_users_line(tmp_path: Path) -> None:
    project = tmp_path / "svc"
    project.mkdir()
    (project / "requirements.txt").write_text("contourpy>=1.3\nnumpy<1.20\n")
    analysis = analyse(project, python_version="3.11")
    with pytest.raises(Exception) as caught:
        lock(project, python_version="3.11", analysis=analysis)
    text = caught.value.render()  # type: ignore[attr-defined]
    assert "the requirements conflict" in text
    assert "numpy: declared at requirements.txt:2" in text
    assert ".dockyard-lock-" not in text
