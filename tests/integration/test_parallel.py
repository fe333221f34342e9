"""Several targets built at once through the CLI, with each builder: images, timeline, critical path."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from dockyard.engine import Engine
from tests.integration.conftest import dockyard_cli

DOCKERFILE = """\
FROM python:3.11-slim AS base
RUN echo "{token}" > /token

FROM base AS quick
RUN sleep 2 && echo quick > /quick

FROM base AS slow
RUN sleep 5 && echo slow > /slow

FROM base AS runtime
COPY --from=quick /quick /quick
COPY --from=slow /slow /slow

FROM quick AS test
RUN test -s /quick && test -s /token
"""


def test_build_several_targets_together_with_a_timeline(both_engines: Engine, tmp_path: Path) -> None:
    token = uuid.uuid4().hex[:12]
    project = tmp_path / f"par-{token}"
    project.mkdir()
    (project / "Dockerfile").write_text(DOCKERFILE.format(token=token))
    out, png = tmp_path / "build.json", tmp_path / "timeline.png"
    result = dockyard_cli(
        "build", "--project", str(project), "--target", "runtime,test", "--jobs", "2",
        "--tag", f"dockyard-test-par:{token}", "--json", str(out), "--timeline", str(png),
        "--docker", both_engines.docker,
    )  # fmt: skip
    tags = [f"dockyard-test-par-{t}:{token}" for t in ("runtime", "test")]
    try:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        report = json.loads(out.read_text())
        assert set(report["data"]["targets"]) == {"runtime", "test"}
        for tag in tags:
            subprocess.run([both_engines.docker, "image", "inspect", tag], check=True, capture_output=True)
        # The slow stage is what the whole build waited for.
        [(stage, _), *_] = report["data"]["critical_by_stage"]
        assert stage.endswith("slow"), report["data"]["critical_by_stage"]
        rows = next(t for t in report["tables"] if t["title"].endswith("steps over time"))["rows"]
        slow = next(r for r in rows if "sleep 5" in r[4])
        assert slow[7] == "*" and int(slow[6]) >= 1  # ran alongside another step, on the critical path
        assert png.read_bytes()[:4] == b"\x89PNG"
    finally:
        subprocess.run(
            [both_engines.docker, "image", "rm", "--force", *tags], capture_output=True, check=False
        )
