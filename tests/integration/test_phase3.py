"""Phase 3 against real compose v2 and Docker: the files compose accepts, the production stack healthy,
and the dev loop: an edit reaches the running service without a rebuild, a lock change rebuilds, and
``dev.down`` leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import Engine, compose, compose_models
from dockyard.errors import ToolMissing
from dockyard.phases import phase3
from dockyard.render import compose as render
from dockyard.render.writer import Format, strip_header

from .phase2_project import make_phase2_project

pytestmark = pytest.mark.slow


def docker_out(docker: str, *args: str) -> str:
    return subprocess.run([docker, *args], capture_output=True, text=True, check=True, timeout=120).stdout


def get_json(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return dict(json.loads(response.read()))
    except (OSError, ValueError):
        return None


def labelled(docker: str, project_name: str) -> list[str]:
    """Every container, network and volume carrying the project's label."""
    label = f"label=com.docker.compose.project={project_name}"
    found = docker_out(docker, "ps", "-a", "-q", "--filter", label).split()
    found += docker_out(docker, "network", "ls", "-q", "--filter", label).split()
    found += docker_out(docker, "volume", "ls", "-q", "--filter", label).split()
    return found


def compose_processes(project_name: str) -> list[str]:
    """Command lines of running compose processes for the project (a watch left running would show)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            text = " ".join(part.decode(errors="replace") for part in argv)
            if "compose" in text and project_name in text:
                found.append(text)
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Path:
    """A phase-2 project with the phase-3 files written and checked (no live check)."""
    root = make_phase2_project(tmp_path_factory.mktemp("phase3") / f"svc-{uuid.uuid4().hex[:8]}")
    phase3.files_step(config.load(root, {"docker": engine.docker}))
    return root


@pytest.fixture
def dev_stack(project: Path, docker: str) -> Iterator[compose.Stack]:
    stack = phase3.dev_stack(project, docker)
    yield stack
    subprocess.run(
        compose.down_argv(stack, remove_images=True), capture_output=True, check=False, timeout=300
    )


def test_compose_accepts_both_files_and_the_guide_matches_them(project: Path, docker: str) -> None:
    plan = phase3.plan(config.load(project, {"docker": docker}))
    checked = phase3.check_config(project, plan.compose, docker)
    assert checked.problems == ()
    app = checked.dev.service("app")
    synced = {(t.action, Path(t.path).name, t.target) for t in app.watch}
    assert ("sync", "inference_service", "/app/inference_service") in synced
    assert ("sync+restart", "config", "/app/config") in synced
    assert ("rebuild", "base.txt", None) in synced
    assert checked.production.service("app").build.target == "runtime"  # type: ignore[union-attr]
    # the guide on disk is the one built from compose's reading of the files, and agrees with the plan
    guide = phase3.guide(plan, dev=checked.dev_as_written, production=checked.production_as_written)
    assert guide == phase3.guide(plan)
    on_disk, _ = strip_header((project / "docs" / "development.md").read_text(), Format.MARKUP)
    assert on_disk == render.render_guide(guide)


def test_production_stack_runs_the_runtime_image_healthy(project: Path, docker: str) -> None:
    stack = phase3.production_stack(project, docker)
    port = phase3.free_port()
    env = {**os.environ, "APP_PORT": str(port)}
    try:
        subprocess.run(
            compose.up_argv(stack, wait_timeout=300), env=env, check=True, capture_output=True, timeout=900
        )
        ps = subprocess.run(compose.ps_argv(stack), env=env, check=True, capture_output=True, text=True)
        (container,) = compose_models.parse_ps(ps.stdout)
        assert container.healthy
        assert container.publishers[0].url == "127.0.0.1" and container.published_port(8000) == port
        inspect = json.loads(docker_out(docker, "container", "inspect", container.id))[0]
        assert inspect["Config"]["User"] == "10001:10001"  # the image's user: production does not override it
        assert inspect["HostConfig"]["ReadonlyRootfs"] is True
        assert get_json(f"http://127.0.0.1:{port}/health") == {"status": "ok"}
    finally:
        left = phase3.down(stack, remove_images=True)
    assert left == ()
    assert labelled(docker, stack.project_name) == []


def test_dev_loop_edit_without_rebuild_then_lock_rebuild_then_down(
    project: Path, docker: str, dev_stack: compose.Stack
) -> None:
    stack = dev_stack
    port = phase3.free_port()
    env = {"APP_PORT": str(port)}
    url = f"http://127.0.0.1:{port}/model"

    def container() -> compose_models.Container | None:
        ps = subprocess.run(compose.ps_argv(stack), capture_output=True, text=True, check=True)
        running = [c for c in compose_models.parse_ps(ps.stdout) if c.state == "running"]
        return running[0] if running else None

    def wait_healthy(not_id: str | None = None, timeout: float = 900) -> compose_models.Container:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = container()
            if found is not None and found.healthy and found.id != not_id:
                return found
            time.sleep(1)
        raise AssertionError("the dev container did not become healthy")

    def image_of(container_id: str) -> str:
        return docker_out(docker, "container", "inspect", "--format", "{{.Image}}", container_id).strip()

    with compose.background(compose.watch_argv(compose.standalone(stack)), env=env) as output:
        assert output.wait_for(lambda e: e.kind == "enabled", timeout=900), output.snapshot()[-20:]
        before = wait_healthy()
        image_before = image_of(before.id)
        assert get_json(url)["version"] == "0.3.1"  # type: ignore[index]

        # the tests, inside the dev container, as the image's user (dev.test)
        tests = subprocess.run(phase3.test_argv(stack), capture_output=True, text=True, timeout=600)
        assert tests.returncode == 0, tests.stdout[-2000:]
        assert " passed" in tests.stdout

        # 1. a source edit reaches the running service within 10 seconds, without a rebuild
        init = project / "inference_service" / "__init__.py"
        init.write_text(init.read_text().replace('"0.3.1"', '"0.4.0-dev"'))
        started = time.monotonic()
        while time.monotonic() - started < 10:
            body = get_json(url)
            if body is not None and body.get("version") == "0.4.0-dev":
                break
            time.sleep(0.2)
        else:
            pytest.fail(
                f"the edit did not show within 10s; watch said:\n{chr(10).join(output.snapshot()[-15:])}"
            )
        after = container()
        assert after is not None and after.id == before.id, "the edit recreated the container"
        assert image_of(after.id) == image_before, "the edit rebuilt the image"
        kinds = [e.kind for e in output.events()]
        assert "sync" in kinds and "rebuild" not in kinds and "error" not in kinds
        # the synced file arrived readable for the image's user
        cat = compose.exec_argv(stack, "app", ["cat", "/app/inference_service/__init__.py"], user="10001")
        assert "0.4.0-dev" in subprocess.run(cat, capture_output=True, text=True, check=True).stdout

        # 2. a lock change rebuilds the image and recreates the container
        with (project / "requirements" / "test.txt").open("a") as lock:
            lock.write("# a change to the lock\n")
        rebuilt = wait_healthy(not_id=before.id)
        assert image_of(rebuilt.id) != image_before
        assert output.wait_for(lambda e: e.kind == "rebuild", timeout=10) is not None
        assert get_json(url)["version"] == "0.4.0-dev"  # type: ignore[index]

    # leaving the block stopped watch: no compose process of the project is left
    deadline = time.monotonic() + 15
    while compose_processes(stack.project_name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert compose_processes(stack.project_name) == []

    # 3. dev.down leaves no container, network or volume
    mounts = docker_out(docker, "container", "inspect", "--format", "{{json .Mounts}}", rebuilt.id)
    assert phase3.down(stack) == ()
    # down removes the stack's current image; the one the lock change superseded is the test's to remove
    subprocess.run([docker, "image", "rm", image_before], capture_output=True, check=False)
    assert labelled(docker, stack.project_name) == []
    for volume in compose_models.parse_mount_volumes(mounts):
        assert volume not in docker_out(docker, "volume", "ls", "-q").split()


def test_hot_reload_check_on_a_scratch_copy(project: Path, docker: str) -> None:
    app = project / "inference_service" / "app.py"
    before = app.read_text()
    result = phase3.hot_reload_check(config.load(project, {"docker": docker}), docker=docker)
    assert result.ok, result.rows()
    assert result.mode == "http" and result.edited == "inference_service/app.py"
    assert result.seconds is not None and result.seconds < 10
    assert not result.image_rebuilt and not result.container_recreated
    assert result.leftovers == ()
    assert app.read_text() == before  # the project itself is never edited
    assert not [c for c in compose_processes("hotreload")]


def test_without_compose_v2_the_error_says_what_to_install(
    tmp_path: Path, docker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in (
        "/usr/local/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
    ):
        if (Path(folder) / "docker-compose").exists():
            pytest.skip(f"compose is installed system-wide in {folder}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # no ~/.docker/cli-plugins: no compose plugin
    with pytest.raises(ToolMissing) as caught:
        compose.require_v2(docker)
    assert "Compose v2" in caught.value.message
    assert "docker-compose-plugin" in (caught.value.hint or "")
