"""What a base image already has: read once through the seam, then from the state directory's cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockyard import preinstalled, process


def test_parse_takes_the_last_line_and_normalizes() -> None:
    assert preinstalled.parse('warning\n{"Setuptools": "66.1.1", "pip": "23.0.1"}\n') == {
        "pip": "23.0.1",
        "setuptools": "66.1.1",
    }
    assert preinstalled.parse("not json") == {}
    assert preinstalled.parse("[1, 2]") == {}


def test_asked_once_then_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def fake(argv: Any, **_: Any) -> process.Result:
        calls.append(tuple(argv))
        return process.Result(tuple(argv), 0, '{"pip": "23.0.1", "wheel": "0.38.4"}\n', "")

    monkeypatch.setattr(process, "run", fake)
    first = preinstalled.distributions("docker", "python:3.11-slim", tmp_path)
    again = preinstalled.distributions(None, "python:3.11-slim", tmp_path)
    assert first == again == {"pip": "23.0.1", "wheel": "0.38.4"}
    assert len(calls) == 1 and calls[0][:4] == ("docker", "run", "--rm", "--network")
    assert preinstalled.distributions(None, "python:3.12-slim", tmp_path) is None  # no docker, no answer


def test_a_failure_is_no_preference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        process, "run", lambda argv, **_: process.Result(tuple(argv), 125, "", "Unable to find image")
    )
    assert preinstalled.distributions("docker", "nope:1", tmp_path) is None
    assert not (tmp_path / preinstalled.CACHE_FILE).exists()


def test_what_the_original_upgrades_by_name_is_not_preferred(tmp_path: Path) -> None:
    from dockyard.phases.phase1 import _upgraded

    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\n"
        "RUN pip install --upgrade pip && pip install wheel 'setuptools>=70' && pip install six\n"
    )
    assert _upgraded(tmp_path / "Dockerfile") == {"pip", "setuptools"}  # `pip install six` keeps six


def test_a_dry_run_asks_but_writes_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        process, "run", lambda argv, **_: process.Result(tuple(argv), 0, '{"pip": "24.0"}', "")
    )
    assert preinstalled.distributions("docker", "python:3.11-slim", tmp_path, save=False) == {"pip": "24.0"}
    assert not (tmp_path / preinstalled.CACHE_FILE).exists()
