"""Read Poetry's ``[tool.poetry]`` tables: main and group dependencies, legacy dev-dependencies, extras.

Poetry's own constraint syntax is translated to PEP 440 (``^1.2`` -> ``>=1.2,<2``, ``~1.2`` -> ``>=1.2,<1.3``,
``1.2`` -> ``==1.2``); git, path and url tables become PEP 508 direct references. Each dependency becomes
an :class:`Entry` whose source names its table, so classification reads the group name as a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from dockyard.errors import InputError
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.model import Entry, Finding, Group, Origin, normalize
from dockyard.requirements.pep508 import KeyLocator, entry_from_pep508

_BARE = re.compile(r"^\d+(\.\d+)*(\.\*)?$")


def _release(version: str) -> list[int]:
    return [int(part) for part in re.findall(r"\d+", version.split("-")[0].split("+")[0])[:3]]


def _caret(version: str) -> str:
    parts = _release(version) or [0]
    index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    upper = [*parts[:index], parts[index] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def _tilde(version: str) -> str:
    parts = _release(version) or [0]
    upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def translate(constraint: str) -> str:
    """A Poetry constraint as a PEP 440 specifier set ("" for any version)."""
    parts: list[str] = []
    for raw in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint.strip()):
        item = raw.strip()
        if item in ("", "*"):
            continue
        if item.startswith("^"):
            parts.append(_caret(item[1:].strip()))
        elif item.startswith("~") and not item.startswith("~="):
            parts.append(_tilde(item[1:].strip()))
        elif _BARE.match(item):
            parts.append(f"=={item}")
        elif item.startswith("="):
            parts.append(f"=={item.lstrip('=')}" if not item.startswith("==") else item)
        else:
            parts.append(item.replace(" ", ""))
    return ",".join(parts)


def python_marker(constraint: str) -> str:
    """``python = "^3.9"`` as a marker on ``python_full_version``."""
    spec = translate(constraint)
    clauses = [
        f'python_full_version {m.group(1)} "{m.group(2)}"'
        for m in (re.match(r"^(===|==|!=|~=|<=|>=|<|>)(.+)$", part) for part in spec.split(",") if part)
        if m
    ]
    return " and ".join(clauses)


def _requirement(name: str, spec: Mapping[str, Any] | str) -> tuple[str, str | None]:
    """PEP 508 text for one Poetry dependency, and a note when something was approximated."""
    if isinstance(spec, str):
        return f"{name}{translate(spec)}", None
    extras = spec.get("extras") or []
    head = f"{name}[{','.join(extras)}]" if extras else name
    note = None
    if "git" in spec:
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        url = f"git+{spec['git']}" + (f"@{ref}" if ref else "")
        if spec.get("subdirectory"):
            url += f"#subdirectory={spec['subdirectory']}"
        text = f"{head} @ {url}"
    elif "path" in spec:
        text = f"{head} @ file:{spec['path']}"
    elif "url" in spec:
        text = f"{head} @ {spec['url']}"
    else:
        version = spec.get("version", "*")
        if "||" in str(version):
            note = f"the alternative constraint {version!r} is read as any version (PEP 440 has no 'or')"
            version = "*"
        text = f"{head}{translate(str(version))}"
    markers = [
        m for m in (spec.get("markers"), python_marker(spec["python"]) if "python" in spec else None) if m
    ]
    if markers:
        text += " ; " + " and ".join(f"({m})" if len(markers) > 1 else m for m in markers)
    return text, note


def _items(table: object, where: str) -> Iterator[tuple[str, Mapping[str, Any] | str]]:
    if not isinstance(table, dict):
        raise InputError(f"{where} must be a table", path="pyproject.toml")
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        for one in spec if isinstance(spec, list) else [spec]:
            if not isinstance(one, (str, dict)):
                raise InputError(
                    f"{where} {name}: {one!r} is neither a string nor a table", path="pyproject.toml"
                )
            yield name, one


def read_poetry(
    poetry: Mapping[str, Any], *, locator: KeyLocator, pep621_main: bool, path: str = "pyproject.toml"
) -> tuple[list[Entry], list[Finding]]:
    """Entries of ``[tool.poetry]``; main dependencies are skipped when ``[project]`` declares them."""
    entries: list[Entry] = []
    findings: list[Finding] = []
    extras: dict[str, str] = {}
    for extra, names in (poetry.get("extras") or {}).items():
        for name in names:
            extras.setdefault(normalize(name), extra)

    def add(table: object, header: str, source: str, hint: Group | None, *, main: bool = False) -> None:
        start = locator.section(header)
        for name, spec in _items(table, f"[{header}]"):
            text, note = _requirement(name, spec)
            line = locator.key_line(name, start)
            origin = Origin(path=path, line=line)
            own_source, own_hint, own_extra = source, hint, None
            if main and isinstance(spec, dict) and spec.get("optional"):
                extra = extras.get(normalize(name))
                if extra is None:
                    findings.append(
                        Finding(
                            level="warning",
                            code="optional-unused",
                            package=normalize(name),
                            origin=origin,
                            message=f"{name} is optional but in no [tool.poetry.extras]: not installed",
                        )
                    )
                    continue
                own_source, own_hint = f"{path} [tool.poetry.extras] {extra}", hint_for(extra)
                own_extra = normalize(extra)
            if note:
                findings.append(
                    Finding(
                        level="info", code="poetry-form", package=normalize(name), origin=origin, message=note
                    )
                )
            entry = entry_from_pep508(text, origin=origin, source=own_source, hint=own_hint)
            entries.append(replace(entry, extra=own_extra))

    if "dependencies" in poetry:
        if pep621_main:
            findings.append(
                Finding(
                    level="info",
                    code="poetry-main-skipped",
                    origin=Origin(path=path, line=locator.section("tool.poetry.dependencies") + 1),
                    message="[project] dependencies are read instead (as Poetry 2 does)",
                )
            )
        else:
            add(
                poetry["dependencies"],
                "tool.poetry.dependencies",
                f"{path} [tool.poetry.dependencies]",
                None,
                main=True,
            )
    if "dev-dependencies" in poetry:
        add(
            poetry["dev-dependencies"],
            "tool.poetry.dev-dependencies",
            f"{path} [tool.poetry.dev-dependencies]",
            "dev",
        )
    for group, body in sorted((poetry.get("group") or {}).items()):
        header = f"tool.poetry.group.{group}.dependencies"
        add((body or {}).get("dependencies", {}), header, f"{path} [{header}]", hint_for(group))
    return entries, findings
