"""``dockyard base.bump``: pin the base image by digest, and refresh the pin."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard.phases import basepin
from dockyard.tasks._common import emit, settings, task


@task(
    help={
        "dry_run": "show the digests and the lock's diff; write nothing",
        "dry": "alias of --dry-run",
        "base_image": "image to pin (default: the base_image setting)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def bump(
    c: Any,
    project: str | None = None,
    base_image: str | None = None,
    dry_run: bool = False,
    dry: bool = False,
    force: bool = False,
    json: str | None = None,
) -> None:
    """Resolve the base image's digest from its registry and pin it in docker/base-images.lock."""
    s = settings(project, base_image=base_image)
    emit(basepin.bump(s, dry_run=dry_run or dry, force=force), json=json)


base = Collection("base")
base.add_task(bump)
