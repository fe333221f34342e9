"""The Finding model every scanner's output is parsed into."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Severity order shared by all scanners (hadolint's and trivy's levels mapped onto it).
LEVELS = ("info", "style", "low", "warning", "medium", "error", "high", "critical")


@dataclass(frozen=True, kw_only=True)
class Finding:
    tool: str
    code: str
    level: str
    message: str
    file: str | None = None
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        return f"{where}{self.level} {self.code}: {self.message} [{self.tool}]"


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    tool: str
    ran: bool
    findings: tuple[Finding, ...] = ()
    skipped_because: str | None = None


def at_or_above(findings: Iterable[Finding], level: str) -> list[Finding]:
    floor = LEVELS.index(level)
    return [f for f in findings if LEVELS.index(f.level) >= floor]


class Scanner(Protocol):
    @property
    def name(self) -> str: ...

    def scan(self, target: Path, *, config: Path | None = None) -> ScanResult: ...
