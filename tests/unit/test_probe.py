"""Builder choice and the doctor's advice, with the docker CLI faked from saved real answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import probe as probe_mod
from dockyard.engine.probe import choose_builder, probe, require_builder
from dockyard.errors import EngineUnavailable


@pytest.mark.parametrize(
    ("preference", "buildx", "native", "expected"),
    [
        ("auto", "v0.12.1", False, "buildx"),
        ("auto", "v0.12.1", True, "buildx"),
        ("auto", None, True, "buildkit"),
        ("auto", None, False, None),
        ("buildkit", "v0.12.1", False, None),
        ("buildx", None, True, None),
    ],
)
def test_choose_builder(preference: str, buildx: str | None, native: bool, expected: str | None) -> None:
    assert choose_builder(preference, buildx=buildx, native=native) == expected


@pytest.fixture
def fake_docker(fake_process, monkeypatch: pytest.MonkeyPatch, data_dir: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(shutil, "which", lambda name: f"/fake/{name}")
    monkeypatch.setattr(probe_mod, "docker_candidates", lambda docker: [])
    monkeypatch.setattr(probe_mod, "_hadolint_version", lambda: "2.15.1")
    fake_process.on(["/usr/bin/docker", "compose"], stdout='{"version":"v2.40.3"}')
    fake_process.on(["/usr/bin/docker", "buildx"], returncode=1, stderr="'buildx' is not a docker command")
    return fake_process


def test_debian_client_builds_natively(fake_docker, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_docker.on(
        ["/usr/bin/docker", "version"], stdout=(data_dir / "engine" / "version-20.10.json").read_text()
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker"}, environ={}))
    assert caps.builder == "buildkit" and caps.can_build and caps.problems() == []
    assert caps.compose_version == "2.40.3"
    assert require_builder(caps).name == "buildkit"


def test_modern_client_without_buildx_is_refused(fake_docker, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_docker.on(
        ["/usr/bin/docker", "version"], stdout=(data_dir / "engine" / "version-28-client.json").read_text()
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker"}, environ={}))
    assert caps.builder is None
    [problem] = caps.problems()
    assert "has no buildx" in problem and "install the buildx plugin" in problem
    with pytest.raises(EngineUnavailable, match="cannot build with BuildKit"):
        require_builder(caps)


def test_daemon_down(fake_docker, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = data_dir / "engine"
    fake_docker.on(
        ["/usr/bin/docker", "version"],
        stdout=(engine / "version-daemon-down.json").read_text(),
        stderr=(engine / "version-daemon-down.stderr").read_text(),
        returncode=1,
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker"}, environ={}))
    assert not caps.can_build
    [problem] = caps.problems()
    assert problem.startswith("daemon: not answering (Cannot connect to the Docker daemon")


def test_cli_28_with_buildx_on_engine_20_10_uses_the_docker_driver(
    fake_docker, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    engine = data_dir / "engine"
    fake_docker.on(["/usr/bin/docker", "version"], stdout=(engine / "version-28-buildx.json").read_text())
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "version"], stdout=(engine / "buildx-version.txt").read_text()
    )
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "inspect"], stdout=(engine / "buildx-inspect-docker.txt").read_text()
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker"}, environ={}))
    assert caps.builder == "buildx" and caps.buildx_version == "0.13.1+ds1"
    assert caps.buildx_driver == "docker"
    assert ("builder", "buildx 0.13.1+ds1 (docker driver); platforms linux/amd64, linux/386") in caps.rows()
    builder = require_builder(caps)
    assert builder.name == "buildx" and not builder.exports_cache


def test_parse_buildx_driver() -> None:
    from dockyard.engine.probe import parse_buildx_driver

    assert parse_buildx_driver("Name:   x\nDriver: docker-container\n") == "docker-container"
    assert parse_buildx_driver("Name: x\n") is None
