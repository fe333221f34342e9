"""Read ``pyproject.toml``: ``[project]`` dependencies, optional dependencies, dependency groups, and the
tool tables that declare more (Poetry's, ``[tool.pdm.dev-dependencies]``, ``[tool.uv] dev-dependencies``).

Each is a PEP 508 string, read with ``packaging``. PEP 735 ``[dependency-groups]`` are expanded with their
``{include-group = ...}`` tables (names normalized, cycles and unknown groups refused); an entry reached
through several groups is recorded once per group, with that group's hint, and classification keeps the
lowest. tomllib keeps no positions, so each entry's line is found by searching the file for its string
below its table's header: good enough to point a person at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dockyard.errors import InputError
from dockyard.requirements import tomlfile
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.model import Entry, Finding, Group, Origin, normalize
from dockyard.requirements.pep508 import KeyLocator, entry_from_pep508, parse
from dockyard.requirements.poetry import read_poetry
from dockyard.requirements.requirements_txt import PYPROJECT


def _string_list(value: object, where: str, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} must be a list of PEP 508 strings", path=path)
    return list(value)


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


@dataclass(frozen=True, kw_only=True)
class PyprojectRead:
    """What one pyproject.toml declares, and whether it states its dependencies itself."""

    entries: tuple[Entry, ...] = ()
    findings: tuple[Finding, ...] = ()
    project: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    explicit: bool = False  # [project] dependencies (or Poetry's) are a static list, maybe empty

    @property
    def dynamic_dependencies(self) -> bool:
        return "dependencies" in self.project.get("dynamic", [])


def _pdm_item(item: str, *, origin: Origin, source: str, hint: Group | None) -> Entry:
    """A PDM dev-dependency: PEP 508, or ``-e file:///${PROJECT_ROOT}/path`` for an editable path."""
    if item.startswith("-e "):
        target = item[3:].strip().replace("file:///${PROJECT_ROOT}/", "./").replace("${PROJECT_ROOT}/", "./")
        name, _, url = target.partition(" @ ")
        path = (url or name).replace("file:///${PROJECT_ROOT}", ".")
        return Entry(name=None, text=f"-e {path}", kind="editable", origin=origin, source=source, hint=hint)
    return entry_from_pep508(item, origin=origin, source=source, hint=hint)


def read_pyproject(root: Path, shown: str = PYPROJECT) -> PyprojectRead:
    """Every declaration of ``root/pyproject.toml``; an empty result when there is no such file."""
    path = root / PYPROJECT
    if not path.exists():
        return PyprojectRead()
    data = tomlfile.load(path, shown)
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise InputError("[project] must be a table", path=shown)
    own = normalize(project["name"]) if isinstance(project.get("name"), str) else None
    where = KeyLocator(path.read_text(encoding="utf-8", errors="replace"))
    entries: list[Entry] = []
    findings: list[Finding] = []

    def add(
        items: list[str],
        *,
        source: str,
        hint: Group | None,
        start: int,
        pdm: bool = False,
        extra: str | None = None,
    ) -> None:
        for item in items:
            line = where.line_of(item, start)
            origin = Origin(path=shown, line=line)
            if pdm and item.startswith("-e "):
                entries.append(_pdm_item(item, origin=origin, source=source, hint=hint))
                continue
            req = parse(item, path=shown, line=line)
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
            entry = entry_from_pep508(item, origin=origin, source=source, hint=hint)
            entries.append(replace(entry, extra=extra))

    deps_at = where.section("project")
    add(
        _string_list(project.get("dependencies", []), "[project] dependencies", shown),
        source=f"{shown} [project] dependencies",
        hint=None,
        start=deps_at,
    )
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise InputError("[project.optional-dependencies] must be a table", path=shown)
    extras_at = where.section("project.optional-dependencies", "project")
    for extra in sorted(optional):
        items = _string_list(optional[extra], f"[project.optional-dependencies] {extra}", shown)
        add(
            items,
            source=f"{shown} [project.optional-dependencies] {extra}",
            hint=hint_for(extra),
            start=extras_at,
            extra=normalize(extra),
        )
    if "dependency-groups" in data:
        groups_at = where.section("dependency-groups")
        for group, items in sorted(_dependency_groups(data["dependency-groups"], shown).items()):
            add(items, source=f"{shown} [dependency-groups] {group}", hint=hint_for(group), start=groups_at)
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    pdm_dev = (tool.get("pdm") or {}).get("dev-dependencies")
    if isinstance(pdm_dev, dict):
        pdm_at = where.section("tool.pdm.dev-dependencies")
        for group, items in sorted(pdm_dev.items()):
            add(
                _string_list(items, f"[tool.pdm.dev-dependencies] {group}", shown),
                source=f"{shown} [tool.pdm.dev-dependencies] {group}",
                hint=hint_for(group) or "dev",
                start=pdm_at,
                pdm=True,
            )
    uv_dev = (tool.get("uv") or {}).get("dev-dependencies")
    if isinstance(uv_dev, list):
        add(
            _string_list(uv_dev, "[tool.uv] dev-dependencies", shown),
            source=f"{shown} [tool.uv] dev-dependencies",
            hint="dev",
            start=where.section("tool.uv"),
        )
    explicit = "dependencies" in project and "dependencies" not in project.get("dynamic", [])
    if isinstance(tool.get("poetry"), dict):
        poetry_entries, poetry_findings = read_poetry(
            tool["poetry"], locator=where, pep621_main="dependencies" in project, path=shown
        )
        entries += poetry_entries
        findings += poetry_findings
        explicit = explicit or "dependencies" in tool["poetry"]
    if "dependencies" in project.get("dynamic", []):
        findings.append(
            Finding(
                level="info",
                code="dynamic-dependencies",
                origin=Origin(path=shown),
                message="[project] dependencies are dynamic: read through the build backend's metadata",
            )
        )
    return PyprojectRead(
        entries=tuple(entries), findings=tuple(findings), project=project, data=data, explicit=explicit
    )
