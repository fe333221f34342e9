"""Prune by policy: which images and build-cache records go, computed as data before anything runs.

Images: only those dockyard made (or that ``also`` names explicitly), never one a ``keep`` pattern
matches, never one a container uses. Build cache: records unused for ``older_than``, then the least
recently used until ``keep_storage`` remains; each removed by its id, so nothing else goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dockyard.errors import ConfigError
from dockyard.housekeeping.usage import CacheRecord, ImageUse, Usage, parse_size

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")


def parse_duration(text: str) -> timedelta:
    """``7d``, ``72h``, ``1h30m``, ``0s``: Docker's ``until`` style, with days added."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match:
        raise ConfigError(f"not a duration: {text!r}", hint="use e.g. 7d, 72h, 1h30m or 0s")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )


@dataclass(frozen=True, kw_only=True)
class Policy:
    older_than: timedelta | None = None  # only what was last used (images: created) before now - this
    keep_storage: int | None = None  # build cache: keep this many bytes, least recently used go first
    keep: tuple[str, ...] = ()  # image ref patterns (fnmatch) never removed
    also: tuple[str, ...] = ()  # image ref patterns of images dockyard did not make, removed too
    only: tuple[str, ...] = ()  # when given, images outside these patterns are left alone
    images: bool = True
    cache: bool = True

    @classmethod
    def parse(
        cls,
        *,
        older_than: str | None = None,
        keep_storage: str | None = None,
        keep: Sequence[str] = (),
        also: Sequence[str] = (),
        only: Sequence[str] = (),
        images: bool = True,
        cache: bool = True,
    ) -> Policy:
        try:
            storage = parse_size(keep_storage) if keep_storage else None
        except ValueError as exc:
            raise ConfigError(f"--keep-storage: {exc}", hint="use e.g. 10GB or 500MB") from exc
        return cls(
            older_than=parse_duration(older_than) if older_than else None,
            keep_storage=storage,
            keep=tuple(keep),
            also=tuple(also),
            only=tuple(only),
            images=images,
            cache=cache,
        )


@dataclass(frozen=True, kw_only=True)
class Kept:
    what: str
    why: str


@dataclass(frozen=True, kw_only=True)
class PrunePlan:
    images: tuple[ImageUse, ...]
    records: tuple[CacheRecord, ...]
    kept: tuple[Kept, ...]

    @property
    def image_bytes(self) -> int:
        return sum(i.size for i in self.images)

    @property
    def cache_bytes(self) -> int:
        return sum(r.size for r in self.records)


def _old(moment: datetime | None, cutoff: datetime | None) -> bool:
    return cutoff is None or (moment is not None and moment < cutoff)


def plan(usage: Usage, policy: Policy, *, now: datetime) -> PrunePlan:
    cutoff = now - policy.older_than if policy.older_than is not None else None
    images: list[ImageUse] = []
    kept: list[Kept] = []
    for image in usage.images if policy.images else ():
        if not (image.made_by_dockyard or image.matches(policy.also)):
            continue  # not ours and not asked for: never even listed as a candidate
        if policy.only and not image.matches(policy.only):
            continue  # not ours and not asked for: never even listed as a candidate
        if image.matches(policy.keep):
            kept.append(Kept(what=image.ref, why="a --keep pattern matches it"))
        elif image.containers:
            kept.append(Kept(what=image.ref, why=f"{image.containers} container(s) use it"))
        elif not _old(image.created, cutoff):
            kept.append(Kept(what=image.ref, why="newer than --older-than"))
        else:
            images.append(image)
    records = _cache_records(usage.cache, policy, cutoff) if policy.cache else []
    return PrunePlan(images=tuple(images), records=tuple(records), kept=tuple(kept))


def _cache_records(
    cache: Sequence[CacheRecord], policy: Policy, cutoff: datetime | None
) -> list[CacheRecord]:
    idle = [r for r in cache if not r.in_use]
    if policy.older_than is None and policy.keep_storage is None:
        return idle
    chosen = [r for r in idle if policy.older_than is not None and _old(r.last_used, cutoff)]
    if policy.keep_storage is not None:
        total = sum(r.size for r in cache) - sum(r.size for r in chosen)
        oldest_first = sorted((r for r in idle if r not in chosen), key=lambda r: r.last_used or datetime.min)
        for record in oldest_first:
            if total <= policy.keep_storage:
                break
            chosen.append(record)
            total -= record.size
    return chosen


def remove_image_argv(docker: str, image: ImageUse) -> list[str]:
    """By reference when tagged (removes that tag only), by id when dangling; never ``--force``."""
    return [docker, "image", "rm", image.id if image.dangling else image.ref]


def prune_record_argv(docker: str, record: CacheRecord, *, builder: str | None = None) -> list[str]:
    """Remove one build-cache record. One per command: the daemon refuses a second ``id`` filter
    ("filters expect only one value"), and no other filter selects exactly the records a policy chose."""
    head = [docker, "buildx", "prune", "--builder", builder] if builder else [docker, "builder", "prune"]
    return [*head, "--all", "--force", "--filter", f"id={record.id}"]
