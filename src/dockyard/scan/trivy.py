"""``trivy config``: misconfigurations in the Dockerfile, when trivy is installed (it is optional)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dockyard import process
from dockyard.scan.model import Finding, ScanResult

_LEVEL = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "CRITICAL": "critical", "UNKNOWN": "info"}


def argv(exe: str, folder: Path) -> list[str]:
    return [exe, "config", "--format", "json", "--quiet", "--skip-check-update", str(folder)]


def parse(text: str) -> tuple[Finding, ...]:
    data = json.loads(text or "{}")
    found: list[Finding] = []
    for result in data.get("Results") or []:
        for item in result.get("Misconfigurations") or []:
            cause = item.get("CauseMetadata") or {}
            found.append(
                Finding(
                    tool="trivy",
                    code=str(item.get("ID") or item.get("AVDID") or "?"),
                    level=_LEVEL.get(str(item.get("Severity", "UNKNOWN")).upper(), "info"),
                    message=str(item.get("Title") or item.get("Message") or ""),
                    file=str(result.get("Target")),
                    line=cause.get("StartLine"),
                )
            )
    return tuple(found)


@dataclass(frozen=True)
class TrivyConfig:
    name: str = "trivy-config"

    def scan(self, target: Path, *, config: Path | None = None) -> ScanResult:
        exe = process.tool_path("trivy")
        if exe is None:
            return ScanResult(tool=self.name, ran=False, skipped_because="trivy is not on PATH")
        result = process.run(argv(exe, target.parent), echo=False)
        return ScanResult(tool=self.name, ran=True, findings=parse(result.stdout))
