"""Several targets of one Dockerfile built at once, with a bound on how many run together.

With buildx the targets go to ``docker buildx bake`` (one BuildKit session per batch of ``jobs``
targets, shared stages solved once); with the classic client, up to ``jobs`` concurrent builds
(the daemon's BuildKit merges the work they share). Either way every target's steps land on one
clock, for the timeline.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.engine import cli
from dockyard.engine.build import BuildResult, OnStep, build_failure, log_path_for, stream_build
from dockyard.engine.builders import BuildRequest, Buildx
from dockyard.engine.progress import cache_hit_ratio
from dockyard.engine.timeline import Span, Timeline, spans_of, timeline
from dockyard.errors import ConfigError

if TYPE_CHECKING:
    from dockyard.engine import Engine


@dataclass(frozen=True)
class TargetsResult:
    wall_s: float
    jobs: int
    how: str  # "bake" or "concurrent builds"
    results: dict[str, BuildResult]
    timeline: Timeline


def bake_definition(request: BuildRequest, targets: Sequence[str], tags: dict[str, str]) -> dict[str, object]:
    """A bake file (JSON) building ``targets`` of the request's Dockerfile."""
    base: dict[str, object] = {"context": str(request.context)}
    if request.dockerfile is not None:
        base["dockerfile"] = str(request.dockerfile)
    if request.build_args:
        base["args"] = dict(sorted(request.build_args.items()))
    if request.cache_from:
        base["cache-from"] = list(request.cache_from)
    if request.no_cache:
        base["no-cache"] = True
    if request.platforms:
        base["platforms"] = list(request.platforms)
    return {
        "group": {"default": {"targets": list(targets)}},
        "target": {t: {**base, "target": t, "tags": [tags[t]]} for t in targets},
    }


def bake_argv(
    docker: str, builder: Buildx, file: Path, targets: Sequence[str], metadata: Path, *, push: bool = False
) -> list[str]:
    destination = "--push" if push else "--load"
    argv = [docker, "buildx", "bake", "--file", str(file), "--progress=plain", destination]
    if builder.instance:
        argv += ["--builder", builder.instance]
    return [*argv, "--metadata-file", str(metadata), *targets]


def target_tags(request: BuildRequest, targets: Sequence[str], name: str) -> dict[str, str]:
    """Each target's tag: ``NAME-TARGET:dockyard``, or the request's tag with ``-TARGET`` added."""
    if request.tags:
        ref = request.tags[0]
        repo, tag = (ref.rsplit(":", 1)) if ":" in ref.rsplit("/", 1)[-1] else (ref, "latest")
        return {t: f"{repo}-{t}:{tag}" for t in targets}
    return {t: f"{name}-{t}:dockyard" for t in targets}


def batches(targets: Sequence[str], jobs: int) -> list[list[str]]:
    return [list(targets[i : i + jobs]) for i in range(0, len(targets), jobs)]


def build_targets(
    engine: Engine,
    request: BuildRequest,
    targets: Sequence[str],
    *,
    jobs: int,
    name: str,
    on_step: OnStep | None = None,
) -> TargetsResult:
    if not targets or len(set(targets)) != len(targets):
        raise ConfigError(f"give each target once (got {list(targets)})")
    jobs = max(1, min(jobs, len(targets)))
    tags = target_tags(request, targets, name)
    started = time.monotonic()
    if isinstance(engine.builder, Buildx):
        results, spans = _bake(engine, engine.builder, request, targets, tags, jobs, started, on_step)
        how = "bake"
    else:
        results, spans = _concurrent(engine, request, targets, tags, jobs, started, on_step)
        how = "concurrent builds"
    return TargetsResult(time.monotonic() - started, jobs, how, results, timeline(spans))


def _concurrent(
    engine: Engine,
    request: BuildRequest,
    targets: Sequence[str],
    tags: dict[str, str],
    jobs: int,
    started: float,
    on_step: OnStep | None,
) -> tuple[dict[str, BuildResult], list[Span]]:
    def one(target: str) -> BuildResult:
        req = replace(request, target=target, tags=(tags[target],))
        return engine.build(req, label=f"{target}", on_step=on_step)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = dict(zip(targets, pool.map(one, targets), strict=True))
    spans = [
        span
        for target, result in done.items()
        for span in spans_of(result.steps, target=target, offset=result.started_at - started)
    ]
    return done, spans


