"""Phase 3, the development loop: compose files, a check of them with compose, the guide, the proof.

It first brings phases 1 and 2's outputs up to date; the parts live in ``phase3_plan``, ``dev_stack``,
``dev_guide`` and ``hot_reload`` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard import process
from dockyard.config import Settings
from dockyard.engine import compose, compose_models
from dockyard.errors import InputError
from dockyard.phases import files as write_files
from dockyard.phases import phase2
from dockyard.phases.dev_guide import DOCS_FILE, docs_file, guide, guide_commands, guide_from_plan
from dockyard.phases.dev_stack import (
    DEV_TASKS,
    dev_stack,
    docker_executable,
    down,
    leftovers,
    production_stack,
    shell_argv,
    test_argv,
)
from dockyard.phases.hot_reload import (
    PROBE_PATH,
    HotReloadResult,
    asgi_target,
    free_port,
    hot_reload_check,
    module_file,
    probe_snippet,
)
from dockyard.phases.phase3_plan import (
    DOCKERFILE,
    SOURCE,
    Files,
    Phase3Plan,
    compose_files,
    compose_plan,
    has_python,
    plan,
    project_name,
    watch_rules,
)
from dockyard.phases.report import (
    Finding,
    Level,
    Measurement,
    Progress,
    Status,
    StepReport,
    Table,
    no_progress,
    phase_report,
)
from dockyard.render import compose as render
from dockyard.render.writer import WritePlan, plan_writes

__all__ = [
    "DEFAULTS_ENV", "DEV_TASKS", "DOCKERFILE", "DOCS_FILE", "PROBE_PATH", "SOURCE", "ConfigCheck", "Files",
    "HotReloadResult", "Phase3Plan", "asgi_target", "check_config", "compose_files", "compose_plan",
    "dev_stack", "docker_executable", "docs_file", "down", "free_port", "guide", "guide_commands",
    "guide_from_plan", "has_python", "hot_reload_check", "leftovers", "module_file", "plan",
    "probe_snippet", "production_stack", "project_name", "read_config", "run", "shell_argv", "test_argv",
    "watch_rules",
]  # fmt: skip

#: Blank values make the files' ${VAR:-default} fall back to their defaults, whatever the shell has.
DEFAULTS_ENV = {"APP_PORT": "", "APP_BIND": ""}


@dataclass(frozen=True, kw_only=True)
class ConfigCheck:
    """Both stacks as compose reads them: interpolated with the defaults (what runs), and as written."""

    production: compose_models.Project
    dev: compose_models.Project
    production_as_written: compose_models.Project
    dev_as_written: compose_models.Project
    problems: tuple[str, ...]


def read_config(stack: compose.Stack, *, interpolate: bool = True) -> compose_models.Project:
    """``docker compose config`` of a stack: compose validates the files, we parse what it read."""
    result = process.run(
        compose.config_argv(stack, interpolate=interpolate),
        env=DEFAULTS_ENV,
        echo=False,
        hint="compose rejected the files; fix them, or delete them and run `dockyard phase3` again",
    )
    return compose_models.parse_config(result.stdout)


def check_config(root: Path, cplan: render.ComposePlan, docker: str) -> ConfigCheck:
    prod_stack, devel_stack = production_stack(root, docker), dev_stack(root, docker)
    production, dev = read_config(prod_stack), read_config(devel_stack)
    problems: list[str] = []
    prod_service, dev_service = production.service(cplan.service), dev.service(cplan.service)
    if prod_service.healthcheck is None:
        problems.append(f"{cplan.compose_file}: the service has no health check")
    exposed = [b for b in prod_service.ports if b.host_ip not in ("127.0.0.1", "::1", "localhost")]
    if exposed:
        problems.append(f"{cplan.compose_file}: ports are not bound to loopback by default")
    if not dev_service.watch:
        problems.append(f"{cplan.dev_file}: no develop.watch rules, so edits never reach the container")
    if dev_service.build is None or dev_service.build.target != cplan.dev_target:
        problems.append(f"{cplan.dev_file}: the service does not build the `{cplan.dev_target}` stage")
    return ConfigCheck(
        production=production,
        dev=dev,
        production_as_written=read_config(prod_stack, interpolate=False),
        dev_as_written=read_config(devel_stack, interpolate=False),
        problems=tuple(problems),
    )


# --- the phase, start to end --------------------------------------------------------------------------


def write_plan(root: Path, files: Files, *, force: bool, state_dir: str) -> WritePlan:
    return plan_writes(root, files, force=force, state_dir=state_dir)


def files_step(
    settings: Settings, *, dry: bool = False, force: bool = False, docker: str | None = None
) -> StepReport:
    """Write the compose files, check them with compose, then write the guide from what compose read."""
    p = plan(settings)
    notes = tuple(Finding(level=Level.INFO, message=note) for note in p.notes)
    files = compose_files(p)
    if dry:
        everything = {**files, **docs_file(guide(p))}
        planned = write_files.write(
            write_plan(p.root, everything, force=force, state_dir=settings.state_dir), dry=True
        )
        return StepReport(
            name="compose files and guide", status=Status.PLANNED, files=planned, findings=notes
        )
    docker = docker or docker_executable(settings)
    version = compose.require_v2(docker)
    written = write_files.write(
        write_plan(p.root, files, force=force, state_dir=settings.state_dir), dry=False
    )
    checked = check_config(p.root, p.compose, docker)
    if checked.problems:
        raise InputError(
            "the compose files, as compose reads them, miss what the dev loop needs:\n  - "
            + "\n  - ".join(checked.problems),
            hint="compare them with the .new files beside them, or run `dockyard phase3 --force`",
        )
    docs = docs_file(guide(p, dev=checked.dev_as_written, production=checked.production_as_written))
    written += write_files.write(
        write_plan(p.root, docs, force=force, state_dir=settings.state_dir), dry=False
    )
    return StepReport(
        name="compose files and guide",
        status=Status(write_files.status_of(written, dry=False)),
        summary=f"docker compose {version} accepts both files",
        files=written,
        findings=notes,
        data={"compose_version": version},
    )


def hot_reload_step(
    settings: Settings,
    *,
    docker: str | None = None,
    timeout: float = 10.0,
    rebuild: bool = False,
    progress: Progress = no_progress,
) -> StepReport:
    result = hot_reload_check(
        settings, docker=docker, timeout=timeout, check_rebuild=rebuild, on_status=progress
    )
    measured = (
        ()
        if result.seconds is None
        else (Measurement(name="edit to answer", value=result.seconds, unit="s"),)
    )
    return StepReport(
        name="hot reload",
        status=Status.DONE if result.ok else Status.FAILED,
        summary="checked on a scratch copy"
        if result.ok
        else f"the hot-reload check failed: {result.message}",
        findings=()
        if result.ok
        else (
            Finding(
                level=Level.ERROR,
                message="`dockyard dev.watch` then `dockyard dev.logs` shows what the dev server saw",
            ),
        ),
        measurements=measured,
        tables=(Table.of("", ["check", "result"], result.rows()),),
        data={"exit_code": 10} if not result.ok else {},
    )


def run(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    check: bool = True,
    rebuild: bool = False,
    branch: bool = True,
    docker: str | None = None,
    timeout: float = 10.0,
    progress: Progress = no_progress,
) -> StepReport:
    """Phases 1 and 2's outputs (each skipped when current), then phase 3's files and the live check."""
    steps = phase2.outputs(
        settings, dry=dry, force=force, branch=branch, measure_baseline=False, progress=progress
    )
    if dry and not (settings.project / DOCKERFILE).is_file():
        steps.append(
            StepReport(
                name="compose files and guide",
                status=Status.SKIPPED,
                summary=f"they build on {DOCKERFILE}, which this dry run does not write",
            )
        )
        return phase_report("phase3", steps, dry=True)
    progress("phase 3: compose files")
    steps.append(files_step(settings, dry=dry, force=force, docker=docker))
    if dry:
        steps.append(StepReport(name="hot reload", status=Status.SKIPPED, summary="dry run"))
    elif check:
        steps.append(
            hot_reload_step(settings, docker=docker, timeout=timeout, rebuild=rebuild, progress=progress)
        )
    else:
        steps.append(
            StepReport(
                name="hot reload",
                status=Status.SKIPPED,
                summary="--no-check; `dockyard dev.watch` starts the loop",
            )
        )
    return phase_report("phase3", steps, dry=dry)
