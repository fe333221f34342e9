"""One non-native platform for real: the tiny project's wheelhouse and generated Dockerfile built for
linux/arm64 through buildx on this amd64 machine, under qemu, and the image run.

Needs qemu-user registered with binfmt_misc and the arm64 stand-in base image (.ci/provision-qemu);
`nox -s platform` provisions both and runs this module alone (``--qemu``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config, wheelhouse
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render.dockerfile import render
from tests.integration.conftest import BUILDX_CONFIG, dockyard_cli

pytestmark = pytest.mark.qemu

TINY = Path(__file__).resolve().parents[1] / "data" / "wheelhouse" / "tiny"
ARM64_BASE = os.environ.get("TEST_ARM64_BASE", "dockyard-ci/python:3.11-slim-arm64")
PLATFORM = "linux/arm64"


@pytest.fixture
def buildx_env(docker: str) -> dict[str, str]:
    """buildx (its `default` builder, the docker driver) and the arm64 stand-in, or a failure saying why."""
    if not (BUILDX_CONFIG / "cli-plugins" / "docker-buildx").is_file():
        pytest.fail(f"no buildx plugin in {BUILDX_CONFIG}/cli-plugins; run .ci/provision")
    found = subprocess.run(
        [docker, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", ARM64_BASE],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.stdout.strip() != PLATFORM:
        pytest.fail(
            f"{ARM64_BASE} ({found.stdout.strip() or 'missing'}) is not {PLATFORM}: run .ci/provision-qemu"
        )
    return {"DOCKER_CONFIG": str(BUILDX_CONFIG), "DOCKYARD_DOCKER": "docker", "DOCKYARD_BUILDER": "default"}


@pytest.fixture
def arm_project(tmp_path: Path) -> Path:
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + f'base_image = "{ARM64_BASE}"\nplatforms = ["{PLATFORM}"]\n', encoding="utf-8"
    )
    return project


@pytest.fixture
def arm_tag(docker: str) -> Iterator[str]:
    tag = f"dockyard-test-arm64:{uuid.uuid4().hex[:10]}"
    yield tag
    subprocess.run([docker, "image", "rm", "--force", tag], capture_output=True, check=False)


def test_arm64_wheelhouse_image_builds_and_runs_under_qemu(
    docker: str, buildx_env: dict[str, str], arm_project: Path, arm_tag: str
) -> None:
    started = time.monotonic()
    wheels = dockyard_cli("wheels", "--project", str(arm_project), "--json", "-", env=buildx_env)
    assert wheels.returncode == 0, wheels.stderr[-3000:]
    wheels_s = time.monotonic() - started
    arm = wheelhouse.platform_directory(arm_project, PLATFORM)
    manifest = wheelhouse.read_manifest(arm / "base")
    assert manifest is not None and manifest.platform == PLATFORM and manifest.base_image == ARM64_BASE
    assert not (arm_project / wheelhouse.DIRNAME / "linux" / "amd64").exists()  # never mixed
    docopt = next(w for w in manifest.wheels if w.file.startswith("docopt-"))
    assert docopt.origin is wheelhouse.Origin.BUILT  # built from its sdist, in the arm64 image

    plan = wheelhouse.use(plan_dockerfile(config.load(arm_project, environ={})))
    dockerfile = arm_project.parent / "Dockerfile.arm64"
    dockerfile.write_text(render(plan), encoding="utf-8")
    assert "COPY .wheelhouse/${TARGETPLATFORM} /" in dockerfile.read_text()  # the same file for any platform
    built_at = time.monotonic()
    build = dockyard_cli(
        "build",
        "--project", str(arm_project),
        "--dockerfile", str(dockerfile),
        "--target", "runtime",
        "--tag", arm_tag,
        "--platform", PLATFORM,
        "--json", "-",
        env=buildx_env,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    build_s = time.monotonic() - built_at
    report = json.loads(build.stdout)
    argv_line = Path(report["data"]["log"]).read_text().splitlines()[0]
    assert "--builder default" in argv_line and f"--platform {PLATFORM}" in argv_line

    arch = subprocess.run(
        [docker, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", arm_tag],
        capture_output=True,
        text=True,
        check=True,
    )
    assert arch.stdout.strip() == PLATFORM
    ran = subprocess.run(
        [docker, "run", "--rm", "--network", "none", arm_tag, "python", "-c",
         "import platform, tinyapp; print(platform.machine())"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout.strip()) == (0, "aarch64"), ran.stderr
    app = subprocess.run(
        [docker, "run", "--rm", "--network", "none", arm_tag, "python", "-m", "tinyapp", "--name=arm64"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (app.returncode, app.stdout.strip()) == (0, "hello arm64"), app.stderr
    print(f"\narm64 under qemu: wheels {wheels_s:.1f} s, image build {build_s:.1f} s")


def test_a_platform_list_on_the_docker_driver_says_what_to_set(
    buildx_env: dict[str, str], arm_project: Path
) -> None:
    listed = dockyard_cli(
        "build", "--project", str(arm_project), "--platform", "linux/amd64,linux/arm64", env=buildx_env
    )
    assert listed.returncode == 2, listed.stderr
    assert "`docker` driver" in listed.stderr and "one platform per tag" in listed.stderr
    assert "docker buildx create --name multi --driver docker-container" in listed.stderr
