"""``dockyard doctor`` (what can this machine do) and ``dockyard build`` (measured builds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard import layout
from dockyard.engine import BuildRequest, Engine
from dockyard.phases import build as build_phase
from dockyard.phases.doctor import doctor as doctor_step
from dockyard.tasks._common import emit, progress, settings, task


@task(help={"builder": "auto, buildx, buildkit, or a buildx builder's name (docker buildx ls)"})
def doctor(
    c: Any,
    project: str | None = None,
    docker: str | None = None,
    builder: str | None = None,
    json: str | None = None,
) -> None:
    """Check the Docker engine: client, daemon, BuildKit builder, compose v2, hadolint."""
    emit(doctor_step(settings(project, docker=docker, builder=builder)), json=json)


@task(
    iterable=["target", "platform"],
    help={
        "platform": "platform to build for, e.g. linux/arm64; repeat it (or separate with commas) for a "
        "list, which needs a buildx builder of the docker-container or remote driver (`--builder`) and "
        "is pushed to the `registry` setting",
        "builder": "auto, buildx, buildkit, or a buildx builder's name: every buildx command gets "
        "--builder NAME",
        "dockerfile": "Dockerfile to build, relative to the project (default: Dockerfile)",
        "target": "build stage to stop at; repeat it (or separate with commas) to build several "
        "targets at once, with a timeline",
        "jobs": "with several targets, how many build at once (default: all)",
        "timeline": "with several targets, also draw the timeline as a PNG here (needs matplotlib)",
        "tag": "image name to tag the result with (default: <project>:dockyard)",
        "no_cache": "ignore the build cache (cache mounts are kept)",
        "registry_cache": "import the registry cache (the `registry` setting) and push it back: "
        "what a fresh CI runner needs",
        "push_cache": "with --registry-cache, push the cache back (default: yes; --no-push-cache only "
        "imports, for runners that must not write, such as pull requests)",
    },
)
def build(
    c: Any,
    project: str | None = None,
    dockerfile: str | None = None,
    target: list[str] | None = None,
    tag: str | None = None,
    json: str | None = None,
    no_cache: bool = False,
    docker: str | None = None,
    registry_cache: bool = False,
    push_cache: bool = True,
    jobs: int = 0,
    timeline: str | None = None,
    platform: list[str] | None = None,
    builder: str | None = None,
) -> None:
    """Build the project with BuildKit and report each step: cached or executed, and its time."""
    s = settings(project, docker=docker, platforms=platform or None, builder=builder)
    engine = Engine.connect(s)
    targets = [t.strip() for spec in target or [] for t in spec.split(",") if t.strip()]
    request = BuildRequest(
        context=s.project,
        dockerfile=s.project / (dockerfile or layout.BASELINE_DOCKERFILE),
        target=targets[0] if targets else None,
        tags=(tag or f"{s.project.name.lower()}:dockyard",),
        no_cache=no_cache,
    )
    with progress() as on_progress:
        if len(targets) > 1:
            report = build_phase.targets(
                engine,
                request,
                targets,
                jobs=jobs or len(targets),
                png=Path(timeline) if timeline else None,
                progress=on_progress,
            )
        elif registry_cache:
            report = build_phase.cached(
                engine, request, label=s.project.name, push=push_cache, progress=on_progress
            )
        else:
            report = build_phase.build(engine, request, label=s.project.name, progress=on_progress)
    emit(report, json=json)
