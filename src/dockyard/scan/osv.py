"""OSV advisories for PyPI: read a directory of OSV JSON or PyPA advisory-database YAML records,
and answer "which advisories affect this package at this version" with PEP 440 ranges."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dockyard.errors import InputError

ECOSYSTEM = "PyPI"
SUFFIXES = (".json", ".yaml", ".yml")


def read_record(path: Path) -> dict[str, Any]:
    """One advisory file as a dict (YAML is a superset of JSON, but JSON is read as JSON)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot be read as an OSV record ({exc})", path=str(path)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise InputError("is not an OSV record (no `id`)", path=str(path))
    return normalize(data)


def normalize(record: Mapping[str, Any]) -> dict[str, Any]:
    """Timestamps as strings (YAML reads them as datetimes) and PyPI names in canonical form,
    since clients such as pip-audit compare the affected name with the canonical one."""
    out = json.loads(json.dumps(record, default=str))
    for affected in out.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") == ECOSYSTEM and isinstance(package.get("name"), str):
            package["name"] = canonicalize_name(package["name"])
    return dict(out)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def in_range(version: Version, events: Iterable[Mapping[str, str]]) -> bool:
    """OSV's ECOSYSTEM range rule: walk the events in version order; ``introduced`` opens,
    ``fixed`` closes before itself, ``last_affected`` closes after itself."""
    keyed: list[tuple[tuple[int, Version], str]] = []
    for event in events:
        for kind, raw in event.items():
            if kind == "introduced" and raw == "0":
                keyed.append(((0, Version("0")), kind))
            elif kind in {"introduced", "fixed", "last_affected"}:
                parsed = _version(str(raw))
                if parsed is None:
                    return False  # a range we cannot read matches nothing rather than everything
                keyed.append(((1, parsed), kind))
    affected = False
    for (_, bound), kind in sorted(keyed, key=lambda item: item[0]):
        if kind == "introduced" and (version >= bound or bound == Version("0")):
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def affects(record: Mapping[str, Any], name: str, version: str) -> bool:
    """Whether ``record`` affects PyPI package ``name`` at ``version`` (explicit versions or ranges)."""
    wanted = canonicalize_name(name)
    parsed = _version(version)
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != ECOSYSTEM or canonicalize_name(str(package.get("name"))) != wanted:
            continue
        listed = {str(v) for v in affected.get("versions") or []}
        if version in listed or (parsed is not None and any(_version(v) == parsed for v in listed)):
            return True
        if parsed is None:
            continue
        for range_ in affected.get("ranges") or []:
            if range_.get("type") == "ECOSYSTEM" and in_range(parsed, range_.get("events") or []):
                return True
    return False


def fixed_versions(record: Mapping[str, Any], name: str) -> tuple[str, ...]:
    wanted = canonicalize_name(name)
    found: list[str] = []
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if canonicalize_name(str(package.get("name"))) != wanted:
            continue
        for range_ in affected.get("ranges") or []:
            found += [str(e["fixed"]) for e in range_.get("events") or [] if "fixed" in e]
    return tuple(found)


@dataclass(frozen=True)
class Database:
    """Advisories by id and by package; withdrawn ones are kept apart and never match."""

    records: Mapping[str, dict[str, Any]]
    withdrawn: tuple[str, ...] = ()
    by_package: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[Mapping[str, Any]]) -> Database:
        live: dict[str, dict[str, Any]] = {}
        withdrawn: list[str] = []
        index: dict[str, list[str]] = defaultdict(list)
        for raw in records:
            record = normalize(raw)
            if record.get("withdrawn"):
                withdrawn.append(record["id"])
                continue
            live[record["id"]] = record
            for affected in record.get("affected") or []:
                package = affected.get("package") or {}
                if package.get("ecosystem") == ECOSYSTEM:
                    index[canonicalize_name(str(package.get("name")))].append(record["id"])
        return cls(live, tuple(sorted(withdrawn)), {k: tuple(v) for k, v in index.items()})

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        ids = self.by_package.get(canonicalize_name(name), ())
        return [self.records[i] for i in ids if affects(self.records[i], name, version)]

    def get(self, advisory_id: str) -> dict[str, Any] | None:
        return self.records.get(advisory_id)


def load(directory: Path) -> Database:
    """Every ``*.json``/``*.yaml`` record under ``directory`` (the PyPA layout is vulns/<pkg>/ID.yaml)."""
    if not directory.is_dir():
        raise InputError(
            "advisory directory not found", path=str(directory), hint="pass --advisories DIR (OSV records)"
        )
    paths = sorted(p for p in directory.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return Database.of(read_record(p) for p in paths)


def severity(record: Mapping[str, Any]) -> str | None:
    """A dockyard level from the record's ``database_specific.severity`` (GitHub's words), or None:
    PyPA records carry no severity."""
    words = {"LOW": "low", "MODERATE": "medium", "MEDIUM": "medium", "HIGH": "high", "CRITICAL": "critical"}
    specific = record.get("database_specific") or {}
    word = str(specific.get("severity", "")).upper() if isinstance(specific, Mapping) else ""
    return words.get(word)
