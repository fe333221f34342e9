"""The data that flows through the requirements phase: declared entries, placements, findings.

Everything here is a frozen value. Reading (:mod:`.parse`) produces a :class:`Declared`, classifying
(:mod:`.classify`) a :class:`Classification`, the import check (:mod:`.imports`) a corrected
classification plus :class:`Finding` notes, and splitting (:mod:`.split`) a :class:`SplitPlan` of texts.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name

Group = Literal["base", "ml", "test", "dev"]

#: The four sets, in install order. They are resolved together, once; each package goes to the earliest
#: set that needs it.
GROUPS: tuple[Group, ...] = ("base", "ml", "test", "dev")
RUNTIME_GROUPS: frozenset[Group] = frozenset({"base", "ml"})

Kind = Literal["index", "url", "vcs", "editable", "local"]
Level = Literal["info", "warning", "error"]

EMPTY: Mapping[str, str] = types.MappingProxyType({})


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return str(canonicalize_name(name))


def layer(group: Group) -> int:
    return GROUPS.index(group)


@dataclass(frozen=True, kw_only=True, order=True)
class Origin:
    """Where something was declared: a project-relative path and, when known, a 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One direct dependency as the project declares it."""

    name: str | None  # PEP 503 normalized; None for an unnamed path or URL
    text: str  # the requirement as it goes into an .in file (hashes removed)
    kind: Kind
    origin: Origin
    source: str  # the top-level source it was reached from: a requirements file or a pyproject table
    hint: Group | None = None  # the group the source's name suggests (requirements-dev.txt -> dev)
    note: str = ""  # what was changed on reading (an editable VCS line is read non-editable)
    extra: str | None = None  # the project's own extra it belongs to: installed only when asked for

    @property
    def key(self) -> str:
        return self.name if self.name is not None else self.text

    @property
    def hashable(self) -> bool:
        """Whether a lock can pin it with hashes (editable installs, VCS and local paths cannot)."""
        return self.kind in ("index", "url")


@dataclass(frozen=True, kw_only=True)
class Option:
    """A global pip option from a requirements file, or a ``-c`` constraints file it names."""

    flag: str  # long form: --index-url, --extra-index-url, --find-links, --trusted-host, -c, --pre ...
    value: str | None  # a local path (of -c, --find-links) is project-relative
    origin: Origin
    source: str  # the top-level requirements file whose pip invocation it belongs to


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A note for the user: ``error`` stops the phase, ``warning`` needs a look, ``info`` explains."""

    level: Level
    code: str
    message: str
    package: str | None = None
    origin: Origin | None = None

    def __str__(self) -> str:
        where = f"{self.origin}: " if self.origin else ""
        return f"{self.level}: {where}{self.message}"


@dataclass(frozen=True, kw_only=True)
class Declared:
    """Everything a project declares: entries with their origins, global options, files read."""

    project: Path
    entries: tuple[Entry, ...]
    options: tuple[Option, ...] = ()
    files: tuple[str, ...] = ()
    project_name: str | None = None
    requires_python: str | None = None
    findings: tuple[Finding, ...] = ()
    lock_file: str | None = None  # the project's own lock (uv.lock, poetry.lock, ...), when it has one
    locked: Mapping[str, str] = field(
        default_factory=lambda: types.MappingProxyType({})
    )  # that lock's pins: normalized name -> version
    looked: tuple[str, ...] = ()  # every place dependencies were looked for
    explicit: bool = False  # the project states its dependencies (maybe none) somewhere


@dataclass(frozen=True, kw_only=True)
class Placement:
    """The group one dependency goes to, why, and every line that declares it."""

    key: str  # normalized name, or the requirement text of an unnamed entry
    group: Group
    reason: str
    entries: tuple[Entry, ...]

    @property
    def name(self) -> str | None:
        return self.entries[0].name


@dataclass(frozen=True, kw_only=True)
class Classification:
    placements: tuple[Placement, ...]
    options: tuple[Option, ...] = ()
    overrides: Mapping[str, Group] = field(default_factory=lambda: types.MappingProxyType({}))
    findings: tuple[Finding, ...] = ()

    def group_of(self, name: str) -> Group | None:
        key = normalize(name)
        return next((p.group for p in self.placements if p.key == key), None)

    def in_group(self, group: Group) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if p.group == group)


@dataclass(frozen=True, kw_only=True)
class ImportUse:
    """One import statement: the dotted module and where it is."""

    module: str
    origin: Origin
    optional: bool = False  # inside ``try: ... except ImportError``


@dataclass(frozen=True, kw_only=True)
class ImportScan:
    """The imports of a project's runtime code and of its tests."""

    runtime: tuple[ImportUse, ...]
    test: tuple[ImportUse, ...]
    own: frozenset[str]  # top-level names of the project's own modules and packages
    runtime_files: tuple[str, ...] = ()
    test_files: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Checked:
    """A classification corrected by the import scan, and what the check found."""

    classification: Classification
    findings: tuple[Finding, ...]


@dataclass(frozen=True, kw_only=True)
class SplitPlan:
    """The texts of ``<group>.in`` for each group, in lock order, and notes on lines kept specially."""

    files: Mapping[str, str]
    findings: tuple[Finding, ...] = ()
    private: tuple[str, ...] = ()  # option lines used to resolve, never written (credentials)


@dataclass(frozen=True, kw_only=True)
class Locked:
    """The lock texts (``<group>.txt``), and per group the lines that could not be hash-locked."""

    files: Mapping[str, str]
    unhashed: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: types.MappingProxyType({}))
    findings: tuple[Finding, ...] = ()
