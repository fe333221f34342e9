"""Secret-looking files in the effective build context (what the .dockerignore lets through),
by dockyard's own rules: it needs no tool, so the check runs even where trivy is not installed."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard import dockerignore
from dockyard.dockerignore import ContextFile
from dockyard.scan.model import Finding, ScanResult, ScanTarget

NAME = "context-secrets"


@dataclass(frozen=True)
class ContextSecrets:
    name: str = NAME

    def run(self, target: ScanTarget) -> ScanResult:
        files = [ContextFile(rel, 0, (target.project / rel).is_symlink()) for rel in target.context]
        found = tuple(
            Finding(
                tool=NAME,
                code="private-key" if "private key" in f.message else "secret-file",
                level="critical" if "private key" in f.message else "high",
                message=f.message,
                file=f.path,
            )
            for f in dockerignore.secret_findings(target.project, files)
        )
        return ScanResult(tool=self.name, ran=True, findings=found)
