"""``dockyard wheels``: build the wheelhouse for the locked requirements (see :mod:`dockyard.wheelhouse`)."""

from __future__ import annotations

from typing import Any

from dockyard.engine import Engine
from dockyard.phases.wheels import wheels as wheels_step
from dockyard.tasks._common import emit, progress, settings, task


@task(
    iterable=["platform"],
    help={
        "force": "rebuild every wheel set, even those whose key matches",
        "platform": "build the wheelhouse of this platform (e.g. linux/arm64) in the base image of that "
        "platform; repeat it (or separate with commas) for several, each in .wheelhouse/OS/ARCH",
    },
)
def wheels(
    c: Any,
    project: str | None = None,
    docker: str | None = None,
    force: bool = False,
    json: str | None = None,
    platform: list[str] | None = None,
) -> None:
    """Build wheels for the locked requirements in the target's base image, into .wheelhouse/OS/ARCH/."""
    s = settings(project, docker=docker, platforms=platform or None)
    with progress() as on_progress:
        report = wheels_step(s, Engine.connect(s), force=force, progress=on_progress)
    emit(report, json=json)
