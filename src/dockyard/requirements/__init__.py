"""Phase 1's requirements work: read what a project declares, split it into layered sets, lock them.

The steps, each a pure function over frozen values except the last:

1. :func:`discover` reads every declaration: ``*requirements*.txt`` (pip's whole grammar), ``pyproject.toml``
   (PEP 621, PEP 735, Poetry, PDM, uv), a Pipfile, setup.py/setup.cfg (through the build backend), the
   project's own lock, and what the original Dockerfile installs;
2. :func:`classify` places each direct dependency in base, ml, test or dev (catalogue, source names,
   ``[tool.dockyard] classify`` overrides);
3. :func:`scan_imports` and :func:`check` compare that with what runtime code and tests import, and
   move test or dev packages that runtime code imports to a runtime group;
4. :func:`split` renders ``base.in``, ``ml.in``, ``test.in`` and ``dev.in`` (texts; the safe writer writes);
5. :func:`lock` resolves the four sets together, once, with ``uv pip compile --generate-hashes`` (the
   project's own lock as constraints) and splits the pins into layers, each in the earliest that needs it.

:func:`analyse` runs steps 1 to 4 and gathers every finding. Malformed input raises
:class:`~dockyard.errors.InputError` naming the file and line, before anything is returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dockyard.requirements.catalogue import Catalogue
from dockyard.requirements.classify import classify
from dockyard.requirements.discover import discover
from dockyard.requirements.forms import form_findings
from dockyard.requirements.imports import check, scan_imports
from dockyard.requirements.lock import conflicting_pins, lock_command, lock_sets, pins
from dockyard.requirements.metadata import MetadataReader, read_metadata
from dockyard.requirements.model import (
    GROUPS,
    Checked,
    Classification,
    Declared,
    Entry,
    Finding,
    Group,
    ImportScan,
    ImportUse,
    Locked,
    Option,
    Origin,
    Placement,
    SplitPlan,
    normalize,
)
from dockyard.requirements.project_locks import ProjectLock, constraints_text
from dockyard.requirements.split import split

__all__ = [
    "GROUPS",
    "Analysis",
    "Checked",
    "Classification",
    "Declared",
    "Entry",
    "Finding",
    "Group",
    "ImportScan",
    "ImportUse",
    "Locked",
    "Option",
    "Origin",
    "Placement",
    "SplitPlan",
    "analyse",
    "check",
    "classify",
    "conflicting_pins",
    "discover",
    "lock",
    "lock_command",
    "lock_sets",
    "normalize",
    "pins",
    "scan_imports",
    "split",
]


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """Steps 1 to 4 for one project: what it declares, where each package goes, and the .in texts."""

    declared: Declared
    scan: ImportScan
    classification: Classification  # after the import check
    plan: SplitPlan
    findings: tuple[Finding, ...]


def analyse(
    project: Path,
    *,
    overrides: Mapping[str, str] | None = None,
    req_dir: str = "requirements",
    catalogue: Catalogue | None = None,
    metadata: MetadataReader | None = read_metadata,
    python_version: str | None = None,
) -> Analysis:
    """Discover, classify, check against the imports and split ``project``'s requirements.

    ``metadata`` reads setup.py/setup.cfg projects through their build backend (a subprocess; ``None``
    skips it); ``python_version`` is the base image's, checked against requires-python.
    """
    declared = discover(project, metadata=metadata, python_version=python_version)
    first = classify(declared, overrides, catalogue=catalogue)
    scan = scan_imports(project)
    checked = check(first, scan, catalogue=catalogue)
    plan = split(checked.classification, req_dir=req_dir)
    findings = (
        *declared.findings,
        *form_findings(declared),
        *first.findings,
        *scan.findings,
        *checked.findings,
        *plan.findings,
    )
    return Analysis(
        declared=declared, scan=scan, classification=checked.classification, plan=plan, findings=findings
    )


def lock(
    project: Path,
    *,
    python_version: str,
    req_dir: str = "requirements",
    analysis: Analysis | None = None,
    inputs: Mapping[str, str] | None = None,
    python_platform: str | None = "linux",
    preferred: Mapping[str, str] | None = None,
) -> Locked:
    """Lock the four sets in one resolution; with ``analysis``, under the project's own lock, with
    index credentials kept out of the files, and a failure pointed at the lines that declare.
    ``preferred`` versions (what the base image already has) are taken where they satisfy."""
    if analysis is None:
        return lock_sets(
            project,
            python_version=python_version,
            req_dir=req_dir,
            inputs=inputs,
            python_platform=python_platform,
            preferred=preferred,
        )
    declared = analysis.declared
    origins: dict[str, list[str]] = {}
    for entry in declared.entries:
        if entry.name:
            origins.setdefault(entry.name, []).append(str(entry.origin))
    constraints = ""
    if declared.lock_file:
        constraints = constraints_text(
            ProjectLock(path=declared.lock_file, tool="", pins=dict(declared.locked))
        )
    return lock_sets(
        project,
        python_version=python_version,
        req_dir=req_dir,
        inputs=inputs if inputs is not None else analysis.plan.files,
        python_platform=python_platform,
        direct={p.key: p.group for p in analysis.classification.placements if p.name},
        constraints=constraints,
        private_options=analysis.plan.private,
        origins={name: tuple(where) for name, where in origins.items()},
        findings_before=tuple(str(f) for f in analysis.findings if f.level != "info"),
        preferred=preferred,
    )
