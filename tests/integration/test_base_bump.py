"""base.bump against the loopback registry: the pin follows a newly pushed image."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from dockyard import digests
from tests.integration.conftest import dockyard_cli

REGISTRY = "localhost:5000"


def _push(docker: str, context: Path, ref: str, marker: str) -> None:
    (context / "Dockerfile").write_text(f"FROM python:3.11-slim\nRUN echo {marker} > /base-marker\n")
    env = {"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run([docker, "build", "-q", "-t", ref, str(context)], check=True, capture_output=True, env=env)
    subprocess.run([docker, "push", ref], check=True, capture_output=True)


def test_bump_changes_the_pin_after_a_new_push(docker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:10]
    ref = f"{REGISTRY}/dockyard-test/base-{run}:3.11-slim"
    project = tmp_path / "project"
    project.mkdir()
    try:
        _push(docker, tmp_path, ref, f"first-{run}")
        first = dockyard_cli("base.bump", "--project", str(project), "--base-image", ref, "--json", "-")
        assert first.returncode == 0, first.stderr
        pinned = digests.read_lock(project / digests.LOCK)[ref]
        pushed = subprocess.run(
            [docker, "image", "inspect", "--format", "{{json .RepoDigests}}", ref],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert pinned in json.loads(pushed)[0]
        again = dockyard_cli("base.bump", "--project", str(project), "--base-image", ref, "--json", "-")
        assert json.loads(again.stdout)["status"] == "current"

        _push(docker, tmp_path, ref, f"second-{run}")  # a security update of the base, same tag
        dry = dockyard_cli("base.bump", "--project", str(project), "--base-image", ref, "--dry-run")
        assert dry.returncode == 0 and "1 digest(s) would change" in dry.stdout
        assert digests.read_lock(project / digests.LOCK)[ref] == pinned  # dry run wrote nothing
        bumped = dockyard_cli("base.bump", "--project", str(project), "--base-image", ref)
        assert bumped.returncode == 0, bumped.stderr
        new = digests.read_lock(project / digests.LOCK)[ref]
        assert new != pinned and new.startswith("sha256:")
    finally:
        subprocess.run([docker, "image", "rm", ref], capture_output=True, check=False)


def test_unknown_image_is_a_clear_error(docker: str, tmp_path: Path) -> None:
    ref = f"{REGISTRY}/dockyard-test/missing-{uuid.uuid4().hex[:8]}:1"
    result = dockyard_cli("base.bump", "--project", str(tmp_path), "--base-image", ref)
    assert result.returncode != 0
    assert "answered 404" in result.stderr and ref in result.stderr
    assert not (tmp_path / digests.LOCK).exists()
