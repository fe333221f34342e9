"""Accepting a recommendation: one line of [tool.dockyard] set, everything else byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import config, pyproject_settings
from dockyard.errors import ConfigError, WriteRefused
from dockyard.phases import basecandidates
from dockyard.phases.basecandidates import Candidate
from dockyard.phases.report import Status

PROJECT = """\
[project]
name = "svc"  # the name
version = "1"

[tool.dockyard]
# chosen by hand
app_port = 8000
runtime-base = "slim"   # was

[tool.ruff]
line-length = 100
"""


def test_replaces_the_key_line_in_place() -> None:
    new = pyproject_settings.set_key(PROJECT, "runtime_base", "distroless")
    assert new == PROJECT.replace('runtime-base = "slim"   # was', 'runtime_base = "distroless"')


def test_adds_the_key_at_the_end_of_the_table() -> None:
    text = PROJECT.replace('runtime-base = "slim"   # was\n', "")
    new = pyproject_settings.set_key(text, "runtime_base", "stripped")
    assert 'app_port = 8000\nruntime_base = "stripped"\n\n[tool.ruff]' in new
    last = "[tool.dockyard]\napp_port = 1"
    new = pyproject_settings.set_key(last, "runtime_base", "x")
    assert new.endswith('app_port = 1\nruntime_base = "x"\n')


def test_appends_the_table_or_starts_a_file() -> None:
    text = '[project]\nname = "svc"\n'
    assert pyproject_settings.set_key(text, "runtime_base", "stripped") == (
        text + '\n[tool.dockyard]\nruntime_base = "stripped"\n'
    )
    started = pyproject_settings.set_key("", "runtime_base", "slim")
    assert started == '[tool.dockyard]\nruntime_base = "slim"\n'


def test_refuses_a_table_it_cannot_edit_by_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        pyproject_settings.set_key("[tool]\ndockyard = { app_port = 1 }\n", "runtime_base", "stripped")
    assert caught.value.hint == 'add `runtime_base = "stripped"` to [tool.dockyard] by hand'


def test_apply_writes_and_refuses_a_file_changed_since_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    edit = pyproject_settings.plan(tmp_path, "runtime_base", "stripped")
    assert edit.changes and '+runtime_base = "stripped"' in edit.diff()
    pyproject_settings.apply(edit)
    assert config.load(tmp_path, environ={}).runtime_base == "stripped"
    edit = pyproject_settings.plan(tmp_path, "runtime_base", "distroless")
    (tmp_path / "pyproject.toml").write_text(PROJECT + "\n# edited meanwhile\n")
    with pytest.raises(WriteRefused):
        pyproject_settings.apply(edit)
    assert (tmp_path / "pyproject.toml").read_text().endswith("# edited meanwhile\n")


def candidate(kind: str, size: int, passed: bool) -> Candidate:
    return Candidate(kind=kind, image=kind, size=size, build_s=0, passed=passed, smoke="", packages=0)


FOUND = [candidate("slim", 300, True), candidate("stripped", 250, True), candidate("distroless", 100, False)]


def test_accept_is_one_step(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    s = config.load(tmp_path, environ={})
    dry = basecandidates.accept(s, FOUND, dry_run=True)
    assert dry.status is Status.PLANNED and "runtime_base" not in (tmp_path / "pyproject.toml").read_text()
    done = basecandidates.accept(s, FOUND)
    assert done.status is Status.DONE and "dockyard phase2" in done.summary
    assert config.load(tmp_path, environ={}).runtime_base == "stripped"
    again = basecandidates.accept(config.load(tmp_path, environ={}), FOUND)
    assert again.status is Status.CURRENT
    none = basecandidates.accept(s, [candidate("slim", 1, False)])
    assert none.status is Status.SKIPPED


def test_report_shows_a_refused_candidate_and_says_how_to_accept() -> None:
    refused = Candidate(
        kind="distroless",
        image="",
        size=0,
        build_s=0,
        passed=False,
        smoke="refused: needs a shell",
        packages=-1,
    )
    report = basecandidates.report([*FOUND[:2], refused], applied="slim")
    rows = {row[0]: row for row in report.tables[0].rows}
    assert rows["distroless"][2] == "-" and rows["distroless"][6] == "refused: needs a shell"
    assert "base.candidates --apply" in report.summary and report.data["recommended"] == "stripped"
