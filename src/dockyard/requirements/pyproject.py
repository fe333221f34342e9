"""Read ``pyproject.toml``: ``[project]`` dependencies, optional dependencies and dependency groups.

Each is a PEP 508 string, read with ``packaging``. PEP 735 ``[dependency-groups]`` are expanded with their
``{include-group = ...}`` tables (names normalized, cycles and unknown groups refused); an entry reached
through several groups is recorded once per group, with that group's hint, and classification keeps the
lowest. tomllib keeps no positions, so each entry's line is found by searching the file for its string
below its table's header: good enough to point a person at it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from dockyard.errors import InputError
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.model import Entry, Finding, Group, Kind, Origin, normalize
from dockyard.requirements.requirements_txt import PYPROJECT, decode, first_line, url_kind

_TOML_LINE = re.compile(r"at line (\d+)")


class _Locator:
    """Finds the line of a string inside a TOML section; tomllib keeps no positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def section(self, *headers: str) -> int:
        for header in headers:
            pattern = re.compile(r"^\s*\[\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
            for index, line in enumerate(self.lines):
                if pattern.match(line):
                    return index
        return 0

    def line_of(self, value: str, start: int) -> int | None:
        quoted = (f'"{value}"', f"'{value}'")
        for index in range(start, len(self.lines)):
            if any(q in self.lines[index] for q in quoted):
                return index + 1
        return None


def _string_list(value: object, where: str, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} must be a list of PEP 508 strings", path=path)
    return list(value)


def _pep508(text: str, *, path: str, line: int | None) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(
            f"not a valid PEP 508 requirement: {text!r} ({first_line(str(exc))})",
            path=path,
            line=line,
            hint="see https://packaging.python.org/en/latest/specifications/dependency-specifiers/",
        ) from exc


def _dependency_groups(table: object, path: str) -> dict[str, list[str]]:
    """PEP 735 groups with ``{include-group = ...}`` expanded; names normalized; cycles refused."""
    if not isinstance(table, dict):
        raise InputError("[dependency-groups] must be a table of lists", path=path)
    groups: dict[str, list[object]] = {}
    for name, items in table.items():
        key = normalize(name)
        if key in groups:
            raise InputError(f"[dependency-groups] names {name!r} twice (after normalization)", path=path)
        if not isinstance(items, list):
            raise InputError(f"[dependency-groups] {name} must be a list", path=path)
        groups[key] = items

    def expand(key: str, chain: tuple[str, ...]) -> list[str]:
        if key in chain:
            raise InputError(f"[dependency-groups] include cycle: {' -> '.join((*chain, key))}", path=path)
        if key not in groups:
            raise InputError(
                f"[dependency-groups] {chain[-1]} includes {key!r}, which is not a group", path=path
            )
        found: list[str] = []
        for item in groups[key]:
            if isinstance(item, str):
                found.append(item)
            elif (
                isinstance(item, dict)
                and set(item) == {"include-group"}
                and isinstance(item["include-group"], str)
            ):
                found.extend(expand(normalize(item["include-group"]), (*chain, key)))
            else:
                raise InputError(
                    f'[dependency-groups] {key}: {item!r} is neither a string nor {{include-group = "..."}}',
                    path=path,
                )
        return found

    return {key: expand(key, ()) for key in groups}


def read_pyproject(root: Path) -> tuple[list[Entry], list[Finding], dict[str, Any]]:
    path = root / PYPROJECT
    if not path.is_file():
        return [], [], {}
    text = decode(path.read_bytes(), PYPROJECT)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        raise InputError(
            f"cannot be read as TOML ({exc})", path=PYPROJECT, line=int(match.group(1)) if match else None
        ) from exc
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise InputError("[project] must be a table", path=PYPROJECT)
    own = normalize(project["name"]) if isinstance(project.get("name"), str) else None
    where = _Locator(text)
    entries: list[Entry] = []
    findings: list[Finding] = []

    def add(items: list[str], *, source: str, hint: Group | None, start: int) -> None:
        for item in items:
            line = where.line_of(item, start)
            req = _pep508(item, path=PYPROJECT, line=line)
            origin = Origin(path=PYPROJECT, line=line)
            if own is not None and normalize(req.name) == own:
                findings.append(
                    Finding(
                        level="info",
                        code="self-reference",
                        package=own,
                        origin=origin,
                        message=f"{item!r} refers to the project itself; its extras are read where declared",
                    )
                )
                continue
            kind: Kind = "index" if req.url is None else url_kind(req.url, editable=False)
            entries.append(
                Entry(
                    name=normalize(req.name),
                    text=str(req),
                    kind=kind,
                    origin=origin,
                    source=source,
                    hint=hint,
                )
            )

    deps_at = where.section("project")
    add(
        _string_list(project.get("dependencies", []), "[project] dependencies", PYPROJECT),
        source=f"{PYPROJECT} [project] dependencies",
        hint=None,
        start=deps_at,
    )
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise InputError("[project.optional-dependencies] must be a table", path=PYPROJECT)
    extras_at = where.section("project.optional-dependencies", "project")
    for extra in sorted(optional):
        items = _string_list(optional[extra], f"[project.optional-dependencies] {extra}", PYPROJECT)
        add(
            items,
            source=f"{PYPROJECT} [project.optional-dependencies] {extra}",
            hint=hint_for(extra),
            start=extras_at,
        )
    if "dependency-groups" in data:
        groups_at = where.section("dependency-groups")
        for group, items in sorted(_dependency_groups(data["dependency-groups"], PYPROJECT).items()):
            add(
                items,
                source=f"{PYPROJECT} [dependency-groups] {group}",
                hint=hint_for(group),
                start=groups_at,
            )
    if "dependencies" in project.get("dynamic", []):
        findings.append(
            Finding(
                level="info",
                code="dynamic-dependencies",
                origin=Origin(path=PYPROJECT),
                message="[project] dependencies are dynamic; they are read from the requirements files",
            )
        )
    if "poetry" in data.get("tool", {}):
        findings.append(
            Finding(
                level="warning",
                code="not-read",
                origin=Origin(path=PYPROJECT),
                message="[tool.poetry] dependencies are not read; declare them in [project] or requirements",
            )
        )
    return entries, findings, project
