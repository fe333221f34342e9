"""The foundation on a real engine: doctor, the build primitive, a container from the built image."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from dockyard.engine import BuildRequest, Engine
from dockyard.errors import BuildFailed
from tests.integration.conftest import dockyard_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "engine"


def test_doctor_passes_and_names_its_builder(both_engines: Engine) -> None:
    engine = both_engines
    result = dockyard_cli("doctor", "--docker", engine.docker)
    assert result.returncode == 0, result.stderr
    assert "builder" in result.stdout
    assert f"BuildKit builds will use `{engine.caps.builder}`" in result.stdout
    if engine.caps.builder == "buildx":
        assert engine.caps.buildx_driver == "docker" and "(docker driver)" in result.stdout


def test_doctor_fails_when_the_daemon_does_not_answer(engine: Engine, tmp_path: Path) -> None:
    # The client sees exactly what it sees with the daemon stopped: nothing listens on the socket.
    result = dockyard_cli(
        "doctor", "--docker", engine.docker, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    )
    assert result.returncode == 4
    assert "daemon: not answering" in result.stderr
    assert "Start Docker" in result.stderr


def test_doctor_fails_on_a_client_without_buildkit(engine: Engine) -> None:
    legacy = [
        c for c in ("/usr/local/bin/docker", shutil.which("docker"))
        if c and c != engine.docker and Path(c).exists()
    ]  # fmt: skip
    candidates = [c for c in legacy if _major(c) >= 23 and not _has_buildx(c)]
    if not candidates:
        pytest.skip("no docker client without buildx on this machine")
    result = dockyard_cli("doctor", "--docker", candidates[0])
    assert result.returncode == 4
    assert "has no buildx and does not build with BuildKit natively" in result.stderr
    assert "legacy builder ignores RUN --mount" in result.stderr


def _major(docker: str) -> int:
    out = subprocess.run(
        [docker, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True, check=False
    )
    head = out.stdout.strip().split(".")[0]
    return int(head) if head.isdigit() else 0


def _has_buildx(docker: str) -> bool:
    return subprocess.run([docker, "buildx", "version"], capture_output=True, check=False).returncode == 0


def test_build_writes_json_and_second_run_is_all_cached(
    both_engines: Engine, session_example: Path, tmp_path: Path, unique_tag: str
) -> None:
    docker = both_engines.docker
    first = tmp_path / "first.json"
    result = dockyard_cli(
        "build", "--project", str(session_example), "--tag", unique_tag, "--json", str(first),
        "--docker", docker,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(first.read_text())["data"]  # the build step's report; its data is the build
    assert {"wall_s", "steps", "cache_hit_ratio", "image_id", "image_bytes"} <= set(data)
    assert data["image_bytes"] > 100_000_000
    assert any("pip install" in s["name"] for s in data["steps"])
    assert all({"name", "cached", "seconds"} <= set(s) for s in data["steps"])
    assert "cache hits" in result.stdout

    second = tmp_path / "second.json"
    again = dockyard_cli(
        "build", "--project", str(session_example), "--tag", unique_tag, "--json", str(second),
        "--docker", docker,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    redo = json.loads(second.read_text())["data"]
    instructions = [s for s in redo["steps"] if s["kind"] == "instruction"]
    assert instructions and all(s["cached"] for s in instructions)
    assert redo["cache_hit_ratio"] == 1.0
    assert redo["image_id"] == data["image_id"]
    assert data["builder"] == both_engines.builder.name


def test_container_from_the_built_image_serves(
    engine: Engine, session_example: Path, unique_tag: str
) -> None:
    engine.build(BuildRequest(context=session_example, tags=(unique_tag,)), label="serve-test")
    name = unique_tag.replace(":", "-")
    docker = engine.docker
    subprocess.run(
        [docker, "run", "-d", "--name", name, "-p", "127.0.0.1::8000", unique_tag],
        check=True,
        capture_output=True,
    )
    try:
        port = subprocess.run(
            [docker, "port", name, "8000/tcp"], check=True, capture_output=True, text=True
        ).stdout
        url = f"http://127.0.0.1:{port.strip().splitlines()[0].rsplit(':', 1)[1]}/health"
        deadline = time.monotonic() + 90
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read()
                    break
            except OSError:
                time.sleep(1)
        assert json.loads(body)["status"] == "ok"
    finally:
        subprocess.run([docker, "rm", "-f", name], capture_output=True, check=False)


def test_failed_build_names_the_step_and_keeps_the_log(both_engines: Engine, tmp_path: Path) -> None:
    engine = both_engines
    (tmp_path / "app.py").write_text("print('hi')\n")
    shutil.copy(DATA / "Dockerfile.fail", tmp_path / "Dockerfile")
    with pytest.raises(BuildFailed) as caught:
        engine.build(BuildRequest(context=tmp_path), label="fail-test")
    error = caught.value
    assert "sys.exit(3)" in error.message
    assert "about to fail" in error.output_tail
    log = Path(error.hint.removeprefix("full log: ")) if error.hint else None
    assert log is not None and log.is_file() and "step-one" in log.read_text()

    cli = dockyard_cli("build", "--project", str(tmp_path), "--docker", engine.docker)
    assert cli.returncode == 6
    assert "build failed at step" in cli.stderr and "Traceback" not in cli.stderr
