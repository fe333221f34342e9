"""Read a ``Pipfile``: ``[packages]`` (runtime), ``[dev-packages]`` (dev), other categories by their name.

Values are ``"*"``, a PEP 440 specifier, or a table with ``version``, ``extras``, ``markers``,
``git``/``ref``, ``path``, ``file`` and ``editable``; each becomes a PEP 508 :class:`Entry`.
``[[source]]`` URLs become
index options, ``[requires] python_version`` a requires-python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import InputError
from dockyard.requirements import tomlfile
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.model import Entry, Finding, Group, Option, Origin
from dockyard.requirements.pep508 import KeyLocator, entry_from_pep508

PIPFILE = "Pipfile"
_NOT_CATEGORIES = frozenset({"source", "requires", "scripts", "pipenv", "pipfile"})


@dataclass(frozen=True, kw_only=True)
class PipfileRead:
    entries: tuple[Entry, ...] = ()
    options: tuple[Option, ...] = ()
    findings: tuple[Finding, ...] = ()
    requires_python: str | None = None
    present: bool = False


def requirement(name: str, spec: str | Mapping[str, Any]) -> str:
    """One Pipfile value as PEP 508 text (an editable path is read as a plain path)."""
    if isinstance(spec, str):
        return name if spec.strip() in ("*", "") else f"{name}{spec}"
    extras = spec.get("extras") or []
    head = f"{name}[{','.join(extras)}]" if extras else name
    if "git" in spec:
        text = f"{head} @ git+{spec['git']}" + (f"@{spec['ref']}" if spec.get("ref") else "")
    elif "path" in spec or "file" in spec:
        target = str(spec.get("path") or spec.get("file"))
        text = f"{head} @ {target}" if "://" in target else f"{head} @ file:{target}"
    else:
        version = str(spec.get("version", "*")).strip()
        text = head if version in ("*", "") else f"{head}{version}"
    if spec.get("markers"):
        text += f" ; {spec['markers']}"
    return text


def read_pipfile(root: Path, shown: str = PIPFILE) -> PipfileRead:
    path = root / PIPFILE
    if not path.exists():
        return PipfileRead()
    data = tomlfile.load(path, shown)
    where = KeyLocator(path.read_text(encoding="utf-8", errors="replace"))
    entries: list[Entry] = []
    for category, table in data.items():
        if category in _NOT_CATEGORIES or not isinstance(table, dict):
            continue
        hint: Group | None = "dev" if category == "dev-packages" else hint_for(category)
        start = where.section(category)
        for name, spec in table.items():
            if not isinstance(spec, (str, dict)):
                raise InputError(f"[{category}] {name}: {spec!r} is neither a string nor a table", path=shown)
            origin = Origin(path=shown, line=where.key_line(name, start))
            source = f"{shown} [{category}]"
            entries.append(
                entry_from_pep508(requirement(name, spec), origin=origin, source=source, hint=hint)
            )
    options: list[Option] = []
    sources = [s for s in data.get("source", []) if isinstance(s, dict) and isinstance(s.get("url"), str)]
    for index, src in enumerate(sources):
        origin = Origin(path=shown, line=where.line_of(src["url"], 0))
        flag = "--index-url" if index == 0 else "--extra-index-url"
        options.append(Option(flag=flag, value=src["url"], origin=origin, source=f"{shown} [packages]"))
    requires = data.get("requires", {})
    python = requires.get("python_full_version") or requires.get("python_version")
    return PipfileRead(
        entries=tuple(entries),
        options=tuple(options),
        requires_python=f"=={python}.*"
        if isinstance(python, str) and python.count(".") == 1
        else (f"=={python}" if isinstance(python, str) else None),
        present=True,
    )
