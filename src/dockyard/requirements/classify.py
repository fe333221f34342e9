"""Place each direct dependency in base, ml, test or dev.

Per declaring line, in order of strength: an override from ``[tool.dockyard] classify``; the name of the
source (``requirements-test.txt``, extra ``tests``, group ``lint``) when it says test or dev; the
catalogue; else base. A dev source still sends a catalogued test tool to test (the dev set is installed
on top of test, so it keeps working), and an ``ml`` source does not pull a test or dev tool into ml. A
package declared in several places goes to the lowest of their groups in lock order (base, ml, test,
dev), so every set that needs it can install it. The import check (:mod:`.imports`) corrects this
first guess against the code.
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from dockyard.errors import ConfigError
from dockyard.requirements.catalogue import Catalogue, default
from dockyard.requirements.model import (
    GROUPS,
    Classification,
    Declared,
    Entry,
    Finding,
    Group,
    Placement,
    layer,
    normalize,
)

OVERRIDE_REASON = "override ([tool.dockyard] classify)"


def overrides_from(raw: Mapping[str, str] | None) -> Mapping[str, Group]:
    """Normalize ``[tool.dockyard] classify`` and check every group name."""
    checked: dict[str, Group] = {}
    for name, group in (raw or {}).items():
        if group not in GROUPS:
            raise ConfigError(
                f"[tool.dockyard] classify: {name} = {group!r} is not a group",
                hint=f"use one of {', '.join(GROUPS)}",
            )
        checked[normalize(name)] = group
    return types.MappingProxyType(dict(sorted(checked.items())))


def entry_group(entry: Entry, catalogue: Catalogue) -> tuple[Group, str]:
    """The group one declaring line suggests, and why."""
    known = catalogue.group(entry.name) if entry.name else None
    where = f"declared in {entry.source}"
    if entry.hint == "test":
        return "test", where
    if entry.hint == "dev":
        return ("test", f"catalogue: test tool, {where}") if known == "test" else ("dev", where)
    if entry.hint == "ml" and known not in ("test", "dev"):
        return "ml", where
    if known is not None:
        return known, f"catalogue: {known}"
    return "base", "runtime (not in the catalogue)"


def _unique(entries: list[Entry]) -> tuple[Entry, ...]:
    """One entry per declaring line (a file included by two top-level files is read twice)."""
    seen: dict[tuple[str, str, int], Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.origin.path, e.origin.line or 0, e.text, e.source)):
        seen.setdefault((entry.text, entry.origin.path, entry.origin.line or 0), entry)
    return tuple(seen.values())


def _short(entries: tuple[Entry, ...]) -> str:
    """The first places a package is declared, and how many more: a warning stays one short line."""
    places = [str(e.origin) for e in entries]
    return ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")


def classify(
    declared: Declared, overrides: Mapping[str, str] | None = None, *, catalogue: Catalogue | None = None
) -> Classification:
    """Place every declared dependency; ``overrides`` maps a name to a group and always wins."""
    catalogue = catalogue or default()
    wanted = overrides_from(overrides)
    by_key: dict[str, list[Entry]] = {}
    for entry in declared.entries:
        by_key.setdefault(entry.key, []).append(entry)
    placements: list[Placement] = []
    findings: list[Finding] = []
    for key in sorted(by_key):
        all_entries = by_key[key]
        entries = _unique(all_entries)
        if key in wanted:
            group, reason = wanted[key], OVERRIDE_REASON
        else:
            group, reason = min((entry_group(e, catalogue) for e in all_entries), key=lambda c: layer(c[0]))
        placements.append(Placement(key=key, group=group, reason=reason, entries=entries))
        texts = sorted({e.text for e in entries})
        if len(texts) == 1 and len({str(e.origin) for e in entries}) > 1:
            where = _short(entries)
            findings.append(
                Finding(
                    level="warning",
                    code="declared-twice",
                    package=key,
                    message=f"{key} is declared {len(entries)} times ({where}); one line is kept",
                )
            )
        if len(texts) > 1:
            where = _short(entries)
            findings.append(
                Finding(
                    level="warning",
                    code="declared-differently",
                    package=key,
                    message=f"{key} is declared {len(texts)} ways ({where}); all go to {group}.in, "
                    "so the lock must satisfy each",
                )
            )
    for key in sorted(set(wanted) - set(by_key)):
        findings.append(
            Finding(
                level="warning",
                code="override-unused",
                package=key,
                message=f"[tool.dockyard] classify names {key}, which the project does not declare",
            )
        )
    return Classification(
        placements=tuple(placements), options=declared.options, overrides=wanted, findings=tuple(findings)
    )
