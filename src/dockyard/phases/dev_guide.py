"""docs/development.md, from the compose files as compose read them (or from the plan, for a dry run)."""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from dockyard import layout
from dockyard.config import DEFAULT_TEST_COMMAND
from dockyard.engine import compose, compose_models
from dockyard.phases.dev_stack import DEV_TASKS, dev_stack, production_stack, test_argv
from dockyard.phases.phase3_plan import SOURCE, Files, Phase3Plan
from dockyard.render import compose as render
from dockyard.render.writer import GeneratedFile

DOCS_FILE = layout.DEV_GUIDE


def guide_commands(
    name: str, test_command: Sequence[str] = DEFAULT_TEST_COMMAND
) -> tuple[tuple[render.GuideCommand, ...], tuple[render.GuideCommand, ...]]:
    """The commands as the guide shows them: ``docker`` and paths relative to the project root."""
    here = Path()
    dev = dataclasses.replace(dev_stack(here, "docker"), project_name=render.dev_name(name))
    prod = dataclasses.replace(production_stack(here, "docker"), project_name=name)
    dev_commands = tuple(
        render.GuideCommand(
            name=task,
            summary=summary,
            argv=shlex.join(test_argv(dev, test_command=test_command) if task == "dev.test" else build(dev)),
        )
        for task, summary, build in DEV_TASKS
    )
    prod_commands = (
        render.GuideCommand(
            name="up",
            summary="build the runtime image, start it, wait until it is healthy",
            argv=shlex.join(compose.up_argv(prod)),
        ),
        render.GuideCommand(
            name="ps",
            summary="the container and its health",
            argv=shlex.join([*compose.base_argv(prod), "ps"]),
        ),
        render.GuideCommand(
            name="down", summary="stop and remove it", argv=shlex.join(compose.down_argv(prod))
        ),
    )
    return dev_commands, prod_commands


def relative(root: Path, path: str | None) -> str:
    if not path:
        return ""
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return path
    return PurePosixPath(*rel.parts).as_posix() or "."


def _default(value: str) -> str:
    """What ``${VAR:-default}`` gives when VAR is not set; other values as they are."""
    match = re.fullmatch(r"\$\{\w+:?-([^}]*)\}", value)
    return match[1] if match else value


def _binding(service: compose_models.Service, port: int) -> tuple[str, str]:
    for binding in service.ports:
        if binding.target == port:
            return _default(binding.host_ip or "0.0.0.0"), _default(binding.published or str(port))
    return "127.0.0.1", str(port)


def guide_from_plan(p: Phase3Plan) -> render.DevGuide:
    cplan = p.compose
    commands, production_commands = guide_commands(cplan.name, p.test_command)
    return render.DevGuide(
        dev_name=cplan.dev_name,
        production_name=cplan.name,
        service=cplan.service,
        compose_file=cplan.compose_file,
        dev_file=cplan.dev_file,
        host="127.0.0.1",
        host_port=str(cplan.port),
        container_port=cplan.port,
        port_variable=cplan.port_variable,
        bind_variable=cplan.bind_variable,
        dev_target=cplan.dev_target,
        runtime_target=cplan.runtime_target,
        dev_command=cplan.dev_command,
        user="root",
        uid=cplan.uid,
        rules=tuple(
            render.GuideRule(path=r.path, action=r.action, target=r.target, ignore=r.ignore)
            for r in cplan.watch
        ),
        mounts=tuple(
            render.GuideMount(source=m.source, target=m.target, read_only=m.read_only) for m in cplan.mounts
        ),
        env_files=(cplan.env_file,) if cplan.env_file else (),
        commands=commands,
        production_commands=production_commands,
        healthcheck=True,
        read_only=cplan.read_only,
        min_compose=".".join(map(str, compose.MIN_VERSION)),
    )


def guide(
    p: Phase3Plan,
    *,
    dev: compose_models.Project | None = None,
    production: compose_models.Project | None = None,
) -> render.DevGuide:
    """The development guide: from ``docker compose config --no-interpolate`` when given, else the plan."""
    planned = guide_from_plan(p)
    if dev is None or production is None:
        return planned
    service = dev.service(p.compose.service)
    prod_service = production.service(p.compose.service)
    host, host_port = _binding(service, p.compose.port)
    root = p.root
    return dataclasses.replace(
        planned,
        dev_name=dev.name,
        production_name=production.name,
        host=host,
        host_port=host_port,
        dev_target=(service.build.target if service.build else None) or planned.dev_target,
        runtime_target=(prod_service.build.target if prod_service.build else None) or planned.runtime_target,
        dev_command=service.command or planned.dev_command,
        user=service.user or "the image's user",
        rules=tuple(
            render.GuideRule(path=relative(root, t.path), action=t.action, target=t.target, ignore=t.ignore)
            for t in service.watch
        ),
        mounts=tuple(
            render.GuideMount(source=relative(root, m.source), target=m.target, read_only=m.read_only)
            for m in service.volumes
            if m.type == "bind"
        ),
        env_files=tuple(relative(root, f) for f in service.env_files),
        healthcheck=prod_service.healthcheck is not None,
        read_only=prod_service.read_only,
    )


def docs_file(g: render.DevGuide) -> Files:
    return {DOCS_FILE: GeneratedFile(render.render_guide(g), source=SOURCE)}
