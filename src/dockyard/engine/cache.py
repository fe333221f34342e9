"""A build cache a fresh CI runner can use: kept in a registry, planned as data, then exported.

buildx on a driver that can export (docker-container, remote, kubernetes) writes one registry cache
per target with ``mode=max`` (every stage's layers). The classic client and buildx's ``docker``
driver only have inline cache, which covers the layers of the image built and nothing else, so
each cache-relevant stage is built and pushed as its own tag with inline cache, and every one of
those tags is imported with ``--cache-from``. ``RUN --mount=type=cache`` contents are never part of
either: a fresh runner starts with empty cache mounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dockyard import process
from dockyard.dockerfile import Dockerfile, Stage
from dockyard.engine.build import BuildResult, OnStep
from dockyard.engine.builders import Builder, BuildRequest
from dockyard.errors import ConfigError

if TYPE_CHECKING:
    from dockyard.engine import Engine

REGISTRY = "registry"  # buildx: type=registry,mode=max
INLINE_STAGES = "inline-stages"  # classic / docker driver: one inline-cache image per stage

#: Said wherever dockyard explains its caches (docs, CI config, reports).
CACHE_MOUNTS_NOTE = (
    "RUN --mount=type=cache contents do not survive a fresh runner: they live in one builder's "
    "local cache and are never exported. dockyard uses the registry cache (every stage's layers) "
    "and the wheelhouse (the built wheels) instead."
)


@dataclass(frozen=True)
class StageCache:
    stage: str
    ref: str  # the image (inline) or cache manifest (registry) holding this stage's cache


@dataclass(frozen=True)
class CachePlan:
    mode: str
    target: str
    stages: tuple[StageCache, ...]  # build order: the target last

    def cache_from(self) -> tuple[str, ...]:
        if self.mode == REGISTRY:
            return tuple(f"type=registry,ref={s.ref}" for s in self.stages)
        return tuple(s.ref for s in self.stages)

    def export_requests(self, request: BuildRequest) -> list[BuildRequest]:
        """The builds that fill the cache: ``request`` (its context, file, args) once per stage."""
        if self.mode == REGISTRY:
            [only] = self.stages
            return [
                replace(
                    request,
                    target=self.target,
                    cache_from=self.cache_from(),
                    cache_to=f"registry:{only.ref}",
                )
            ]
        return [
            replace(
                request,
                target=s.stage,
                tags=(s.ref, *(request.tags if s.stage == self.target else ())),
                cache_from=self.cache_from(),
                cache_to="inline",
            )
            for s in self.stages
        ]

    def pushes(self) -> tuple[str, ...]:
        """Images to push after the export builds (a registry cache is written by the build itself)."""
        return () if self.mode == REGISTRY else tuple(s.ref for s in self.stages)

    def rows(self) -> list[tuple[str, str, str]]:
        return [(s.stage, self.mode, s.ref) for s in self.stages]


def cache_repository(registry: str, project: str) -> str:
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in project.lower()).strip("-.")
    return f"{registry.rstrip('/')}/dockyard-cache/{name or 'project'}"


def target_stage(parsed: Dockerfile, target: str | None) -> Stage:
    stage = parsed.stage(target) if target else parsed.final_stage
    if stage is None:
        known = ", ".join(s.ref for s in parsed.stages)
        raise ConfigError(f"{parsed.path}: no stage named {target!r}", hint=f"stages: {known}")
    return stage


def closure(parsed: Dockerfile, stage: Stage) -> list[Stage]:
    """``stage`` and every stage it needs, through FROM and COPY --from."""
    seen: dict[int, Stage] = {}
    todo = [stage]
    while todo:
        current = todo.pop()
        if current.index in seen:
            continue
        seen[current.index] = current
        if current.base_stage is not None:
            todo.append(parsed.stages[current.base_stage])
        for copy in current.copies:
            source = parsed.stage(copy.from_) if copy.from_ else None
            if source is not None:
                todo.append(source)
    return sorted(seen.values(), key=lambda s: s.index)


def ancestors(parsed: Dockerfile, stage: Stage) -> set[int]:
    """Stages whose layers are part of ``stage``'s image (its FROM chain)."""
    found: set[int] = set()
    while stage.base_stage is not None:
        found.add(stage.base_stage)
        stage = parsed.stages[stage.base_stage]
    return found


def cache_stages(parsed: Dockerfile, target: str | None) -> tuple[Stage, ...]:
    """The stages whose images together carry every layer ``target`` needs (inline cache).

    The target, plus each stage it copies from, minus those already inside another one's image.
    """
    final = target_stage(parsed, target)
    needed = closure(parsed, final)
    sources = {final.index}
    for stage in needed:
        for copy in stage.copies:
            source = parsed.stage(copy.from_) if copy.from_ else None
            if source is not None:
                sources.add(source.index)
    covered = set().union(*(ancestors(parsed, parsed.stages[i]) for i in sources))
    return tuple(parsed.stages[i] for i in sorted(sources - covered | {final.index}))


def plan_cache(
    parsed: Dockerfile, target: str | None, *, registry: str, project: str, builder: Builder
) -> CachePlan:
    repo = cache_repository(registry, project)
    final = target_stage(parsed, target)
    if builder.exports_cache:
        return CachePlan(REGISTRY, final.ref, (StageCache(final.ref, f"{repo}:cache-{final.ref}"),))
    stages = tuple(StageCache(s.ref, f"{repo}:stage-{s.ref}") for s in cache_stages(parsed, target))
    return CachePlan(INLINE_STAGES, final.ref, stages)


def push_argv(docker: str, ref: str) -> list[str]:
    return [docker, "push", "--quiet", ref]


def push(docker: str, refs: tuple[str, ...], *, echo: Callable[[str], None] | None = None) -> None:
    for ref in refs:
        if echo is not None:
            echo(f"pushing {ref}")
        process.run(
            push_argv(docker, ref),
            timeout=1800,
            hint="is the registry up and reachable (the `registry` setting)? `curl http://REGISTRY/v2/`",
        )


def build_with_cache(
    engine: Engine,
    request: BuildRequest,
    plan: CachePlan,
    *,
    export: bool,
    label: str = "build",
    on_step: OnStep | None = None,
) -> list[BuildResult]:
    """Build ``request`` importing the registry cache; with ``export``, also fill it.

    Exporting with inline cache builds each cache stage (the target last, with the request's own
    tags too) and pushes it; with a registry cache the one build writes it.
    """
    if not export:
        importing = replace(request, cache_from=(*request.cache_from, *plan.cache_from()))
        return [engine.build(importing, label=label, on_step=on_step)]
    results = [
        engine.build(stage_request, label=f"{label}-{stage_request.target}", on_step=on_step)
        for stage_request in plan.export_requests(request)
    ]
    push(engine.docker, plan.pushes())
    return results
