"""The wheelhouse for real: wheels built in the base image, then an image built with no network at all.

The project is tests/data/wheelhouse/tiny: docopt (only an sdist on PyPI), six (a wheel), and a
setuptools build backend, so the offline build exercises every wheel set (installer, a lock with a wheel
built from an sdist, build-system). The ML-sized example is measured by hand (see the module docstring of
dockyard.wheelhouse); it needs the same code paths and minutes more.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config, process, wheelhouse
from dockyard.engine import BuildRequest, Engine
from dockyard.errors import BuildFailed
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render.dockerfile import DockerfilePlan, render

TINY = Path(__file__).resolve().parents[1] / "data" / "wheelhouse" / "tiny"
#: the platform of the local python:3.11-slim, whose wheelhouse the tests build
NATIVE = "linux/amd64"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[tuple[Path, DockerfilePlan]]:
    """A copy of the tiny project with its wheelhouse built once for the module."""
    project = tmp_path_factory.mktemp("wheelhouse") / "tiny"
    shutil.copytree(TINY, project)
    plan = plan_dockerfile(config.load(project))
    report = wheelhouse.build(engine, plan, project)
    assert [m.set for m in report.built] == ["installer", "base", "build-system"]
    assert report.after.platform == NATIVE
    yield project, plan


@pytest.fixture
def tags(docker: str) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    if made:
        subprocess.run([docker, "image", "rm", "--force", *made], capture_output=True, check=False)


def offline_build(engine: Engine, project: Path, plan: DockerfilePlan, tag: str) -> None:
    # Outside the project: a docker/ directory would be a second top-level package to setuptools' flat layout.
    dockerfile = project.parent / f"Dockerfile.{uuid.uuid4().hex[:8]}"
    dockerfile.write_text(render(plan))
    # no_cache: a layer cached by an earlier run would let the build pass without installing anything.
    request = BuildRequest(
        context=project, dockerfile=dockerfile, target="runtime", tags=(tag,), network="none", no_cache=True
    )
    engine.build(request, label="wheelhouse-test")


def test_sdist_wheel_hash_is_added_and_sets_are_reused(
    tiny: tuple[Path, DockerfilePlan], engine: Engine
) -> None:
    project, plan = tiny
    base = wheelhouse.read_manifest(wheelhouse.platform_directory(project, NATIVE) / "base")
    assert base is not None
    origins = {w.file.split("-")[0]: w.origin for w in base.wheels}
    assert origins == {"docopt": wheelhouse.Origin.BUILT, "six": wheelhouse.Origin.LOCK}
    docopt = next(w for w in base.wheels if w.file.startswith("docopt-"))
    lock = (wheelhouse.platform_directory(project, NATIVE) / "base" / "requirements.txt").read_text()
    assert f"--hash=sha256:{docopt.sha256}" in lock
    assert f"--hash=sha256:{docopt.sha256}" not in (project / "requirements" / "base.txt").read_text()

    again = wheelhouse.build(engine, plan, project)
    assert again.built == () and again.after.up_to_date


def test_image_builds_with_no_network_from_the_wheelhouse(
    tiny: tuple[Path, DockerfilePlan], engine: Engine, docker: str, tags: list[str]
) -> None:
    project, plan = tiny
    # Control: the same Dockerfile without the wheelhouse cannot build with no network.
    with pytest.raises(BuildFailed) as control:
        offline_build(engine, project, plan, f"dockyard-test:{uuid.uuid4().hex[:10]}")
    assert "pip install uv==" in control.value.message  # the first step that needs the index

    tag = f"dockyard-test:{uuid.uuid4().hex[:10]}"
    tags.append(tag)
    offline_build(engine, project, wheelhouse.use(plan), tag)
    run = subprocess.run(
        [docker, "run", "--rm", "--network", "none", tag, "python", "-m", "tinyapp", "--name=offline"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout.strip()) == (0, "hello offline"), run.stderr


def test_changed_lock_fails_the_build_and_rebuilds_only_its_set(
    tiny: tuple[Path, DockerfilePlan], engine: Engine, tmp_path: Path
) -> None:
    project = tmp_path / "tiny"
    shutil.copytree(tiny[0], project)
    with (project / "requirements" / "base.txt").open("a") as lock:
        lock.write("# edited after the wheelhouse was built\n")
    plan = plan_dockerfile(config.load(project))
    with pytest.raises(BuildFailed) as failed:
        offline_build(engine, project, wheelhouse.use(plan), f"dockyard-test:{uuid.uuid4().hex[:10]}")
    assert "run 'dockyard wheels'" in failed.value.output_tail

    report = wheelhouse.build(engine, plan, project)
    assert [m.set for m in report.built] == ["base"]
    assert [s.reason for s in report.before.sets if s.state is wheelhouse.State.STALE] == [
        "requirements/base.txt changed"
    ]


def test_generated_dockerfiles_pass_hadolint(tiny: tuple[Path, DockerfilePlan], tmp_path: Path) -> None:
    project, plan = tiny
    hadolint = process.tool_path("hadolint")
    assert hadolint is not None
    builder = project / ".dockyard" / wheelhouse.BUILD_DIR / "Dockerfile"
    main = tmp_path / "Dockerfile"
    main.write_text(render(wheelhouse.use(plan)))
    for path in (builder, main):
        result = process.run([hadolint, str(path)], check=False)
        assert result.returncode == 0, result.stdout
