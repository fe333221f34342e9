"""base.candidates on a small real service: smaller runtimes that still answer, measured."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from tests.integration.conftest import dockyard_cli

APP = """\
import http.server, json, ssl, sqlite3

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "sqlite": sqlite3.sqlite_version, "ssl": ssl.OPENSSL_VERSION})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


def test_candidates_are_smaller_and_still_serve(docker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:10]
    project = tmp_path / f"svc-{run}"
    project.mkdir()
    (project / "app.py").write_text(APP + f"# {run}\n")
    (project / "Dockerfile").write_text(
        "FROM python:3.11-slim\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"
        'WORKDIR /app\nCOPY app.py /app/app.py\nUSER 10001\nEXPOSE 8000\nCMD ["python", "app.py"]\n'
    )
    image = f"dockyard-test/candidates-{run}:runtime"
    made = [image] + [f"{project.name}:dockyard-{kind}" for kind in ("stripped", "distroless")]
    subprocess.run(
        [docker, "build", "-q", "-t", image, str(project)],
        check=True,
        capture_output=True,
        env={"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"},
    )
    try:
        result = dockyard_cli(
            "base.candidates", "--project", str(project), "--image", image, "--json", "-", "--docker", docker
        )
        assert result.returncode == 0, result.stderr[-3000:]
        report = json.loads(result.stdout)
        rows = {row[0]: row for row in report["tables"][0]["rows"]}
        sizes = {m["name"].removesuffix("_bytes"): m["value"] for m in report["measurements"]}
        assert set(rows) == {"slim", "stripped", "distroless"}
        assert all(row[5] == "pass" for row in rows.values()), rows
        assert sizes["distroless"] < sizes["stripped"] < sizes["slim"]
        assert rows["distroless"][7] == "0" and int(rows["slim"][7]) > 50
        assert report["data"]["recommended"] == "distroless"
        distroless = f"{project.name}:dockyard-distroless"
        shell = subprocess.run(
            [docker, "run", "--rm", "--entrypoint", "sh", distroless, "-c", "true"],
            capture_output=True,
            check=False,
        )
        assert shell.returncode != 0  # no shell in the distroless-style root
        meta = json.loads(
            subprocess.run(
                [docker, "image", "inspect", distroless], capture_output=True, text=True, check=True
            ).stdout
        )[0]["Config"]
        assert (
            meta["User"] == "10001" and meta["WorkingDir"] == "/app" and meta["Cmd"] == ["python", "app.py"]
        )
    finally:
        subprocess.run([docker, "image", "rm", *made], capture_output=True, check=False)
