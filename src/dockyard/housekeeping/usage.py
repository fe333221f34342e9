"""What Docker and dockyard hold on disk, parsed from ``docker system df -v`` JSON.

Images dockyard made are told apart by their tags (see :data:`DOCKYARD_TAGS`). The build cache is
the daemon's, or, with a named buildx builder, that builder's (``docker buildx du --verbose``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dockyard import process
from dockyard.errors import CommandFailed

#: Tags of the images dockyard builds: the benchmark's variants, phase 2's and the tests'.
DOCKYARD_TAGS = ("dockyard-bench/*", "*:dockyard", "dockyard-*")
_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(?P<num>[0-9.]+)\s*(?P<unit>[a-zA-Z]*)\s*$")


def parse_size(text: str) -> int:
    """Docker's human sizes (``191.1MB``, ``0B``, ``1.2kB``; decimal units) in bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    unit = (match.group("unit") or "b").lower()
    if unit not in _UNITS:
        raise ValueError(f"unknown size unit in {text!r}")
    return int(float(match.group("num")) * _UNITS[unit])


def parse_time(text: str) -> datetime | None:
    """``2026-12-03 01:50:30 +0000 UTC`` (the CLI's Go time format) as an aware datetime."""
    if not text:
        return None
    head = " ".join(text.split()[:3])
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(re.sub(r"\.\d+", "", head), fmt)
        except ValueError:
            continue
    return None


@dataclass(frozen=True, kw_only=True)
class ImageUse:
    id: str
    ref: str  # repository:tag, or "<none>:<none>" for a dangling image
    size: int  # unique to this image (what removing it frees)
    created: datetime | None
    containers: int

    @property
    def dangling(self) -> bool:
        return self.ref.startswith("<none>")

    def matches(self, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(self.ref, p) for p in patterns)

    @property
    def made_by_dockyard(self) -> bool:
        return self.matches(DOCKYARD_TAGS)


@dataclass(frozen=True, kw_only=True)
class CacheRecord:
    id: str
    kind: str
    description: str
    size: int
    last_used: datetime | None
    in_use: bool
    shared: bool


@dataclass(frozen=True, kw_only=True)
class VolumeUse:
    name: str
    size: int
    links: int


@dataclass(frozen=True, kw_only=True)
class Usage:
    images: tuple[ImageUse, ...]
    cache: tuple[CacheRecord, ...]
    volumes: tuple[VolumeUse, ...]
    wheelhouse_bytes: int = 0
    logs_bytes: int = 0
    #: whose build cache ``cache`` is: the daemon's, or a named buildx builder's
    cache_of: str = "the daemon (docker system df)"

    @property
    def cache_bytes(self) -> int:
        return sum(r.size for r in self.cache)


def df_argv(docker: str) -> list[str]:
    return [docker, "system", "df", "--verbose", "--format", "{{json .}}"]


def _int(text: object) -> int:
    try:
        return int(str(text))
    except ValueError:
        return 0


def parse_df(text: str) -> Usage:
    """``docker system df -v --format '{{json .}}'``: one JSON object with four lists."""
    data = json.loads(text)
    images = tuple(
        ImageUse(
            id=str(i["ID"]),
            ref=f"{i.get('Repository', '<none>')}:{i.get('Tag', '<none>')}",
            size=parse_size(str(i.get("UniqueSize") or i.get("Size") or "0B")),
            created=parse_time(str(i.get("CreatedAt", ""))),
            containers=_int(i.get("Containers", 0)),
        )
        for i in data.get("Images") or []
    )
    cache = tuple(
        CacheRecord(
            id=str(c["ID"]),
            kind=str(c.get("CacheType", "")),
            description=str(c.get("Description", "")),
            size=parse_size(str(c.get("Size", "0B"))),
            last_used=parse_time(str(c.get("LastUsedAt", "") or c.get("CreatedAt", ""))),
            in_use=str(c.get("InUse", "false")).lower() == "true",
            shared=str(c.get("Shared", "false")).lower() == "true",
        )
        for c in data.get("BuildCache") or []
    )
    volumes = tuple(
        VolumeUse(
            name=str(v["Name"]), size=parse_size(str(v.get("Size", "0B"))), links=_int(v.get("Links", 0))
        )
        for v in data.get("Volumes") or []
    )
    return Usage(images=images, cache=cache, volumes=volumes)


def buildx_du_argv(docker: str, builder: str) -> list[str]:
    return [docker, "buildx", "du", "--builder", builder, "--verbose"]


_AGO = re.compile(r"^(?:about )?(an?|\d+|less than a) (second|minute|hour|day|week|month|year)s? ago$")
_UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}


def parse_ago(text: str) -> timedelta | None:
    """Go's ``units.HumanDuration`` + " ago": ``17 seconds ago``, ``About a minute ago``, ``3 hours ago``."""
    match = _AGO.match(text.strip().lower())
    if not match:
        return None
    count = {"a": 1, "an": 1, "less than a": 0}.get(match.group(1))
    number = count if count is not None else int(match.group(1))
    return timedelta(seconds=number * _UNIT_SECONDS[match.group(2)])


def parse_buildx_du(text: str, *, now: datetime) -> tuple[CacheRecord, ...]:
    """``docker buildx du --verbose`` (buildx has no JSON for it before 0.19): blank-line separated
    records of ``Key:<tab>value``; a description may run over several lines; totals at the end."""
    records: list[CacheRecord] = []
    fields: dict[str, str] = {}
    last = ""

    def flush() -> None:
        if "ID" not in fields:
            return
        ago = parse_ago(fields.get("Last used", ""))
        records.append(
            CacheRecord(
                id=fields["ID"],
                kind=fields.get("Type", ""),
                description=fields.get("Description", ""),
                size=parse_size(fields.get("Size", "0B")),
                last_used=now - ago if ago is not None else parse_time(fields.get("Created at", "")),
                in_use=fields.get("Reclaimable", "true").lower() == "false",
                shared=fields.get("Shared", "false").lower() == "true",
            )
        )

    for line in text.splitlines():
        key, sep, value = line.partition(":\t")
        if sep and key in _DU_KEYS:
            if key == "ID":
                flush()
                fields = {}
            fields[key], last = value.strip(), key
        elif last == "Description" and line.strip():
            fields["Description"] += "\n" + line
    flush()
    return tuple(records)


_DU_KEYS = frozenset(
    {"ID", "Parent", "Created at", "Mutable", "Reclaimable", "Shared", "Size", "Description", "Usage count"}
    | {"Last used", "Type"}
)


def tree_bytes(path: Path) -> int:
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def measure(docker: str, *, wheelhouse: Path, logs: Path, builder: str | None = None) -> Usage:
    """Images, volumes and build cache; with ``builder`` (a buildx builder), that builder's cache."""
    result = process.run(df_argv(docker), echo=False)
    try:
        usage = parse_df(result.stdout)
    except (ValueError, KeyError) as exc:
        raise CommandFailed(
            df_argv(docker), 0, result.stdout[-500:], message=f"cannot read `docker system df` ({exc})"
        ) from exc
    cache, cache_of = usage.cache, usage.cache_of
    if builder is not None:
        listed = process.run(buildx_du_argv(docker, builder), echo=False)
        cache = parse_buildx_du(listed.stdout, now=now())
        cache_of = f"buildx builder {builder} (buildx du)"
    return Usage(
        images=usage.images,
        cache=cache,
        cache_of=cache_of,
        volumes=usage.volumes,
        wheelhouse_bytes=tree_bytes(wheelhouse),
        logs_bytes=tree_bytes(logs),
    )


def now() -> datetime:
    return datetime.now(UTC)
