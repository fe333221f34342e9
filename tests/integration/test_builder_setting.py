"""The `builder` setting for real: a buildx builder named by the user reaches build and du; the classic
client refuses it with what to do."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import BASE_IMAGE, BUILDX_CONFIG, CLASSIC_DOCKER, dockyard_cli


@pytest.fixture
def tiny_build(tmp_path: Path, docker: str) -> Iterator[tuple[Path, str]]:
    """A one-step Dockerfile with per-run content (the step always runs) and a tag the test owns."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo {uuid.uuid4().hex} > /marker\n", encoding="utf-8"
    )
    tag = f"dockyard-test:{uuid.uuid4().hex[:10]}"
    yield tmp_path, tag
    subprocess.run([docker, "image", "rm", "--force", tag], capture_output=True, check=False)


def test_a_named_buildx_builder_is_passed_to_build_and_du(tiny_build: tuple[Path, str]) -> None:
    if not (BUILDX_CONFIG / "cli-plugins" / "docker-buildx").is_file():
        pytest.fail(f"no buildx plugin in {BUILDX_CONFIG}/cli-plugins; run .ci/provision")
    project, tag = tiny_build
    env = {"DOCKER_CONFIG": str(BUILDX_CONFIG), "DOCKYARD_DOCKER": "docker"}
    built = dockyard_cli(
        "build", "--project", str(project), "--builder", "default", "--tag", tag, "--json", "-", env=env
    )
    assert built.returncode == 0, built.stderr[-2000:]
    report = json.loads(built.stdout)
    argv = Path(report["data"]["log"]).read_text().splitlines()[0]
    assert "buildx build --load --builder default " in argv
    assert report["data"]["builder"] == "buildx"

    doctor = dockyard_cli("doctor", "--builder", "default", "--json", "-", env=env)
    assert doctor.returncode == 0, doctor.stderr
    assert "builder default, docker driver" in doctor.stdout

    used = dockyard_cli(
        "cache.df", "--project", str(project), "--json", "-", env={**env, "DOCKYARD_BUILDER": "default"}
    )
    assert used.returncode == 0, used.stderr[-2000:]
    df = json.loads(used.stdout)
    assert df["data"]["build_cache_of"] == "buildx builder default (buildx du)"
    measured = {m["name"]: m["value"] for m in df["measurements"]}
    assert measured["build_cache_bytes"] > 0  # the step just built is in it


def test_the_classic_client_refuses_a_builder_setting_and_says_what_to_do(
    tiny_build: tuple[Path, str],
) -> None:
    project, tag = tiny_build
    refused = dockyard_cli(
        "build",
        "--project", str(project),
        "--tag", tag,
        env={"DOCKYARD_DOCKER": CLASSIC_DOCKER, "DOCKYARD_BUILDER": "default"},
    )  # fmt: skip
    assert refused.returncode == 4, refused.stderr
    assert "names the buildx builder 'default'" in refused.stderr and "has no buildx" in refused.stderr
    assert "unset `builder`" in refused.stderr
