"""``dockyard verify``: the original image and the generated one, compared check by check."""

from __future__ import annotations

from typing import Any

from dockyard import contract
from dockyard.engine import Engine
from dockyard.phases import verify as phase
from dockyard.tasks._common import emit, progress, settings, task


@task(
    help={
        "original": "take this image as the original instead of building the project's Dockerfile",
        "generated": "take this image as the generated one instead of building docker/Dockerfile",
        "dockerfile": "the original's Dockerfile, relative to the project (default: Dockerfile)",
        "target": "the original's build stage (default: the one `docker build` builds)",
        "json": "write the report as JSON to this file, or - for stdout",
    }
)
def verify(
    c: Any,
    project: str | None = None,
    original: str | None = None,
    generated: str | None = None,
    dockerfile: str | None = None,
    target: str | None = None,
    json: str | None = None,
    docker: str | None = None,
) -> None:
    """Compare the original and the generated image: command, env, user, packages, smoke test, imports."""
    s = settings(project, docker=docker, dockerfile=dockerfile, target=target)
    engine = Engine.connect(s)
    located = contract.locate(s.project, s.dockerfile)
    with progress() as on_progress:
        report = phase.verify(
            s,
            engine,
            original=original,
            generated=generated,
            original_dockerfile=str(located.relative_to(s.project)) if located else "Dockerfile",
            original_target=s.target or None,
            progress=on_progress,
        )
    emit(report, json=json)
