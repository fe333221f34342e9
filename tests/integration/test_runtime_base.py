"""runtime_base applied: the generated Dockerfile builds stripped and distroless runtimes that pass
``dockyard verify`` against the original, carry an apt-installed library, write to their volume as
the non-root user, and (distroless) have no shell and a HEALTHCHECK that still turns healthy."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from dockyard import config
from dockyard.errors import ConfigError
from dockyard.phases import verify as verify_phase
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render.dockerfile import render
from tests.integration.conftest import dockyard_cli

APP = """\
import ctypes, http.server, json, pathlib, six, sqlite3, ssl, sys

yaml = ctypes.CDLL("libyaml-0.so.2")  # from the original's apt line: the runtime must carry it
yaml.yaml_get_version_string.restype = ctypes.c_char_p
VERSION = yaml.yaml_get_version_string().decode()
pathlib.Path("/data/started").write_text(VERSION)  # the volume is writable by the runtime's user


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"yaml": VERSION, "sqlite": sqlite3.sqlite_version, "ssl": ssl.OPENSSL_VERSION})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())


http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""
DOCKERFILE = """\
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libyaml-0-2 && rm -rf /var/lib/apt/lists/*
RUN pip install six==1.17.0
WORKDIR /srv
COPY app.py /srv/app.py
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=2s --timeout=3s CMD curl -f http://localhost:8000/health || exit 1
CMD ["python", "app.py"]
"""
LOCK = """\
six==1.17.0 \\
    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\
    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81
"""

#: The base interpreter's pip (the venv has none): there in slim, gone when stripped.
BASE_PIP = (
    "import subprocess, sys; sys.exit(subprocess.call([sys._base_executable, '-m', 'pip', '--version']))"
)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=300)


def _healthy(docker: str, image: str) -> str:
    """The container's health status once it settles (or the last seen after a minute)."""
    name = f"dockyard-test-health-{uuid.uuid4().hex[:8]}"
    _run(docker, "run", "-d", "--name", name, image)
    try:
        status = ""
        for _ in range(60):
            status = _run(docker, "inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            if status in ("healthy", "unhealthy"):
                break
            time.sleep(1)
        return status
    finally:
        _run(docker, "rm", "-f", name)


def test_stripped_and_distroless_runtimes_pass_verify(docker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    project = tmp_path / f"rtbase-{run}"
    (project / "requirements").mkdir(parents=True)
    (project / "app.py").write_text(APP + f"# {run}\n")
    (project / "Dockerfile").write_text(DOCKERFILE)
    (project / "requirements" / "base.txt").write_text(LOCK)
    (project / "docker").mkdir()
    original, generated = verify_phase.image_tags(project)
    sizes: dict[str, int] = {}
    try:
        for kind in ("slim", "stripped", "distroless"):
            settings = config.load(project, {"runtime_base": kind, "docker": docker}, environ={})
            (project / "docker" / "Dockerfile").write_text(render(plan_dockerfile(settings, docker=docker)))
            done = dockyard_cli(
                "verify", "--project", str(project), "--docker", docker, "--json", "-",
                *(("--original", original) if kind != "slim" else ()),
                env={"DOCKYARD_RUNTIME_BASE": kind},
            )  # fmt: skip
            assert done.returncode == 0, f"{kind}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            report = json.loads(done.stdout)
            assert report["status"] == "done", report
            inspected = json.loads(_run(docker, "image", "inspect", generated).stdout)[0]
            sizes[kind] = inspected["Size"]
            meta = inspected["Config"]
            assert meta["User"] == "10001:10001" and meta["WorkingDir"] == "/srv"
            assert meta["Cmd"] == ["python", "app.py"] and "/data" in meta["Volumes"]
            shell = _run(docker, "run", "--rm", "--entrypoint", "sh", generated, "-c", "true")
            if kind == "distroless":
                assert shell.returncode != 0  # no shell in the distroless root
                assert meta["Healthcheck"]["Test"][:3] == ["CMD", "python", "-c"]
                assert _healthy(docker, generated) == "healthy"
            else:
                assert shell.returncode == 0, shell.stderr
            if kind != "distroless":  # the base interpreter's pip: there in slim, gone when stripped
                pip = _run(docker, "run", "--rm", "--entrypoint", "python", generated, "-c", BASE_PIP)
                assert (pip.returncode == 0) is (kind == "slim"), pip.stderr[-500:]
        assert sizes["distroless"] < sizes["stripped"] < sizes["slim"], sizes
    finally:
        _run(docker, "image", "rm", "--force", original, generated)


def test_distroless_refused_for_a_shell_entrypoint(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(LOCK)
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec python -m http.server\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["/app/start.sh"]\n'
    )
    done = dockyard_cli(
        "phase2", "--project", str(tmp_path), "--dry-run", env={"DOCKYARD_RUNTIME_BASE": "distroless"}
    )
    assert done.returncode == 2, done.stderr
    assert "Dockerfile line 4: ENTRYPOINT: it runs start.sh, a #!sh script" in done.stderr
    assert 'runtime_base = "stripped"' in done.stderr
    with pytest.raises(ConfigError):
        plan_dockerfile(config.load(tmp_path, {"runtime_base": "distroless"}, environ={}))
