"""``dockyard verify`` and the smoke tests on real images: the bundled example after phases 1-2,
the same with a planted difference, a small command-line project, and a TCP-only service."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config, smoke, smoke_services
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.image_config import inspect
from dockyard.phases import verify as phase
from tests.integration.conftest import EXAMPLE, dockyard_cli


def _listed(docker: str, *args: str) -> str:
    """What a docker listing command prints (ids), stripped."""
    return subprocess.run([docker, *args], capture_output=True, text=True, check=True).stdout.strip()


def _remove(docker: str, *refs: str) -> None:
    subprocess.run([docker, "image", "rm", "--force", *refs], capture_output=True, check=False)


@pytest.fixture(scope="module")
def phased_example(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example after phases 1 and 2 (their builds hit the cache test_phase2 filled)."""
    project = tmp_path_factory.mktemp("verify") / f"inference-service-{uuid.uuid4().hex[:8]}"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    first = dockyard_cli(
        "phase1", "--project", str(project), "--no-branch", "--scenario", "noop", "--runs", "1"
    )
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    second = dockyard_cli("phase2", "--project", str(project), "--no-branch", "--no-bench", "--no-smoke")
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    yield project
    _remove(engine.docker, *phase.image_tags(project), f"{project.name}:dockyard")
    _remove(engine.docker, f"dockyard-bench/{project.name}:baseline")


def baseline_image(docker: str, project: Path) -> list[str]:
    """Phase 1's baseline benchmark built the naive Dockerfile already: verify takes that image
    instead of building it again (a test of building both images is the command-line one)."""
    tag = f"dockyard-bench/{project.name.lower()}:baseline"
    found = subprocess.run([docker, "image", "inspect", tag], capture_output=True, check=False)
    return ["--original", tag] if found.returncode == 0 else []


def test_verify_passes_on_the_example(engine: Engine, phased_example: Path) -> None:
    original = baseline_image(engine.docker, phased_example)
    done = dockyard_cli("verify", "--project", str(phased_example), *original, "--json", "-")
    document = json.loads(done.stdout[done.stdout.index("{") :])
    checks = {c["name"]: c for c in document["data"]["checks"]}
    assert list(checks) == [
        "entrypoint and command",
        "environment",
        "working directory",
        "ports",
        "volumes",
        "user",
        "python distributions",
        "smoke test",
        "project modules import",
    ]
    failing = {name: c["differences"] for name, c in checks.items() if not c["ok"]}
    generated = (phased_example / "docker" / "Dockerfile").read_text()
    if failing == {"environment": ["LOG_LEVEL=info is missing"]} and "LOG_LEVEL" not in generated:
        pytest.xfail("the generated Dockerfile does not carry ENV over yet (issue 11, deliverable 1)")
    assert failing == {}
    assert done.returncode == 0, done.stderr[-2000:]
    assert checks["user"]["generated"] == "10001:10001"
    assert "the original runs as root" in checks["user"]["notes"][0]
    assert any("PATH adds /opt/venv/bin" in n for n in checks["environment"]["notes"])
    assert "answered HTTP 200" in checks["smoke test"]["generated"]  # its HEALTHCHECK's /health
    assert "HTTP" in checks["smoke test"]["original"]  # / answers 404 there: any HTTP answer counts
    assert checks["project modules import"]["generated"] == "1/1 import"
    distributions = checks["python distributions"]
    assert "at the lock" in distributions["generated"]
    locked = distributions["generated"].split(", ")[-1].split(" ")[0]
    assert locked.split("/")[0] == locked.split("/")[1] != "0"


