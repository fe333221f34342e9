"""``dockyard phase4`` end to end on a small multi-stage project: cache pushed, guide written, targets
built in parallel and timed against serial builds, with the timeline."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from dockyard.engine import Engine
from tests.integration.conftest import dockyard_cli
from tests.integration.test_parallel import DOCKERFILE


def test_phase4_on_a_small_project(engine: Engine, tmp_path: Path) -> None:
    token = uuid.uuid4().hex[:12]
    project = tmp_path / f"p4-{token}"
    (project / "docker").mkdir(parents=True)
    (project / "docker" / "Dockerfile").write_text(DOCKERFILE.format(token=token))
    out = tmp_path / "phase4.json"
    result = dockyard_cli(
        "phase4", "--project", str(project), "--target", "runtime,test", "--json", str(out),
        "--docker", engine.docker,
    )  # fmt: skip
    name = project.name.lower()
    try:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        report = json.loads(out.read_text())
        steps = {s["name"]: s for s in report["steps"]}
        phase4_steps = ["registry cache", "cache guide", "parallel targets", "compose build"]
        assert [steps[n]["status"] for n in phase4_steps] == ["done", "done", "done", "skipped"]
        assert "phase 2 outputs" not in steps  # a hand-written docker/Dockerfile is worked on as it is
        assert steps["base-images"]["status"] == "skipped"  # no phase-2 image to derive candidates from
        assert steps["cache.df"]["status"] == "done" and steps["cache.gc"]["status"] == "done"
        cache = steps["registry cache"]["data"]["cache_from"]
        assert cache["runtime"] == [
            f"localhost:5000/dockyard-cache/{name}:stage-{s}" for s in ("quick", "slow", "runtime")
        ] or cache["runtime"] == [f"type=registry,ref=localhost:5000/dockyard-cache/{name}:cache-runtime"]
        guide = (project / "docs" / "build-cache.md").read_text()
        assert "do not survive a fresh runner" in guide
        timing = steps["parallel targets"]["data"]
        assert timing["serial_s"] > 0 and timing["parallel_s"] > 0 and timing["ratio"] > 0
        assert Path(timing["timeline_png"]).is_file()
        assert timing["critical_by_stage"][0][0].endswith("slow")
        assert "no docker/compose.yaml" in steps["compose build"]["summary"]
    finally:
        pushed = [
            f"localhost:5000/dockyard-cache/{name}:stage-{s}" for s in ("quick", "slow", "runtime", "test")
        ]
        subprocess.run(
            [
                engine.docker,
                "image",
                "rm",
                "--force",
                f"{name}-runtime:dockyard",
                f"{name}-test:dockyard",
                *pushed,
            ],
            capture_output=True,
            check=False,
        )
