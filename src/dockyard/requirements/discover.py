"""What a project declares, wherever it declares it: requirements files, pyproject.toml (PEP 621, PEP 735,
Poetry, PDM, uv), a Pipfile, setup.py/setup.cfg (through the build backend), its own lock file, and
what its original Dockerfile installs (followed to the files it reads, wherever they are).
"""

from __future__ import annotations

import posixpath
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dockyard import dockerfile as dockerfile_model
from dockyard.errors import InputError
from dockyard.requirements.dockerfile_installs import Install, installs, split_extras
from dockyard.requirements.metadata import MetadataReader, entries_from_metadata
from dockyard.requirements.model import Declared, Entry, Finding, Option, Origin, normalize
from dockyard.requirements.pep508 import entry_from_pep508
from dockyard.requirements.pipfile import PIPFILE, read_pipfile
from dockyard.requirements.project_locks import LOCK_FILES, ProjectLock, read_lock
from dockyard.requirements.pyproject import read_pyproject
from dockyard.requirements.requirements_txt import PYPROJECT, REQUIREMENTS_GLOB, read_requirements

DOCKERFILE = "Dockerfile"
SETUP_FILES = ("setup.py", "setup.cfg")
#: What a Dockerfile installs that is tooling, not a dependency of the project.
INSTALLERS = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pdm", "virtualenv", "hatch"})


@dataclass
class _Dir:
    """What one project directory (the root, or one the Dockerfile installs) declares."""

    entries: list[Entry] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    name: str | None = None
    requires_python: str | None = None
    explicit: bool = False
    lock: ProjectLock | None = None


def _prefix(path: str) -> str:
    return "" if path in ("", ".") else path.rstrip("/") + "/"


def _read_dir(
    root: Path, path: str, metadata: MetadataReader | None, looked: list[str], python_version: str | None
) -> _Dir:
    prefix = _prefix(path)
    folder = root / path
    found = _Dir()
    looked += [f"{prefix}{PYPROJECT}", f"{prefix}{PIPFILE}", *(f"{prefix}{s}" for s in SETUP_FILES)]
    py = read_pyproject(folder, f"{prefix}{PYPROJECT}")
    found.entries += py.entries
    found.findings += py.findings
    found.explicit = py.explicit
    if py.data:
        found.files.append(f"{prefix}{PYPROJECT}")
    if isinstance(py.project.get("name"), str):
        found.name = normalize(py.project["name"])
    if isinstance(py.project.get("requires-python"), str):
        found.requires_python = py.project["requires-python"]
    poetry_python = ((py.data.get("tool") or {}).get("poetry") or {}).get("dependencies", {}).get("python")
    if found.requires_python is None and isinstance(poetry_python, str):
        from dockyard.requirements.poetry import translate

        found.requires_python = translate(poetry_python) or None
    pipfile = read_pipfile(folder, f"{prefix}{PIPFILE}")
    if pipfile.present:
        found.files.append(f"{prefix}{PIPFILE}")
        found.entries += pipfile.entries
        found.options += pipfile.options
        found.findings += pipfile.findings
        found.requires_python = found.requires_python or pipfile.requires_python
        found.explicit = True
    setup = [s for s in SETUP_FILES if (folder / s).is_file()]
    if (setup and not py.explicit and not py.project.get("dependencies")) or py.dynamic_dependencies:
        declared_in = f"{prefix}{setup[0] if setup else PYPROJECT}"
        if metadata is None:
            found.findings.append(
                Finding(
                    level="warning",
                    code="metadata-not-read",
                    origin=Origin(path=declared_in),
                    message="the metadata of setup.py, setup.cfg or dynamic dependencies was not read",
                )
            )
        else:
            text = (folder / setup[0]).read_text(encoding="utf-8", errors="replace") if setup else ""
            meta = entries_from_metadata(
                metadata(folder), declared_in=declared_in, declared_text=text, source=declared_in
            )
            found.entries += meta.entries
            found.files.append(declared_in)
            found.name = found.name or meta.name
            found.requires_python = found.requires_python or meta.requires_python
            found.explicit = True
            found.findings.append(
                Finding(
                    level="info",
                    code="metadata-read",
                    origin=Origin(path=declared_in),
                    message=f"read through the build backend's metadata hook: {len(meta.entries)} entries",
                )
            )
    looked += [f"{prefix}{name}" for name in LOCK_FILES]
    found.lock = read_lock(folder, prefix=prefix, own=found.name, python_version=python_version)
    return found


