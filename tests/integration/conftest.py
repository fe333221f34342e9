"""Integration tests run real docker, compose, registry and scanners.

Without an engine they skip locally, but in CI (``CI`` set, or ``--require-docker``) a missing
engine is a failure: CI must never go green by skipping the tests that matter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import Engine
from dockyard.errors import DockyardError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inference-service"
BASE_IMAGE = "python:3.11-slim"
#: A docker config directory whose cli-plugins hold buildx (.ci/provision-buildx puts it there), so
#: the buildx path is tested without making it every test's default.
BUILDX_CONFIG = Path(
    os.environ.get("TEST_BUILDX_CONFIG")
    or Path(os.environ.get("CI_STATE_DIR", "/var/lib/dockyard-ci")) / "buildx-config"
)
#: The classic client: Engine 20.10's own CLI, which builds with BuildKit natively.
CLASSIC_DOCKER = os.environ.get("TEST_CLASSIC_DOCKER", "/usr/bin/docker")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-docker", action="store_true", help="fail, not skip, without a Docker engine")
    parser.addoption(
        "--qemu",
        action="store_true",
        help="run only the tests marked qemu (non-native platforms; .ci/provision-qemu first)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
    # qemu tests need a provisioning the everyday run does not do (about 12 minutes of debootstrap):
    # deselected there, not skipped, and `nox -s platform` runs them alone, where they must pass.
    wanted = bool(config.getoption("--qemu"))
    chosen = [item for item in items if (item.get_closest_marker("qemu") is not None) == wanted]
    dropped = [item for item in items if item not in chosen]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen


def _required(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--require-docker") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Engine:
    """A probed engine that can build with BuildKit, and has the base image."""
    try:
        eng = Engine.connect(config.load(ROOT))
    except DockyardError as exc:
        if _required(request):
            pytest.fail(f"Docker is required here but unusable:\n{exc.render()}")
        pytest.skip(f"no usable Docker engine: {exc.message}")
    probe = subprocess.run([eng.docker, "image", "inspect", BASE_IMAGE], capture_output=True, check=False)
    if probe.returncode != 0:
        message = f"{BASE_IMAGE} is missing; run .ci/provision (it makes it when it cannot be pulled)"
        if _required(request):
            pytest.fail(message)
        pytest.skip(message)
    return eng


@pytest.fixture(params=["classic", "buildx"])
def both_engines(request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The test runs twice: with the classic 20.10 client and with buildx (its docker driver).

    The buildx run sets DOCKER_CONFIG for the test, so every docker command it starts (the CLI
    too) finds the plugin; nothing outside the test sees it.
    """
    if request.param == "classic":
        settings = config.load(ROOT, {"docker": CLASSIC_DOCKER, "builder": "buildkit"})
    else:
        if not (BUILDX_CONFIG / "cli-plugins" / "docker-buildx").is_file():
            message = f"no buildx plugin in {BUILDX_CONFIG}/cli-plugins; run .ci/provision"
            if _required(request):
                pytest.fail(message)
            pytest.skip(message)
        monkeypatch.setenv("DOCKER_CONFIG", str(BUILDX_CONFIG))
        settings = config.load(ROOT, {"docker": "docker", "builder": "buildx"})
    try:
        return Engine.connect(settings)
    except DockyardError as exc:
        pytest.fail(f"{request.param}: cannot build here:\n{exc.render()}")


@pytest.fixture(scope="session")
def docker(engine: Engine) -> str:
    return engine.docker


def dockyard_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI, as a user would (``python -m dockyard``)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the naive bundled example."""
    target = tmp_path / "inference-service"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


@pytest.fixture(scope="session")
def session_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the example shared by tests that only read it (and build it)."""
    target = tmp_path_factory.mktemp("shared") / "inference-service"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


@pytest.fixture
def unique_tag() -> Iterator[str]:
    """An image tag that the test owns; the image is removed afterwards."""
    tag = f"dockyard-test:{uuid.uuid4().hex[:10]}"
    yield tag
    docker = shutil.which("docker")
    if docker:
        subprocess.run([docker, "image", "rm", "--force", tag], capture_output=True, check=False)
