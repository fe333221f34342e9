"""``dockyard base.bump``: pin the base image by digest, and refresh the pin."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard.engine import Engine
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
        "image": "runtime image to derive candidates from (default: phase 2's Dockerfile, rendered with "
        "each runtime_base)",
        "apply": "accept the recommendation: write runtime_base into [tool.dockyard] of pyproject.toml",
        "dry_run": "with --apply: show the pyproject.toml change, write nothing",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def candidates(
    c: Any,
    project: str | None = None,
    image: str | None = None,
    docker: str | None = None,
    apply: bool = False,
    dry_run: bool = False,
    json: str | None = None,
) -> None:
    """Build slim, stripped and distroless-style runtimes; size, build time, smoke test, OS packages."""
    s = settings(project, docker=docker)
    engine = Engine.connect(s)
    with progress() as on_progress:
        found = basecandidates.run(s, engine, image=image, apply=apply, dry_run=dry_run, progress=on_progress)
    emit(found, json=json)


base = Collection("base")
base.add_task(bump)
base.add_task(candidates)
