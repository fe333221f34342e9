"""Phase 1's requirements work: read what a project declares, split it into layered sets, lock them.

The steps, each a pure function over frozen values except the last:

1. :func:`discover` reads ``*requirements*.txt`` (pip's whole grammar, via ``pip_requirements_parser``)
   and ``pyproject.toml`` (``[project]`` dependencies, optional dependencies, PEP 735 groups);
2. :func:`classify` places each direct dependency in base, ml, test or dev (catalogue, source names,
   ``[tool.dockyard] classify`` overrides);
3. :func:`scan_imports` and :func:`check` compare that with what runtime code and tests import, and
   move test or dev packages that runtime code imports to a runtime group;
4. :func:`split` renders ``base.in``, ``ml.in``, ``test.in`` and ``dev.in`` (texts; the safe writer writes);
5. :func:`lock` runs ``uv pip compile --generate-hashes`` for the four sets in layered order.

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
from dockyard.requirements.imports import check, scan_imports
from dockyard.requirements.lock import conflicting_pins, lock, lock_command, pins
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
) -> Analysis:
    """Discover, classify, check against the imports and split ``project``'s requirements."""
    declared = discover(project)
    first = classify(declared, overrides, catalogue=catalogue)
    scan = scan_imports(project)
    checked = check(first, scan, catalogue=catalogue)
    plan = split(checked.classification, req_dir=req_dir)
    findings = (*declared.findings, *first.findings, *scan.findings, *checked.findings, *plan.findings)
    return Analysis(
        declared=declared, scan=scan, classification=checked.classification, plan=plan, findings=findings
    )