def _bake(
    engine: Engine,
    builder: Buildx,
    request: BuildRequest,
    targets: Sequence[str],
    tags: dict[str, str],
    jobs: int,
    started: float,
    on_step: OnStep | None,
) -> tuple[dict[str, BuildResult], list[Span]]:
    results: dict[str, BuildResult] = {}
    spans: list[Span] = []
    engine.log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dockyard-bake-") as tmp:
        for index, batch in enumerate(batches(targets, jobs)):
            file = Path(tmp) / f"bake-{index}.json"
            file.write_text(json.dumps(bake_definition(request, batch, tags), indent=2))
            metadata = Path(tmp) / f"metadata-{index}.json"
            argv = bake_argv(engine.docker, builder, file, batch, metadata, push=request.push)
            log_path = log_path_for(engine.log_dir, "bake-" + "-".join(batch))
            batch_start = time.monotonic()
            code, parser = stream_build(
                argv, builder.env(), log_path=log_path, on_step=on_step, started=batch_start
            )
            if code != 0:
                raise build_failure(argv, code, parser, log_path)
            wall = time.monotonic() - batch_start
            records = parser.records()
            spans += spans_of(records, offset=batch_start - started)
            pushed = _pushed_digests(metadata) if request.push else {}
            for target in batch:
                image_id, size = pushed.get(target, ""), 0
                if not request.push:
                    image = cli.inspect_image(engine.docker, tags[target])
                    image_id, size = image.id, image.size
                mine = [r for r in records if r.name.startswith(f"[{target} ")]
                results[target] = BuildResult(
                    wall_s=wall,
                    steps=tuple(mine),
                    cache_hit_ratio=cache_hit_ratio(mine),
                    image_id=image_id,
                    image_bytes=size,
                    log_path=log_path,
                    builder=f"{builder.name} bake",
                    started_at=batch_start,
                )
    return results, spans


def _pushed_digests(metadata: Path) -> dict[str, str]:
    """Bake's metadata file: ``{target: {"containerimage.digest": "sha256:..."}}``."""
    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(t): str(v.get("containerimage.digest", "")) for t, v in data.items() if isinstance(v, dict)}


def serial_targets(
    engine: Engine, request: BuildRequest, targets: Sequence[str], *, name: str, on_step: OnStep | None = None
) -> TargetsResult:
    """The same targets one after another (the baseline a parallel build is measured against)."""
    started = time.monotonic()
    tags = target_tags(request, targets, name)
    results: dict[str, BuildResult] = {}
    spans: list[Span] = []
    for target in targets:
        result = engine.build(
            replace(request, target=target, tags=(tags[target],)), label=target, on_step=on_step
        )
        results[target] = result
        spans += spans_of(result.steps, target=target, offset=result.started_at - started)
    return TargetsResult(time.monotonic() - started, 1, "serial", results, timeline(spans))


def compose_build_argv(docker: str, files: Sequence[Path], services: Sequence[str] = ()) -> list[str]:
    argv = [docker, "compose"]
    for path in files:
        argv += ["--file", str(path)]
    return [*argv, "--progress", "plain", "build", *services]


def compose_build_env(jobs: int) -> dict[str, str]:
    """Compose builds its services in parallel; COMPOSE_PARALLEL_LIMIT bounds how many at once."""
    return {"COMPOSE_PARALLEL_LIMIT": str(max(1, jobs)), "DOCKER_BUILDKIT": "1"}


def compose_build(
    engine: Engine, files: Sequence[Path], *, jobs: int, on_step: OnStep | None = None
) -> tuple[float, Timeline]:
    """``docker compose build`` of every service, bounded; its wall time and timeline (per service)."""
    argv = compose_build_argv(engine.docker, files)
    engine.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path_for(engine.log_dir, "compose-build")
    started = time.monotonic()
    code, parser = stream_build(
        argv,
        {**engine.builder.env(), **compose_build_env(jobs)},
        log_path=log_path,
        on_step=on_step,
        started=started,
    )
    if code != 0:
        raise build_failure(
            argv, code, parser, log_path, failed_early="compose build failed before any step ran"
        )
    return time.monotonic() - started, timeline(spans_of(parser.records()))