@dataclass
class _ExtrasAsked:
    """The extras of each project directory that the original installs (``pip install '.[server]'``,
    ``-e .[x]`` in a requirements file, ``poetry install -E x``). An extra it does not ask for is not
    installed by it, so it stays out of the runtime layers (its test and dev extras still reach those)."""

    by_dir: dict[str, set[str]] = field(default_factory=dict)
    every: set[str] = field(default_factory=set)  # directories installed with --all-extras
    how: dict[str, str] = field(default_factory=dict)  # the first install of each, as said in a finding

    def add(self, folder: str, install: Install) -> None:
        self.by_dir.setdefault(folder, set()).update(install.extras)
        if install.all_extras:
            self.every.add(folder)
        self.how.setdefault(folder, f"`{install.command}`, {DOCKERFILE}:{install.line}")

    def add_line(self, folder: str, entry: Entry) -> None:
        _, names = split_extras(entry.text.removeprefix("-e ").split(";", 1)[0].strip())
        self.by_dir.setdefault(folder, set()).update(names)
        self.how.setdefault(folder, f"`{entry.text}`, {entry.origin}")

    def keep(self, folder: str, entries: Sequence[Entry], findings: list[Finding]) -> list[Entry]:
        if folder not in self.by_dir or folder in self.every:
            return list(entries)  # not installed by the original, or with every extra: all are declared
        wanted = self.by_dir[folder]
        left: dict[str, list[str]] = {}
        kept = []
        for entry in entries:
            if entry.extra is not None and entry.extra not in wanted and entry.hint is None:
                left.setdefault(entry.extra, []).append(entry.name or entry.text)
                continue
            kept.append(entry)
        for name, packages in sorted(left.items()):
            findings.append(
                Finding(
                    level="info",
                    code="extra-not-installed",
                    message=f"extra {name!r} ({', '.join(sorted(set(packages)))}) is not installed by the "
                    f"original ({self.how[folder]}): left out; ask for it there (`pip install '.[{name}]'`) "
                    "to keep it",
                )
            )
        return kept


def _dockerfile_installs(root: Path, findings: list[Finding]) -> tuple[Install, ...]:
    path = root / DOCKERFILE
    if not path.is_file():
        return ()
    try:
        return installs(dockerfile_model.parse_file(path))
    except InputError as exc:
        findings.append(
            Finding(
                level="warning", code="dockerfile-unread", message=f"{DOCKERFILE}: not read ({exc.message})"
            )
        )
        return ()


def _is_project_dir(root: Path, text: str) -> str | None:
    """The project-relative directory an ``-e PATH``/``PATH`` line names, if it is a project."""
    target = text.removeprefix("-e ").strip().split(";", 1)[0].strip()
    target = target.removeprefix("file://").removeprefix("file:").split("[", 1)[0].split("#", 1)[0]
    if "://" in target or not target:
        return None
    folder = (root / target).resolve()
    if not folder.is_dir() or not (folder == root or root in folder.parents):
        return None
    return posixpath.normpath(folder.relative_to(root).as_posix())


def _dockerfile_packages(found: tuple[Install, ...], findings: list[Finding]) -> list[Entry]:
    entries = []
    for install in found:
        if install.kind != "package" or "$" in install.path:
            continue
        origin = Origin(path=DOCKERFILE, line=install.line)
        try:
            entry = entry_from_pep508(install.path, origin=origin, source=DOCKERFILE, hint=None)
        except InputError:
            findings.append(
                Finding(
                    level="warning",
                    code="dockerfile-form",
                    origin=origin,
                    message=f"`{install.command}`: {install.path!r} is not read (not a PEP 508 requirement)",
                )
            )
            continue
        if entry.name in INSTALLERS:
            continue
        entries.append(entry)
    return entries


