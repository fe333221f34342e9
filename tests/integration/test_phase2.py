"""Phase 2 on a copy of the bundled example: the generated image, inspected and rebuilt."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.engine import Engine
from tests.integration.conftest import EXAMPLE, dockyard_cli


@pytest.fixture(scope="module")
def phase2_project(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import shutil

    project = tmp_path_factory.mktemp("phase2") / "inference-service"
    shutil.copytree(EXAMPLE, project)
    first = dockyard_cli(
        "phase1", "--project", str(project), "--no-branch", "--scenario", "noop", "--runs", "1"
    )
    assert first.returncode == 0, first.stderr[-3000:]
    result = dockyard_cli("phase2", "--project", str(project), "--no-branch", "--runs", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project, result.stdout


def in_image(docker: str, image: str, script: str, *, user: str | None = None) -> str:
    argv = [docker, "run", "--rm", "--entrypoint", "sh"]
    if user:
        argv += ["--user", user]
    done = subprocess.run([*argv, image, "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_phase2_summary(phase2_project: tuple[Path, str]) -> None:
    project, out = phase2_project
    assert (project / "docker" / "Dockerfile").is_file()
    assert "hadolint      clean" in out
    assert "/health answered" in out
    assert "code-change rebuild (median)" in out and "faster" in out


def test_generated_dockerfile_is_hadolint_clean(phase2_project: tuple[Path, str]) -> None:
    from dockyard.scan import SCANNERS, at_or_above

    project, _ = phase2_project
    result = SCANNERS["hadolint"].scan(project / "docker" / "Dockerfile")
    assert at_or_above(result.findings, "warning") == []


def test_runtime_image_has_no_compiler_cache_or_dev_packages(
    engine: Engine, phase2_project: tuple[Path, str]
) -> None:
    project, _ = phase2_project
    image = f"{project.name.lower()}:dockyard"
    docker = engine.docker
    assert in_image(docker, image, "id -u") == "10001"
    assert in_image(docker, image, "command -v gcc cc g++ make || true") == ""
    assert in_image(docker, image, "ls -A /root/.cache 2>/dev/null || true", user="0") == ""
    found = in_image(
        docker,
        image,
        'python -c "import importlib.util as u; '
        "print(','.join(m for m in ['pytest','ruff','mypy','black','isort','httpx','sklearn','fastapi'] "
        'if u.find_spec(m)))"',
    )
    assert found == "sklearn,fastapi"


def test_dependencies_ship_their_bytecode(engine: Engine, phase2_project: tuple[Path, str]) -> None:
    """The runtime user cannot write ``__pycache__`` (and PYTHONDONTWRITEBYTECODE is set): bytecode
    not compiled at install would be compiled again at every start (a Django start took 1.05 s
    instead of 0.6 s)."""
    project, _ = phase2_project
    image = f"{project.name.lower()}:dockyard"
    script = (
        "import os, fastapi, importlib.util as u; d = os.path.dirname(fastapi.__file__); "
        "py = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith('.py')]; "
        "print(len(py), sum(os.path.exists(u.cache_from_source(p)) for p in py))"
    )
    total, compiled = map(int, in_image(engine.docker, image, f'python -c "{script}"').split())
    assert total > 10
    assert compiled == total


def test_rerun_rebuilds_nothing(phase2_project: tuple[Path, str]) -> None:
    project, _ = phase2_project
    again = dockyard_cli("phase2", "--project", str(project), "--no-branch", "--no-bench", "--no-smoke")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "docker/Dockerfile is up to date" in again.stdout
    assert "100% of steps cached" in again.stdout


def test_test_stage_runs_the_projects_tests_and_fails_the_build_when_they_fail(
    engine: Engine, phase2_project: tuple[Path, str], tmp_path: Path
) -> None:
    """A fresh test file (unique per run) so the daemon's cache cannot answer for the test step."""
    import shutil
    import uuid

    from dockyard.engine import BuildRequest
    from dockyard.errors import BuildFailed

    project = tmp_path / "inference-service"
    shutil.copytree(phase2_project[0], project)
    nonce = uuid.uuid4().hex[:12]
    probe = project / "tests" / "test_dockyard_probe.py"
    probe.write_text(f"def test_probe_{nonce}():\n    assert True\n")
    request = BuildRequest(context=project, dockerfile=project / "docker" / "Dockerfile", target="test")
    result = engine.build(request, label="phase2-test-stage")
    subprocess.run([engine.docker, "image", "rm", result.image_id], capture_output=True, check=False)
    ran = result.log_path.read_text().split("python -m pytest")[-1]
    assert " passed" in ran and " failed" not in ran

    probe.write_text(f"def test_probe_{nonce}():\n    assert 1 == 2, 'dockyard probe'\n")
    with pytest.raises(BuildFailed) as failed:
        engine.build(request, label="phase2-test-stage-failing")
    assert "pytest" in str(failed.value)
