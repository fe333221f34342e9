"""What the wheelhouse is made of: its sets, keys, manifests, statuses and the report of a build."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from pathlib import Path

from dockyard.layout import (
    WHEELHOUSE_DIR,
    WHEELHOUSE_MANIFEST,
)

DIRNAME = WHEELHOUSE_DIR
MANIFEST = WHEELHOUSE_MANIFEST
SCHEMA = 1
#: Part of every key: bump it when the builder changes in a way that changes the wheels.
RECIPE = 1
#: The wheel builder's context, Dockerfile and export area, inside the state directory.
BUILD_DIR = "wheelhouse-build"
EXPORT_DIR = "wheelhouse-export"
EXPORT_STAGE = "wheelhouse"
#: 1980-01-01, the earliest time a zip can hold: wheels built from sdists get the same bytes each time.
SOURCE_DATE_EPOCH = 315532800
GITIGNORE = "# dockyard's wheelhouse: built by `dockyard wheels` from the locks; not for git.\n*\n"
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0",)  # PEP 517's fallback for a [build-system] without it

_HASH = re.compile(r"--hash[=\s]+sha256:([0-9a-fA-F]{64})")
_NAME = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)")


class Origin(enum.StrEnum):
    """Where a wheel in a set came from."""

    LOCK = "lock"  # downloaded: the lock lists its hash
    BUILT = "built"  # built here from an sdist the lock lists; its hash is added to the wheelhouse lock
    UNHASHED = "unhashed"  # a set without hashes (installer, build-system)


class State(enum.StrEnum):
    UP_TO_DATE = "up to date"
    MISSING = "missing"
    STALE = "stale"


@dataclass(frozen=True, kw_only=True)
class WheelSet:
    """One directory of the wheelhouse and the requirements it is built from."""

    name: str
    data: bytes  # the requirements given to ``pip wheel``, as the file is on disk
    source: str  # where they come from, e.g. requirements/ml.txt
    hashed: bool  # a lock with --hash lines: pip checks them and a wheelhouse lock is written

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @property
    def input_name(self) -> str:
        return f"{self.name}.txt"


@dataclass(frozen=True, kw_only=True)
class BaseImage:
    ref: str
    id: str
    platform: str  # os/architecture[/variant]


@dataclass(frozen=True, kw_only=True)
class Wheel:
    file: str
    sha256: str
    origin: Origin


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """``<set>/wheelhouse.json``: what a set was built from, and what it holds."""

    set: str
    key: str
    source: str
    source_sha256: str
    base_image: str
    base_image_id: str
    platform: str
    wheels: tuple[Wheel, ...]
    schema: int = SCHEMA

    def to_json(self) -> str:
        data = {
            "schema": self.schema,
            "set": self.set,
            "key": self.key,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "base_image": self.base_image,
            "base_image_id": self.base_image_id,
            "platform": self.platform,
            "wheels": [{"file": w.file, "sha256": w.sha256, "origin": str(w.origin)} for w in self.wheels],
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest | None:
        """The manifest, or None when it is unreadable or of another schema (then the set is rebuilt)."""
        try:
            data = json.loads(text)
            if data.get("schema") != SCHEMA:
                return None
            wheels = tuple(
                Wheel(file=str(w["file"]), sha256=str(w["sha256"]), origin=Origin(w["origin"]))
                for w in data["wheels"]
            )
            return cls(
                set=str(data["set"]),
                key=str(data["key"]),
                source=str(data["source"]),
                source_sha256=str(data["source_sha256"]),
                base_image=str(data["base_image"]),
                base_image_id=str(data["base_image_id"]),
                platform=str(data["platform"]),
                wheels=wheels,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    @property
    def built(self) -> tuple[str, ...]:
        return tuple(w.file for w in self.wheels if w.origin is Origin.BUILT)


@dataclass(frozen=True, kw_only=True)
class SetStatus:
    set: WheelSet
    state: State
    reason: str
    manifest: Manifest | None = None


@dataclass(frozen=True, kw_only=True)
class Status:
    directory: Path
    image: BaseImage | None
    sets: tuple[SetStatus, ...]
    #: the platform this wheelhouse is for (None: unknown until the base image is there)
    platform: str | None = None

    @property
    def up_to_date(self) -> bool:
        return all(s.state is State.UP_TO_DATE for s in self.sets)

    @property
    def stale(self) -> tuple[WheelSet, ...]:
        return tuple(s.set for s in self.sets if s.state is not State.UP_TO_DATE)

    def rows(self) -> list[tuple[str, str, str]]:
        return [
            (s.set.name, s.set.source, f"{s.state}: {s.reason}" if s.reason else str(s.state))
            for s in self.sets
        ]


@dataclass(frozen=True, kw_only=True)
class Report:
    before: Status
    after: Status
    built: tuple[Manifest, ...]
    seconds: float
    log_path: Path | None

    def rows(self) -> list[tuple[str, str, str]]:
        """One row per set: reused, or built (how many wheels, how many from sdists) and why."""
        built = {m.set: m for m in self.built}
        table = []
        for before in self.before.sets:
            manifest = built.get(before.set.name)
            if manifest is None:
                count = len(before.manifest.wheels) if before.manifest else 0
                what = f"reused {count}"
            else:
                sdists = f", {len(manifest.built)} from sdists" if manifest.built else ""
                why = before.reason or ("--force" if before.state is State.UP_TO_DATE else before.state)
                what = f"built {len(manifest.wheels)}{sdists} ({why})"
            table.append((before.set.name, before.set.source, what))
        return table
