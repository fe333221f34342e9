"""A project's own lock file (uv.lock, poetry.lock, pdm.lock, Pipfile.lock): its pins, read as data.

Where a project has a lock, that lock is the truth: its versions go into the one resolution as
``name==version`` constraints, so every layer keeps them pin for pin (hashes are taken again for the
image's platform). Sources that are not a package index (the project itself, paths, git) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker

from dockyard.errors import InputError
from dockyard.requirements import tomlfile
from dockyard.requirements.model import normalize

#: Lock file -> the tool that writes it, in the order they are looked for.
LOCK_FILES: Mapping[str, str] = {
    "uv.lock": "uv",
    "poetry.lock": "poetry",
    "pdm.lock": "pdm",
    "Pipfile.lock": "pipenv",
}


@dataclass(frozen=True, kw_only=True)
class ProjectLock:
    path: str  # project-relative
    tool: str
    pins: Mapping[str, str] = field(default_factory=dict)  # normalized name -> version
    skipped: tuple[str, ...] = ()  # packages from a path, git or the project itself


def _environment(python_version: str) -> dict[str, str]:
    """The marker environment of the image: Linux x86-64, CPython of the base image's version."""
    return {
        "python_version": ".".join(python_version.split(".")[:2]),
        "python_full_version": python_version if python_version.count(".") >= 2 else f"{python_version}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def _applies(package: Mapping[str, Any], python_version: str | None) -> bool | None:
    """Whether a forked package entry (uv's ``resolution-markers``) is the image's; None: no markers."""
    markers = package.get("resolution-markers")
    if not markers or python_version is None:
        return None
    environment = _environment(python_version)
    try:
        return any(Marker(m).evaluate(environment) for m in markers)
    except InvalidMarker:
        return None


def _toml_packages(
    data: Mapping[str, Any], *, own: str | None, python_version: str | None = None
) -> tuple[dict[str, str], list[str]]:
    pins: dict[str, str] = {}
    skipped: list[str] = []
    forked: set[str] = set()
    chosen: dict[str, str] = {}
    for package in data.get("package", []):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        name = normalize(package["name"])
        source = package.get("source") or {}
        kind = source.get("type") if isinstance(source, dict) else None
        local = isinstance(source, dict) and any(
            k in source for k in ("editable", "virtual", "directory", "path", "git")
        )
        if name == own or local or kind in ("directory", "file", "git", "url") or "version" not in package:
            skipped.append(name)
            continue
        applies = _applies(package, python_version)
        if applies is False:
            continue  # the entry of another Python or platform
        if applies is True:
            chosen[name] = str(package["version"])
        if name in pins and pins[name] != str(package["version"]):
            forked.add(name)  # a fork by markers: versions differ per platform, so none is imposed
        pins[name] = str(package["version"])
    for name in forked - set(chosen):
        del pins[name]
        skipped.append(name)
    pins.update(chosen)
    return pins, skipped


def _pipfile_lock(text: str, shown: str) -> tuple[dict[str, str], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"column {exc.colno}: not valid JSON ({exc.msg})", path=shown, line=exc.lineno
        ) from exc
    pins: dict[str, str] = {}
    skipped: list[str] = []
    for section, packages in data.items():
        if section == "_meta" or not isinstance(packages, dict):
            continue
        for name, spec in packages.items():
            version = spec.get("version", "") if isinstance(spec, dict) else ""
            if version.startswith("=="):
                pins.setdefault(normalize(name), version[2:])
            else:
                skipped.append(normalize(name))
    return pins, skipped


def read_lock(
    directory: Path, *, prefix: str = "", own: str | None = None, python_version: str | None = None
) -> ProjectLock | None:
    """The first lock file found in ``directory``; ``prefix`` makes its path project-relative."""
    for name, tool in LOCK_FILES.items():
        path = directory / name
        if not path.exists():
            continue
        shown = f"{prefix}{name}"
        if tool == "pipenv":
            if path.is_dir():
                raise InputError("is a directory, not a file", path=shown)
            pins, skipped = _pipfile_lock(path.read_text(encoding="utf-8"), shown)
        else:
            pins, skipped = _toml_packages(tomlfile.load(path, shown), own=own, python_version=python_version)
        return ProjectLock(path=shown, tool=tool, pins=pins, skipped=tuple(sorted(set(skipped))))
    return None


def constraints_text(lock: ProjectLock) -> str:
    """The lock's pins as a constraints file for the resolution."""
    lines = [f"# pins of {lock.path} (written by {lock.tool}): the resolution keeps them"]
    lines += [f"{name}=={version}" for name, version in sorted(lock.pins.items())]
    return "\n".join(lines) + "\n"
