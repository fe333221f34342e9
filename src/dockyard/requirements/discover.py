"""What a project declares, from both kinds of source: requirements files and pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from dockyard.requirements.model import Declared, Finding, normalize
from dockyard.requirements.pyproject import read_pyproject
from dockyard.requirements.requirements_txt import PYPROJECT, REQUIREMENTS_GLOB, read_requirements


def discover(project: Path) -> Declared:
    """Everything ``project`` declares, in a deterministic order, with the origin of each line."""
    root = project.resolve()
    collected, files = read_requirements(root)
    py_entries, py_findings, table = read_pyproject(root)
    findings = [*collected.findings, *py_findings]
    if py_entries or table:
        files.append(PYPROJECT)
    if not collected.entries and not py_entries:
        findings.append(
            Finding(
                level="warning",
                code="nothing-declared",
                message=f"no {REQUIREMENTS_GLOB} file and no pyproject.toml dependencies were found",
            )
        )
    name = table.get("name")
    requires = table.get("requires-python")
    return Declared(
        project=root,
        entries=(*collected.entries, *py_entries),
        options=tuple(collected.options),
        files=tuple(files),
        project_name=normalize(name) if isinstance(name, str) else None,
        requires_python=requires if isinstance(requires, str) else None,
        findings=tuple(findings),
    )
