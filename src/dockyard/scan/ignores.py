"""The scan's ignore file: each entry names a finding, says why, and expires.

An expired entry stops ignoring and the report says so, so an accepted risk is looked at again.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import InputError
from dockyard.scan.model import Finding

FILENAME = ".dockyard-scan-ignore.toml"
EXAMPLE = """[[ignore]]
id = "PYSEC-2021-142"            # a rule or advisory id (an alias such as a CVE id matches too)
path = "requirements/base.txt"   # optional: only findings in this file
reason = "we never load untrusted YAML; upgrade planned in JIRA-123"
expires = 2027-01-31
"""


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: str
    reason: str
    expires: dt.date
    path: str | None = None
    tool: str | None = None

    def matches(self, finding: Finding) -> bool:
        ids = {finding.code, *finding.aliases}
        return (
            self.id in ids
            and (self.path is None or self.path == finding.file)
            and (self.tool is None or self.tool == finding.tool)
        )

    def expired(self, today: dt.date) -> bool:
        return self.expires < today


@dataclass(frozen=True)
class Applied:
    kept: tuple[Finding, ...]  # what still counts, expired entries' findings included
    ignored: tuple[tuple[Finding, Entry], ...]
    notes: tuple[str, ...]  # expired and unused entries


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{where}: `expires` must be a date such as 2027-01-31, not {value!r}")


def parse(text: str, *, source: str = FILENAME) -> tuple[Entry, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"cannot be read as TOML ({exc})", path=source) from exc
    unknown = set(data) - {"ignore"}
    if unknown:
        raise InputError(f"unknown table(s) {', '.join(sorted(unknown))}", path=source, hint=EXAMPLE)
    entries = []
    for number, raw in enumerate(data.get("ignore") or [], start=1):
        where = f"{source}: [[ignore]] #{number}"
        extra = set(raw) - {"id", "reason", "expires", "path", "tool"}
        if extra:
            raise InputError(f"{where}: unknown key(s) {', '.join(sorted(extra))}", hint=EXAMPLE)
        for key in ("id", "reason", "expires"):
            if not raw.get(key) or (isinstance(raw[key], str) and not raw[key].strip()):
                raise InputError(
                    f"{where}: `{key}` is required: every ignore needs a reason and an expiry date",
                    hint=EXAMPLE,
                )
        entries.append(
            Entry(
                id=str(raw["id"]),
                reason=str(raw["reason"]).strip(),
                expires=_date(raw["expires"], where),
                path=str(raw["path"]) if raw.get("path") else None,
                tool=str(raw["tool"]) if raw.get("tool") else None,
            )
        )
    return tuple(entries)


def load(path: Path) -> tuple[Entry, ...]:
    return parse(path.read_text(encoding="utf-8"), source=str(path)) if path.is_file() else ()


def apply(findings: Iterable[Finding], entries: Sequence[Entry], *, today: dt.date) -> Applied:
    kept: list[Finding] = []
    ignored: list[tuple[Finding, Entry]] = []
    used: set[int] = set()
    expired_hit: set[int] = set()
    for finding in findings:
        match = next((i for i, e in enumerate(entries) if e.matches(finding)), None)
        if match is None:
            kept.append(finding)
        elif entries[match].expired(today):
            expired_hit.add(match)
            kept.append(finding)
        else:
            used.add(match)
            ignored.append((finding, entries[match]))
    notes = [
        f"ignore entry for {entries[i].id} expired on {entries[i].expires.isoformat()}: "
        f"it no longer ignores (reason was: {entries[i].reason})"
        for i in sorted(expired_hit)
    ]
    notes += [
        f"ignore entry for {e.id} matched no finding; remove it"
        for i, e in enumerate(entries)
        if i not in used and i not in expired_hit and not e.expired(today)
    ]
    notes += [
        f"ignore entry for {e.id} expired on {e.expires.isoformat()} and matched nothing; remove it"
        for i, e in enumerate(entries)
        if i not in expired_hit and e.expired(today)
    ]
    return Applied(tuple(kept), tuple(ignored), tuple(notes))
