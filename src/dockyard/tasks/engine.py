"""``dockyard doctor`` (what can this machine do) and ``dockyard build`` (one measured build)."""

from __future__ import annotations

from typing import Any

from dockyard import layout
from dockyard.engine import BuildRequest, Engine
from dockyard.phases.build import build as build_step
from dockyard.phases.doctor import doctor as doctor_step
from dockyard.tasks._common import emit, progress, settings, task


@task(help={"builder": "auto, buildx or buildkit"})
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
    help={
        "dockerfile": "Dockerfile to build, relative to the project (default: Dockerfile)",
        "target": "build stage to stop at",
        "tag": "image name to tag the result with (default: <project>:dockyard)",
        "no_cache": "ignore the build cache (cache mounts are kept)",
    }
)
def build(
    c: Any,
    project: str | None = None,
    dockerfile: str | None = None,
    target: str | None = None,
    tag: str | None = None,
    json: str | None = None,
    no_cache: bool = False,
    docker: str | None = None,
) -> None:
    """Build the project with BuildKit and report each step: cached or executed, and its time."""
    s = settings(project, docker=docker)
    request = BuildRequest(
        context=s.project,
        dockerfile=s.project / (dockerfile or layout.BASELINE_DOCKERFILE),
        target=target,
        tags=(tag or f"{s.project.name.lower()}:dockyard",),
        no_cache=no_cache,
    )
    with progress() as on_progress:
        report = build_step(Engine.connect(s), request, label=s.project.name, progress=on_progress)
    emit(report, json=json)
