"""``dockyard cache.df``, ``cache.prune`` and ``cache.gc``: disk used by builds, and freeing it."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection

from dockyard.engine import Engine
from dockyard.housekeeping.prune import Policy
from dockyard.phases import cleanup
from dockyard.tasks._common import emit, settings, task

JSON_HELP = {"json": "write the report as JSON to this file, or - for stdout"}


@task(help=JSON_HELP)
def df(c: Any, project: str | None = None, docker: str | None = None, json: str | None = None) -> None:
    """Show the build cache, images, volumes and wheelhouse, with what dockyard made set apart."""
    s = settings(project, docker=docker)
    engine = Engine.connect(s)
    emit(cleanup.cache_df(s, engine.docker, builder=engine.buildx_instance), json=json)


@task(
    iterable=["keep", "also", "only"],
    help={
        **JSON_HELP,
        "older_than": "only what was last used (images: created) longer ago than this, e.g. 72h or 7d",
        "keep_storage": "build cache: keep this much, least recently used records go first, e.g. 10GB",
        "keep": "image pattern never removed, e.g. 'myapp:*' (repeatable)",
        "also": "also remove images dockyard did not make that match this pattern (repeatable)",
        "only": "leave every image outside this pattern alone (repeatable)",
        "images": "prune images (default: yes)",
        "cache": "prune the build cache (default: yes)",
    },
)
def prune(
    c: Any,
    project: str | None = None,
    docker: str | None = None,
    older_than: str | None = None,
    keep_storage: str | None = None,
    keep: list[str] | None = None,
    also: list[str] | None = None,
    only: list[str] | None = None,
    images: bool = True,
    cache: bool = True,
    dry_run: bool = False,
    json: str | None = None,
) -> None:
    """Free build cache and dockyard's images by policy; never a tagged image dockyard did not make."""
    s = settings(project, docker=docker)
    policy = Policy.parse(
        older_than=older_than,
        keep_storage=keep_storage,
        keep=keep or (),
        also=also or (),
        only=only or (),
        images=images,
        cache=cache,
    )
    engine = Engine.connect(s)
    report = cleanup.cache_prune(s, engine.docker, policy, dry_run=dry_run, builder=engine.buildx_instance)
    emit(report, json=json)


@task(help=JSON_HELP)
def gc(c: Any, project: str | None = None, docker: str | None = None, json: str | None = None) -> None:
    """Recommend build-cache garbage-collection settings from the cache size measured now."""
    s = settings(project, docker=docker)
    engine = Engine.connect(s)
    emit(cleanup.gc_settings(s, engine.docker, builder=engine.buildx_instance), json=json)


cache = Collection("cache")
for t in (df, prune, gc):
    cache.add_task(t)