def test_verify_fails_naming_a_planted_difference(
    engine: Engine, phased_example: Path, tmp_path: Path
) -> None:
    """A generated Dockerfile edited by hand: LOG_LEVEL changed, and pytest's metadata planted."""
    project = tmp_path / "planted"
    shutil.copytree(phased_example, project)
    dockerfile = project / "docker" / "Dockerfile"
    lines = dockerfile.read_text().splitlines()  # the runtime stage is the last: these lines land in it
    site = "/opt/venv/lib/python3.11/site-packages/pytest-8.3.0.dist-info"
    lines += [
        "USER root",
        f"RUN mkdir -p {site} \\",
        f"    && printf 'Metadata-Version: 2.1\\nName: pytest\\nVersion: 8.3.0\\n' > {site}/METADATA",
        "USER 10001:10001",
        "ENV LOG_LEVEL=debug",
    ]
    dockerfile.write_text("\n".join(lines) + "\n")
    original = (baseline_image(engine.docker, phased_example) or ["", phase.image_tags(phased_example)[0]])[1]
    try:
        result = phase.verify(config.load(project), engine, original=original)
    finally:
        _remove(engine.docker, phase.image_tags(project)[1])
    assert result.failed
    errors = [f.message for f in result.findings if f.level == "error"]
    assert "environment: LOG_LEVEL=debug, the original info" in errors
    assert "python distributions: pytest (a dev or test dependency) is installed" in errors
    assert result.summary.startswith("2 of 9 checks failed")


CLI_MAIN = """\
import argparse

parser = argparse.ArgumentParser(prog="greet", description="{description}")
parser.add_argument("name")
parser.parse_args()
"""


def _cli_project(root: Path, description: str) -> Path:
    (root / "greet").mkdir(parents=True)
    (root / "greet" / "__init__.py").write_text("")
    (root / "greet" / "__main__.py").write_text(CLI_MAIN.format(description=description))
    return root


def test_command_line_project_is_smoke_tested_with_help(engine: Engine, tmp_path: Path) -> None:
    """No EXPOSE: `--help` runs in both images, exit code and output compared; a changed help fails."""
    nonce = uuid.uuid4().hex[:8]
    project = _cli_project(tmp_path / f"greet-{nonce}", f"Say hello ({nonce}).")
    (project / "Dockerfile").write_text(
        'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["python3", "-m", "greet"]\n'
    )
    generated = "FROM python:3.11-slim AS runtime\nWORKDIR /app\nCOPY greet /app/greet\nUSER 10001\n"
    (project / "docker").mkdir()
    (project / "docker" / "Dockerfile").write_text(generated + 'ENTRYPOINT ["python3", "-m", "greet"]\n')
    tags = phase.image_tags(project)
    try:
        result = phase.verify(config.load(project), engine)
        rows = {c["name"]: c for c in result.data["checks"]}
        assert not result.failed, [f.render() for f in result.findings]
        assert rows["smoke test"]["generated"].startswith("python3 -m greet --help exited 0")
        assert rows["smoke test"]["original"] == rows["smoke test"]["generated"]

        (project / "greet" / "__main__.py").write_text(CLI_MAIN.format(description="Say goodbye."))
        changed = phase.verify(config.load(project), engine, original=tags[0])
        errors = [f.message for f in changed.findings if f.level == "error"]
        assert changed.failed and len(errors) == 1
        assert errors[0].startswith("smoke test: output differs: line ")
        assert "Say goodbye." in errors[0] and nonce in errors[0]
    finally:
        _remove(engine.docker, *tags)


