"""A fresh runner's build from the registry cache alone, with each builder.

The test's Dockerfile holds a per-run token, so no cache on this daemon can know its steps. After
the export it removes the images and evicts only the build-cache records this test made (never the
daemon's whole cache, which other projects share), which leaves the registry as the only source.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from dockyard import dockerfile
from dockyard.engine import BuildRequest, Engine
from dockyard.engine import cli as docker_cli
from dockyard.engine.cache import build_with_cache, plan_cache

DOCKERFILE = """\
FROM python:3.11-slim AS base
RUN echo "{token} base" > /base.txt

FROM base AS deps
# stands in for the dependency install: slow, and only its inputs decide whether it runs
RUN echo "{token} deps" > /deps.txt && sleep 2

FROM base AS assets
RUN echo "{token} assets" > /assets.txt

FROM base AS runtime
COPY --from=deps /deps.txt /deps.txt
COPY --from=assets /assets.txt /assets.txt
COPY app.py /app.py
CMD ["python", "/app.py"]
"""


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str]:
    token = f"dockyard-cache-test-{uuid.uuid4().hex[:12]}"
    root = tmp_path / token
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE.format(token=token))
    (root / "app.py").write_text("print('v1')\n")
    return root, token


def test_fresh_runner_builds_from_the_registry_cache_only(
    both_engines: Engine, project: tuple[Path, str]
) -> None:
    engine = both_engines
    root, token = project
    parsed = dockerfile.parse_file(root / "Dockerfile")
    plan = plan_cache(
        parsed, "runtime", registry=engine.settings.registry, project=token, builder=engine.builder
    )
    request = BuildRequest(context=root, dockerfile=root / "Dockerfile", target="runtime")
    made = [*plan.pushes()]
    try:
        exported = build_with_cache(engine, request, plan, export=True, label="cache-export")
        assert [r.steps for r in exported]  # one build per cache stage
        assert [s.stage for s in plan.stages] == ["deps", "assets", "runtime"]

        # A fresh runner: none of the images, none of this project's build cache.
        docker_cli.remove_images(engine.docker, plan.pushes())
        assert docker_cli.evict_build_cache(engine.docker, token)
        [fresh] = build_with_cache(engine, request, plan, export=False, label="cache-fresh")
        made.append(fresh.image_id)
        runs = [
            s for s in fresh.steps if s.kind == "instruction" and s.name.split("] ", 1)[-1].startswith("RUN")
        ]
        assert len(runs) == 3 and all(s.cached for s in runs), [(s.name, s.status) for s in fresh.steps]

        # A code change on that runner re-runs no dependency step: only the COPY of app.py.
        (root / "app.py").write_text("print('v2')\n")
        [changed] = build_with_cache(engine, request, plan, export=False, label="cache-code")
        made.append(changed.image_id)
        executed = [s.name for s in changed.executed]
        assert executed and all("app.py" in name for name in executed), executed
    finally:
        subprocess.run([engine.docker, "image", "rm", "--force", *made], capture_output=True, check=False)
