"""The Finding model every scanner's output is parsed into, and what a project scan looks at."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

#: Severity order shared by all scanners (hadolint's and trivy's levels mapped onto it).
LEVELS = ("info", "style", "low", "warning", "medium", "error", "high", "critical")


@dataclass(frozen=True, kw_only=True)
class Finding:
    tool: str
    code: str  # rule or advisory id
    level: str  # one of LEVELS
    message: str
    file: str | None = None  # relative to the project, or a path inside an image
    line: int | None = None
    package: str | None = None  # a vulnerable dependency: its name, version and fixes
    version: str | None = None
    fixed: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    layer: str | None = None  # the image layer a file was found in

    def render(self) -> str:
        where = (
            f"{self.file}:{self.line}: " if self.file and self.line else f"{self.file}: " if self.file else ""
        )
        return f"{where}{self.level} {self.code}: {self.message} [{self.tool}]"


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    tool: str
    ran: bool
    findings: tuple[Finding, ...] = ()
    skipped_because: str | None = None
    artifacts: Mapping[str, str] = field(default_factory=dict)  # e.g. {"sbom": path}


def at_or_above(findings: Iterable[Finding], level: str) -> list[Finding]:
    floor = LEVELS.index(level)
    return [f for f in findings if LEVELS.index(f.level) >= floor]


class Scanner(Protocol):
    """A per-file scanner (phase 2 lints its Dockerfile with these)."""

    @property
    def name(self) -> str: ...

    def scan(self, target: Path, *, config: Path | None = None) -> ScanResult: ...


@dataclass(frozen=True, kw_only=True)
class ScanTarget:
    """Everything a project scan looks at, decided before any tool runs."""

    project: Path
    dockerfiles: tuple[Path, ...] = ()
    compose_files: tuple[Path, ...] = ()
    locks: tuple[Path, ...] = ()
    context: tuple[str, ...] = ()  # files the .dockerignore lets through, relative to project
    image: str | None = None
    image_skipped: str = "no image to scan"  # why ``image`` is None
    docker: str | None = None
    osv_url: str | None = None  # an OSV /v1/query endpoint for pip-audit; None: pip-audit's default
    hadolint_config: Path | None = None
    work_dir: Path | None = None  # where checks may write artifacts (the SBOM)

    def rel(self, path: Path | str) -> str:
        try:
            return Path(path).resolve().relative_to(self.project.resolve()).as_posix()
        except ValueError:
            return str(path)


class Check(Protocol):
    """A project-wide check: one tool over the parts of a :class:`ScanTarget` it understands."""

    @property
    def name(self) -> str: ...

    def run(self, target: ScanTarget) -> ScanResult: ...
