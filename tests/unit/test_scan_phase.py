"""What ``dockyard scan`` looks at, decided from the project (no tool runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import config, process
from dockyard.phases import scan as scan_phase
from tests.unit.conftest import FakeProcess


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "docker").mkdir(parents=True)
    (root / "requirements").mkdir()
    (root / "app").mkdir()
    (root / "Dockerfile").write_text("FROM python:3.11-slim\n")
    (root / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    (root / "docker" / "Dockerfile.new").write_text("FROM python:3.11-slim\n")
    (root / "docker" / "Dockerfile.dockerignore").write_text(".git\n")
    (root / "docker" / "ci.Dockerfile").write_text("FROM python:3.11-slim\n")
    (root / "docker" / "compose.yaml").write_text("services: {}\n")
    for group in ("base", "ml"):
        (root / "requirements" / f"{group}.in").write_text("x\n")
        (root / "requirements" / f"{group}.txt").write_text("x==1\n")
    (root / "requirements" / "notes.txt").write_text("not a lock\n")
    (root / "app" / "main.py").write_text("print(1)\n")
    (root / "app" / "id_rsa").write_text("k\n")
    (root / ".env").write_text("A=1\n")
    (root / ".dockerignore").write_text(".env\n")
    return root


def test_plan_target(project: Path, fake_process: FakeProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "tool_path", lambda program: "/usr/bin/docker")
    fake_process.on(["/usr/bin/docker", "image", "inspect"], returncode=1)
    s = config.load(project, environ={})
    target = scan_phase.plan_target(s, scan_phase.ScanOptions(), osv_url="http://127.0.0.1:1/v1/query")
    found = [target.rel(p) for p in target.dockerfiles]
    assert found == ["Dockerfile", "docker/Dockerfile", "docker/ci.Dockerfile"]
    assert [target.rel(p) for p in target.compose_files] == ["docker/compose.yaml"]
    assert [target.rel(p) for p in target.locks] == ["requirements/base.txt", "requirements/ml.txt"]
    assert ".env" not in target.context and "app/id_rsa" in target.context
    assert target.image is None and "svc:dockyard not found" in target.image_skipped
    assert scan_phase.originals(target) == ("Dockerfile",)


def test_context_secrets_check(project: Path) -> None:
    from dockyard.scan import CHECKS
    from dockyard.scan.model import ScanTarget

    target = ScanTarget(project=project, context=scan_phase.context(project))
    result = CHECKS["context-secrets"].run(target)
    assert [(f.code, f.file, f.level) for f in result.findings] == [("secret-file", "app/id_rsa", "high")]
