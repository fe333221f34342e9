"""Accept a recommendation in one step: set one key of ``[tool.dockyard]`` in the project's
``pyproject.toml``, the cascade's place for a project's settings. The edit is one line; everything else
in the file stays byte for byte, and the result is checked by reading it back as TOML.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.atomic import atomic_write_bytes, deferred_interrupts
from dockyard.errors import ConfigError, InputError, WriteRefused

PYPROJECT = "pyproject.toml"
_HEADER = re.compile(r"^\s*\[\s*tool\s*\.\s*dockyard\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True, kw_only=True)
class SettingEdit:
    path: Path
    key: str
    value: str
    old_text: str | None  # None: no pyproject.toml yet
    new_text: str

    @property
    def changes(self) -> bool:
        return self.old_text != self.new_text

    @property
    def line(self) -> str:
        return f"{self.key} = {json.dumps(self.value)}"

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                (self.old_text or "").splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"a/{PYPROJECT}",
                tofile=f"b/{PYPROJECT}",
            )
        )


def _table(text: str, path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"cannot read TOML: {exc}", path=str(path)) from exc
    tool = data.get("tool", {})
    table = tool.get("dockyard", {}) if isinstance(tool, dict) else {}
    return table if isinstance(table, dict) else {}


def set_key(text: str, key: str, value: str, *, path: Path = Path(PYPROJECT)) -> str:
    """``text`` with ``key = "value"`` in its ``[tool.dockyard]`` table: the key's line replaced, or
    added at the end of the table, or the table appended. Refused (with the line to add by hand)
    when the table is written in a form one line cannot change (dotted keys, an inline table)."""
    line = f"{key} = {json.dumps(value)}"
    before = tomllib.loads(text) if text.strip() else {}
    _table(text, path)
    lines = text.splitlines(keepends=True)
    start = next((i for i, raw in enumerate(lines) if _HEADER.match(raw)), None)
    if start is None:
        if "dockyard" in before.get("tool", {}):
            raise ConfigError(
                f"{path}: [tool.dockyard] is not written as a table header, so dockyard does not edit it",
                hint=f"add `{line}` to [tool.dockyard] by hand",
            )
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        new = f"{text}{sep}[tool.dockyard]\n{line}\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
        names = (key, key.replace("_", "-"))
        pattern = re.compile(r"^(\s*)(" + "|".join(re.escape(n) for n in names) + r")\s*=")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is not None:
            indent = pattern.match(lines[found]).group(1)  # type: ignore[union-attr]
            lines[found] = f"{indent}{line}\n"
        else:
            last = max((i for i in range(start, end) if lines[i].strip()), default=start)
            if not lines[last].endswith("\n"):
                lines[last] += "\n"
            lines.insert(last + 1, line + "\n")
        new = "".join(lines)
    after = tomllib.loads(new)
    if after.get("tool", {}).get("dockyard", {}).get(key) != value or _without(after, key) != _without(
        before, key
    ):
        raise ConfigError(
            f"{path}: changing one line did not give the expected TOML, so dockyard leaves the file alone",
            hint=f"add `{line}` to [tool.dockyard] by hand",
        )
    return new


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(data, default=str))
    table = copy.get("tool", {}).get("dockyard", {})
    for name in (key, key.replace("_", "-")):
        table.pop(name, None)
    if "tool" in copy and "dockyard" in copy["tool"] and not table:
        del copy["tool"]["dockyard"]
    if "tool" in copy and not copy["tool"]:
        del copy["tool"]
    return dict(copy)


def plan(project: Path, key: str, value: str) -> SettingEdit:
    path = project / PYPROJECT
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    return SettingEdit(path=path, key=key, value=value, old_text=old, new_text=set_key(old or "", key, value))


def apply(edit: SettingEdit) -> None:
    """Write the edit atomically; refused, writing nothing, when the file changed since it was read."""
    with deferred_interrupts():
        now = edit.path.read_text(encoding="utf-8") if edit.path.is_file() else None
        if now != edit.old_text:
            raise WriteRefused(
                f"{edit.path} changed since dockyard read it; nothing was written", hint="run the task again"
            )
        if edit.changes:
            atomic_write_bytes(edit.path, edit.new_text.encode("utf-8"))