def _python_findings(requires: str | None, python_version: str | None, where: str) -> list[Finding]:
    if not requires or not python_version:
        return []
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        return [
            Finding(level="warning", code="requires-python", message=f"{where}: {requires!r} is not valid")
        ]
    full = python_version if python_version.count(".") >= 2 else f"{python_version}.0"
    if spec.contains(full, prereleases=True) or spec.contains(f"{python_version}.99", prereleases=True):
        return []
    return [
        Finding(
            level="error",
            code="requires-python",
            origin=Origin(path=where),
            message=f"requires-python {requires!r} excludes Python {python_version}, the version of the "
            "configured base image: set `base_image` in [tool.dockyard] (or DOCKYARD_BASE_IMAGE) to an image "
            "of a Python it allows",
        )
    ]


def discover(
    project: Path, *, metadata: MetadataReader | None = None, python_version: str | None = None
) -> Declared:
    """Everything ``project`` declares, in a deterministic order, with the origin of each line.

    ``metadata`` reads a project directory's METADATA through its build backend (a subprocess);
    without it, setup.py and setup.cfg are not read and a finding says so.
    """
    root = project.resolve()
    findings: list[Finding] = []
    looked = [REQUIREMENTS_GLOB]
    dockerfile_found = _dockerfile_installs(root, findings)
    if (root / DOCKERFILE).is_file():
        looked.append(f"{DOCKERFILE} (its install commands)")
    extra: list[Path] = []
    project_dirs = ["."]
    asked = _ExtrasAsked()
    for install in dockerfile_found:
        target = root / install.path
        if install.kind == "requirements":
            if target.is_file() or target.is_dir():
                extra.append(target)
            else:
                findings.append(
                    Finding(
                        level="warning",
                        code="dockerfile-missing",
                        origin=Origin(path=DOCKERFILE, line=install.line),
                        message=f"`{install.command}` reads {install.path}, which is not in the project",
                    )
                )
        elif install.kind == "project" and target.is_dir():
            project_dirs.append(posixpath.normpath(install.path))
            asked.add(posixpath.normpath(install.path), install)
    collected, files = read_requirements(root, extra)
    findings += collected.findings
    entries: list[Entry] = []
    for entry in collected.entries:
        own = _is_project_dir(root, entry.text) if entry.kind in ("editable", "local") else None
        if own is not None and own in project_dirs:
            asked.add_line(own, entry)
            findings.append(
                Finding(
                    level="info",
                    code="project-itself",
                    origin=entry.origin,
                    message=f"{entry.text!r} is the project itself: its own declarations are read instead",
                )
            )
            continue
        entries.append(entry)
    options = list(collected.options)
    requires_python: str | None = None
    name: str | None = None
    explicit = False
    lock: ProjectLock | None = None
    for folder in dict.fromkeys(project_dirs):
        read = _read_dir(root, folder, metadata, looked, python_version)
        entries += asked.keep(folder, read.entries, findings)
        options += read.options
        findings += read.findings
        files += read.files
        explicit = explicit or read.explicit
        if folder == "." or name is None:
            name = name or read.name
            requires_python = requires_python or read.requires_python
        if read.lock is not None and lock is None:
            lock = read.lock
        findings += _python_findings(
            read.requires_python, python_version, read.files[0] if read.files else folder
        )
    entries += _dockerfile_packages(dockerfile_found, findings)
    if lock is not None:
        findings.append(
            Finding(
                level="info",
                code="project-lock",
                origin=Origin(path=lock.path),
                message=f"the project's lock ({lock.tool}) is the truth: its {len(lock.pins)} pins are kept "
                "as they are (constraints of the one resolution, not re-resolved)",
            )
        )
    if not entries:
        places = ", ".join(dict.fromkeys(looked))
        findings.append(
            Finding(
                level="info",
                code="no-dependencies",
                message=f"the project declares no dependencies ({places})",
            )
            if explicit
            else Finding(
                level="error",
                code="nothing-declared",
                message=f"no dependencies are declared anywhere dockyard looked: {places}",
            )
        )
    return Declared(
        project=root,
        entries=tuple(entries),
        options=tuple(options),
        files=tuple(dict.fromkeys(files)),
        project_name=name,
        requires_python=requires_python,
        findings=tuple(findings),
        lock_file=lock.path if lock else None,
        locked=types.MappingProxyType(dict(lock.pins)) if lock else types.MappingProxyType({}),
        looked=tuple(dict.fromkeys(looked)),
        explicit=explicit,
    )
