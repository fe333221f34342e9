"""Engine tasks: ``doctor`` (what can this machine do) and ``build`` (one measured build)."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

from dockyard import ui
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.build import BuildResult, describe_step, step_table, summary_rows
from dockyard.engine.probe import probe
from dockyard.tasks._common import settings, task


@task(help={"builder": "auto, buildx or buildkit"})
def doctor(c: Any, project: str | None = None, docker: str | None = None, builder: str | None = None) -> None:
    """Check the Docker engine: client, daemon, BuildKit builder, compose v2, hadolint."""
    s = settings(project, docker=docker, builder=builder)
    caps = probe(s)
    ui.echo(ui.table(caps.rows(), ["check", "result"]))
    problems = caps.problems()
    if problems:
        raise Exit(message="\n".join(f"- {p}" for p in problems), code=4)
    ui.echo(f"\nok: BuildKit builds will use `{caps.builder}`")


def measured_build(engine: Engine, request: BuildRequest, *, label: str) -> BuildResult:
    """Build with a live one-line status of the current step."""
    status = ui.StatusLine()
    try:
        return engine.build(request, label=label, on_step=lambda step: status.update(describe_step(step)))
    finally:
        status.close()


def cached_build(engine: Engine, request: BuildRequest, *, label: str, push: bool = True) -> BuildResult:
    """Build through the registry cache, pushing it back unless told not to; show the plan first."""
    from dockyard import dockerfile as dockerfile_mod
    from dockyard.engine.cache import build_with_cache, plan_cache

    assert request.dockerfile is not None
    plan = plan_cache(
        dockerfile_mod.parse_file(request.dockerfile),
        request.target,
        registry=engine.settings.registry,
        project=engine.settings.project.name,
        builder=engine.builder,
    )
    ui.echo(ui.table(plan.rows(), ["stage", "cache", "ref"]))
    status = ui.StatusLine()
    try:
        results = build_with_cache(
            engine,
            request,
            plan,
            export=push,
            label=label,
            on_step=lambda step: status.update(describe_step(step)),
        )
    finally:
        status.close()
    return results[-1]


@task(
    iterable=["target"],
    help={
        "dockerfile": "Dockerfile to build, relative to the project (default: Dockerfile)",
        "target": "build stage to stop at; repeat it (or separate with commas) to build several "
        "targets at once, with a timeline",
        "jobs": "with several targets, how many build at once (default: all)",
        "timeline": "with several targets, also draw the timeline as a PNG here (needs matplotlib)",
        "tag": "image name to tag the result with (default: <project>:dockyard)",
        "json": "also write the measurements as JSON to this file",
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
) -> None:
    """Build the project with BuildKit and report each step: cached or executed, and its time."""
    s = settings(project, docker=docker)
    engine = Engine.connect(s)
    targets = [t.strip() for spec in target or [] for t in spec.split(",") if t.strip()]
    request = BuildRequest(
        context=s.project,
        dockerfile=s.project / (dockerfile or "Dockerfile"),
        target=targets[0] if targets else None,
        tags=(tag or f"{s.project.name.lower()}:dockyard",),
        no_cache=no_cache,
    )
    if len(targets) > 1:
        from dockyard.engine.parallel import build_targets
        from dockyard.phases.phase4 import targets_report
        from dockyard.tasks._common import emit

        status = ui.StatusLine()
        try:
            built = build_targets(
                engine,
                request,
                targets,
                jobs=jobs or len(targets),
                name=s.project.name.lower(),
                on_step=lambda step: status.update(describe_step(step)),
            )
        finally:
            status.close()
        emit(targets_report(built, png=Path(timeline) if timeline else None), json=json)
        return
    if registry_cache:
        result = cached_build(engine, request, label=s.project.name, push=push_cache)
    else:
        result = measured_build(engine, request, label=s.project.name)
    ui.echo(step_table(result))
    ui.echo()
    ui.echo(ui.table(summary_rows(result), ["", ""], fmt="plain"))
    if json:
        from dockyard.render.writer import atomic_write_bytes

        out = Path(json)
        atomic_write_bytes(out, (jsonlib.dumps(result.as_json(), indent=2) + "\n").encode())
        ui.echo(f"wrote {out}")
