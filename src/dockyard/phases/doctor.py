"""``doctor`` as a step: what this machine can do, and one finding per missing piece."""

from __future__ import annotations

from dockyard.config import Settings
from dockyard.engine.probe import probe
from dockyard.errors import EngineUnavailable
from dockyard.phases.report import Finding, Level, Status, StepReport, Table


def doctor(settings: Settings) -> StepReport:
    caps = probe(settings)
    problems = caps.problems()
    return StepReport(
        name="doctor",
        status=Status.FAILED if problems else Status.DONE,
        summary=f"{len(problems)} missing piece(s)"
        if problems
        else f"BuildKit builds will use `{caps.builder}`",
        findings=tuple(Finding(level=Level.ERROR, message=p) for p in problems),
        tables=(Table.of("", ["check", "result"], caps.rows()),),
        data={
            "builder": caps.builder,
            "client_version": caps.client_version,
            "server_version": caps.server_version,
            "compose_version": caps.compose_version,
            "hadolint_version": caps.hadolint_version,
            "exit_code": EngineUnavailable.exit_code if problems else 0,
        },
    )
