"""Phase 2, the optimized build: render, lint, build, smoke-test, measure against the baseline.

The decisions live in :mod:`dockyard.phases.phase2_plan`; this module carries them out. Each
action returns a small record so the task can print a summary table of what changed and what
it gained.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from dockyard import process, wheelhouse
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.engine import cli as docker_cli
from dockyard.errors import DockyardError, InputError
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render import dockerfile as render_dockerfile
from dockyard.render import writer
from dockyard.render.writer import GeneratedFile, WritePlan
from dockyard.scan import SCANNERS, ScanResult, at_or_above

DOCKERFILE = "docker/Dockerfile"
RUNTIME_TARGET = "runtime"


def plan_files(
    settings: Settings, *, force: bool = False, docker: str | None = None
) -> tuple[WritePlan, list[str]]:
    """The Dockerfile to write, and notes. With a current wheelhouse it installs from it, offline."""
    plan = plan_dockerfile(settings, docker=docker)
    notes: list[str] = list(plan.notes)
    if docker is not None and (settings.project / wheelhouse.DIRNAME).is_dir():
        state = wheelhouse.status(plan, settings.project, docker)
        if state.up_to_date:
            plan = wheelhouse.use(plan)
            notes.append(f"installing offline from {wheelhouse.DIRNAME}/ (its key matches the locks)")
        else:
            stale = ", ".join(s.name for s in state.stale)
            notes.append(f"{wheelhouse.DIRNAME}/ is stale ({stale}): not used; `invoke wheels` refreshes it")
    text = render_dockerfile.render(plan)
    files: dict[Path | str, GeneratedFile] = {
        DOCKERFILE: GeneratedFile(text, source="requirements/*.txt and [tool.dockyard] settings")
    }
    return writer.plan_writes(settings.project, files, force=force, state_dir=settings.state_dir), notes


@dataclass(frozen=True)
class LintReport:
    results: tuple[ScanResult, ...]

    @property
    def blocking(self) -> list[str]:
        """hadolint at warning or above, trivy at HIGH or above: the gate."""
        bad: list[str] = []
        for result in self.results:
            level = "warning" if result.tool == "hadolint" else "high"
            bad += [f.render() for f in at_or_above(result.findings, level)]
        return bad

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for r in self.results:
            if not r.ran:
                rows.append((r.tool, f"skipped: {r.skipped_because}"))
            else:
                rows.append((r.tool, f"{len(r.findings)} finding(s)" if r.findings else "clean"))
        return rows


def lint(settings: Settings, dockerfile: Path) -> LintReport:
    config = settings.project / ".hadolint.yaml"
    results = (
        SCANNERS["hadolint"].scan(dockerfile, config=config if config.is_file() else None),
        SCANNERS["trivy-config"].scan(dockerfile),
    )
    return LintReport(results)


def require_clean(report: LintReport, dockerfile: Path) -> None:
    if report.blocking:
        raise InputError(
            "the generated Dockerfile fails the lint gate:\n  " + "\n  ".join(report.blocking),
            path=str(dockerfile),
            hint="this is a dockyard bug if the file is unedited; otherwise fix the reported lines",
        )


@dataclass(frozen=True)
class SmokeResult:
    image: str
    url: str
    seconds_to_healthy: float
    body: str


def smoke_test(
    engine: Engine, image: str, *, port: int, health_path: str, timeout: float = 120
) -> SmokeResult:
    """Run the image, wait for its health endpoint on a loopback port, then remove the container."""
    name = f"dockyard-smoke-{uuid.uuid4().hex[:10]}"
    docker = engine.docker
    process.run(docker_cli.run_detached_argv(docker, image, name=name, publish=[f"127.0.0.1::{port}"]))
    try:
        host_port = docker_cli.parse_port(
            process.run(docker_cli.port_argv(docker, name, port), echo=False).stdout
        )
        url = f"http://127.0.0.1:{host_port}{health_path}"
        started = time.monotonic()
        last_error = ""
        while time.monotonic() - started < timeout:
            try:
                with urllib.request.urlopen(url, timeout=3) as response:
                    body = response.read().decode(errors="replace")
                    return SmokeResult(image, url, time.monotonic() - started, body)
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                last_error = str(exc)
            if not _running(docker, name):
                break
            time.sleep(0.5)
        logs = process.run([docker, "logs", "--tail", "30", name], check=False, echo=False)
        raise DockyardError(
            f"the container from {image} did not answer {health_path} ({last_error or 'it exited'})\n"
            + (logs.stdout + logs.stderr)[-2000:],
            hint="check app_command, app_port and health_path in [tool.dockyard]",
        )
    finally:
        process.run(docker_cli.remove_container_argv(docker, name), check=False, echo=False)


def _running(docker: str, name: str) -> bool:
    result = process.run(
        [docker, "inspect", "--format", "{{json .State.Running}}", name], check=False, echo=False
    )
    return result.returncode == 0 and json.loads(result.stdout or "false") is True
