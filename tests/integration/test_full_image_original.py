"""An original on a full python image whose dependency compiles from source against a system
library that image carries implicitly (psycopg2 against libpq): phase 2 runs it on slim, builds it on
the original's image, and finds libpq5 for the runtime; verify's import check is the proof.

The full image here is a small stand-in: python:3.11-slim plus gcc, libpq-dev and the Python headers
(what the real python:3.11 has among much more), tagged ``python:3.11-<unique>`` so dockyard sees a
full python image of Python 3.11.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.dockerfile import parse_text
from dockyard.engine import Engine
from dockyard.phases import verify as verify_phase
from tests.integration.conftest import BASE_IMAGE, dockyard_cli

FULL_LIKE = f"""\
FROM {BASE_IMAGE}
RUN apt-get update \\
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev python3-dev \\
    && rm -rf /var/lib/apt/lists/*
"""


def _remove(docker: str, *refs: str) -> None:
    subprocess.run([docker, "image", "rm", "--force", *refs], capture_output=True, check=False)


@pytest.fixture(scope="module")
def full_image(engine: Engine) -> Iterator[str]:
    tag = f"python:3.11-dockyardtest-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [engine.docker, "build", "--quiet", "--tag", tag, "-"],
        input=FULL_LIKE,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    yield tag
    _remove(engine.docker, tag)


def test_psycopg2_from_source_runs_on_slim_with_libpq(
    engine: Engine, full_image: str, tmp_path: Path
) -> None:
    project = tmp_path / f"pgstore-{uuid.uuid4().hex[:8]}"
    (project / "store").mkdir(parents=True)
    (project / "store" / "__init__.py").write_text("import psycopg2\n\nLIBPQ = psycopg2.__libpq_version__\n")
    (project / "store" / "__main__.py").write_text("from store import LIBPQ\n\nprint('libpq', LIBPQ)\n")
    (project / "requirements.txt").write_text("psycopg2==2.9.9\n")  # no wheel for Linux: it compiles
    (project / "Dockerfile").write_text(
        f"FROM {full_image}\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        'CMD ["python", "-m", "store"]\n'
    )
    try:
        first = dockyard_cli(
            "phase1", "--project", str(project), "--no-branch", "--scenario", "noop", "--runs", "1"
        )
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        report = tmp_path / "phase2.json"
        second = dockyard_cli(
            "phase2", "--project", str(project), "--no-branch", "--no-bench", "--json", str(report)
        )
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

        parsed = parse_text((project / "docker" / "Dockerfile").read_text())
        tools, runtime = parsed.stage("tools"), parsed.final_stage
        assert tools is not None and parsed.root_image(tools) == full_image
        assert parsed.root_image(runtime) == BASE_IMAGE
        steps = {s["name"]: s for s in json.loads(report.read_text())["steps"]}
        assert "libpq5" in steps["system libraries"]["summary"], steps["system libraries"]
        checks = {c["name"]: c for c in steps["verify"]["data"]["checks"]}
        assert checks["project modules import"]["ok"], checks["project modules import"]
        assert checks["smoke test"]["ok"], checks["smoke test"]
    finally:
        _remove(engine.docker, *verify_phase.image_tags(project), f"{project.name}:dockyard")
        _remove(engine.docker, f"dockyard-bench/{project.name}:baseline")
        shutil.rmtree(project, ignore_errors=True)
