"""The catalogue of well-known distributions (package data ``data/catalogue.toml``).

It answers three questions: which group a distribution belongs to when nothing else says so, which
distributions provide an import name, and which runtime dependencies are used without an import.
"""

from __future__ import annotations

import functools
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from dockyard.errors import InputError
from dockyard.requirements.model import GROUPS, Group, normalize

SCHEMA = 1

#: Words in a requirements file name, an optional-dependency extra or a dependency group that say which
#: group its entries are for ("requirements-dev.txt", extra "tests", group "lint").
HINT_WORDS: Mapping[str, Group] = types.MappingProxyType(
    {
        **dict.fromkeys(("test", "tests", "testing", "pytest", "ci"), "test"),
        **dict.fromkeys(
            (
                "dev",
                "develop",
                "development",
                "lint",
                "linting",
                "linters",
                "typing",
                "types",
                "mypy",
                "docs",
                "doc",
                "documentation",
                "style",
                "format",
                "fmt",
                "tools",
                "tooling",
                "local",
                "notebook",
                "notebooks",
                "jupyter",
                "release",
                "build",
            ),
            "dev",
        ),
        **dict.fromkeys(("ml", "ai", "gpu", "cuda", "cpu", "science", "scientific"), "ml"),
    }
)


#: Words that name a file kept for the record: ``requirements_old.txt``, ``requirements.bak.txt``.
STALE_WORDS = frozenset(
    {"old", "bak", "backup", "orig", "legacy", "deprecated", "unused", "copy", "prev", "previous", "archive"}
)


def _words(label: str) -> list[str]:
    """The words of a source name: "requirements-dev.txt" -> ["dev"], "requirements_old.txt" -> ["old"]."""
    stem = label.lower().removesuffix(".txt").removesuffix(".in")
    return [
        w for w in re.split(r"[^a-z0-9]+", stem) if w and w not in {"requirements", "requirement", "reqs"}
    ]


def stale_word(label: str) -> str | None:
    """The word that marks a requirements file as a stale copy ("requirements_old.txt" -> "old")."""
    return next((w for w in _words(label) if w in STALE_WORDS), None)


def hint_for(label: str) -> Group | None:
    """The group a source name suggests: "requirements-dev.txt" -> dev, "tests" -> test, "prod" -> None."""
    for word in _words(label):
        if word in HINT_WORDS:
            return HINT_WORDS[word]
    return None


@dataclass(frozen=True, kw_only=True)
class Catalogue:
    groups: Mapping[str, Group]
    prefixes: tuple[tuple[str, Group], ...]
    suffixes: tuple[tuple[str, Group], ...]
    imports: Mapping[str, tuple[str, ...]]
    no_import: Mapping[str, str]

    def group(self, name: str) -> Group | None:
        """The catalogue's group for a distribution, or None when it does not know the name."""
        key = normalize(name)
        if key in self.groups:
            return self.groups[key]
        for prefix, group in self.prefixes:
            if key.startswith(prefix):
                return group
        for suffix, group in self.suffixes:
            if key.endswith(suffix):
                return group
        return None

    def distributions(self, module: str) -> tuple[str, ...]:
        """Distributions that may provide ``module``, most specific first.

        A catalogued import name (or dotted prefix) wins; otherwise each dotted prefix in normalized
        form, longest first, so ``google.cloud.storage`` may come from ``google-cloud-storage``.
        """
        parts = module.split(".")
        found: list[str] = []
        for size in range(len(parts), 0, -1):
            prefix = ".".join(parts[:size])
            if prefix in self.imports:
                found.extend(self.imports[prefix])
                break
        for size in range(len(parts), 0, -1):
            found.append(normalize("-".join(parts[:size])))
        return tuple(dict.fromkeys(found))


def _group(value: object, where: str) -> Group:
    if value not in GROUPS:
        raise InputError(f"{where}: group must be one of {', '.join(GROUPS)}, not {value!r}")
    return value


def parse(text: str, source: str = "catalogue.toml") -> Catalogue:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"cannot be read as TOML ({exc})", path=source) from exc
    if data.get("schema") != SCHEMA:
        raise InputError(f"catalogue schema {data.get('schema')!r} is not {SCHEMA}", path=source)
    groups: dict[str, Group] = {}
    for group, names in data.get("groups", {}).items():
        for name in names:
            groups[normalize(name)] = _group(group, source)
    return Catalogue(
        groups=types.MappingProxyType(groups),
        prefixes=tuple((p, _group(g, source)) for p, g in data.get("prefixes", {}).items()),
        suffixes=tuple((s, _group(g, source)) for s, g in data.get("suffixes", {}).items()),
        imports=types.MappingProxyType(
            {k: tuple(normalize(d) for d in v) for k, v in data.get("imports", {}).items()}
        ),
        no_import=types.MappingProxyType(
            {normalize(k): str(v) for k, v in data.get("no_import", {}).items()}
        ),
    )


@functools.cache
def default() -> Catalogue:
    """The catalogue shipped with dockyard."""
    resource = resources.files("dockyard").joinpath("data", "catalogue.toml")
    return parse(resource.read_text(encoding="utf-8"), str(resource))


def load(path: Path | None = None) -> Catalogue:
    return default() if path is None else parse(path.read_text(encoding="utf-8"), str(path))