def test_tcp_service_without_http_and_a_strict_path(engine: Engine, tmp_path: Path, unique_tag: str) -> None:
    """A port that speaks no HTTP passes by a TCP connect; a configured health path that answers
    404 fails; both containers are removed afterwards."""
    server = (
        "import socket, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('0.0.0.0', 9000)); s.listen()\n"
        "while True:\n    c, _ = s.accept(); time.sleep(30)\n"
    )
    (tmp_path / "server.py").write_text(server)
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY server.py /server.py\n"
        f'LABEL nonce={uuid.uuid4().hex}\nEXPOSE 9000\nCMD ["python3", "/server.py"]\n'
    )
    engine.build(BuildRequest(context=tmp_path, tags=(unique_tag,)), label="verify-tcp")
    result = smoke.smoke_test(engine, unique_tag, config.load(tmp_path), timeout=60)
    assert result.ok and result.protocol == "tcp", result.summary
    assert "accepted a TCP connection" in result.summary

    web = tmp_path / "web"
    web.mkdir()
    (web / "Dockerfile").write_text(
        f"FROM python:3.11-slim\nLABEL nonce={uuid.uuid4().hex}\n"
        'EXPOSE 8000\nCMD ["python3", "-m", "http.server"]\n'
    )
    web_tag = unique_tag + "-web"
    try:
        engine.build(BuildRequest(context=web, tags=(web_tag,)), label="verify-http")
        served = smoke.smoke_test(engine, web_tag, config.load(web, {"health_path": "/health"}), timeout=60)
        assert not served.ok and served.status == 404 and served.detail == "HTTP 404", served.summary
        anything = smoke.smoke_test(engine, web_tag, config.load(web), timeout=60)
        assert anything.ok and anything.status == 200 and anything.probe.path == "/"
    finally:
        _remove(engine.docker, web_tag)
    assert _listed(engine.docker, "ps", "--all", "--quiet", "--filter", f"ancestor={unique_tag}") == ""


def test_services_the_project_depends_on_are_started_for_the_smoke_test(
    engine: Engine, tmp_path: Path, unique_tag: str
) -> None:
    """A web service that connects to compose's `db` at start: verify starts `db` from its image,
    on a network of its own where the name resolves, and removes both afterwards. Without it the
    service exits (the Django projects tried that `depends_on: db`)."""
    nonce = uuid.uuid4().hex[:10]
    db_dir, web = tmp_path / "db", tmp_path / "web"
    db_dir.mkdir()
    web.mkdir()
    (db_dir / "Dockerfile").write_text(
        f"FROM python:3.11-slim\nLABEL nonce={nonce}\nEXPOSE 5432\n"
        'CMD ["python3", "-c", "import os, socket; assert os.environ[\'DB_MODE\'] == \'trust\'; '
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
        "s.bind(('0.0.0.0', 5432)); s.listen()\\nwhile True: s.accept()\"]\n"
    )
    db_tag = unique_tag + "-db"
    (web / "app.py").write_text(
        "import socket, http.server\n"
        "socket.create_connection(('db', 5432), timeout=5).close()  # exits when db is not there\n"
        "http.server.HTTPServer(('', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n"
    )
    (web / "Dockerfile").write_text(
        f"FROM python:3.11-slim\nLABEL nonce={nonce}\nCOPY app.py /app.py\n"
        'EXPOSE 8000\nCMD ["python3", "/app.py"]\n'
    )
    (web / "compose.yaml").write_text(
        "services:\n  web:\n    build: .\n    depends_on: [db]\n"
        f"  db:\n    image: {db_tag}\n    environment:\n      DB_MODE: trust\n"
    )
    try:
        engine.build(BuildRequest(context=db_dir, tags=(db_tag,)), label="verify-db")
        engine.build(BuildRequest(context=web, tags=(unique_tag,)), label="verify-web")
        settings = config.load(web)
        probe = smoke.plan_probe(inspect(engine.docker, unique_tag), settings)

        alone = smoke.run_probe(engine.docker, unique_tag, probe, timeout=30)
        assert not alone.ok and "it exited" in alone.summary, alone.summary

        with smoke_services.started(engine.docker, web) as services:
            assert services.names == ("db",)
            assert any(
                n.startswith(f"started db ({db_tag})") and "ready on 5432" in n for n in services.notes
            )
            served = smoke.run_probe(
                engine.docker, unique_tag, dataclasses.replace(probe, network=services.network), timeout=60
            )
        assert served.ok and served.status == 200, served.summary + served.output[-500:]
        assert (
            _listed(engine.docker, "network", "ls", "--quiet", "--filter", f"name={services.network}") == ""
        )
        assert _listed(engine.docker, "ps", "--all", "--quiet", "--filter", f"ancestor={db_tag}") == ""
    finally:
        _remove(engine.docker, db_tag)
