"""``dockyard base.bump``: pin the base image by digest, and refresh the pin."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard import process
from dockyard.engine import Engine
from dockyard.errors import DockyardError
from dockyard.phases import basecandidates, basepin
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "base_image": "image to pin (default: the base_image setting)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def bump(
    c: Any,
    project: str | None = None,
    base_image: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    json: str | None = None,
) -> None:
    """Resolve the base image's digest from its registry and pin it in docker/base-images.lock."""
    s = settings(project, base_image=base_image)
    emit(basepin.bump(s, dry_run=dry_run, force=force), json=json)


@task(
    help={
        "image": "runtime image to derive candidates from (default: <project>:dockyard, phase 2's)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def candidates(
    c: Any,
    project: str | None = None,
    image: str | None = None,
    docker: str | None = None,
    json: str | None = None,
) -> None:
    """Build slim, stripped and distroless-style runtimes; size, build time, smoke test, OS packages."""
    s = settings(project, docker=docker)
    engine = Engine.connect(s)
    runtime = image or f"{s.project.name.lower()}:dockyard"
    if not process.run([engine.docker, "image", "inspect", runtime], check=False, echo=False).returncode == 0:
        raise DockyardError(
            f"no image {runtime} to derive candidates from", hint="run `dockyard phase2` first"
        )
    with progress() as on_progress:
        found = basecandidates.build_candidates(
            s, engine, runtime, basecandidates.default_smoke(s, engine), progress=on_progress
        )
    emit(basecandidates.report(found, applied=s.runtime_base), json=json)


base = Collection("base")
base.add_task(bump)
base.add_task(candidates)
