"""What each benchmark scenario changes in a scratch copy before it rebuilds.

Pure file edits, no Docker: the runner applies them to its private copy of the build context,
never to the user's tree. Each edit is unique per repeat so no rebuild can be served from a
cache entry an earlier repeat left behind.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import ConfigError

#: Versions of a small pure-Python package, one per repeat of the deps scenario.
DEFAULT_PACKAGE = "six"
DEFAULT_VERSIONS = ("1.17.0", "1.16.0", "1.15.0", "1.14.0", "1.13.0", "1.12.0", "1.11.0", "1.10.0")
MARKER = "# dockyard-bench"

_SKIP_DIRS = {"tests", "test", "docs", "notebooks", ".git", ".venv", "venv", "__pycache__", ".dockyard"}
_PREFERRED = ("app.py", "main.py", "api.py", "server.py", "service.py")


def pick_code_file(project: Path) -> Path:
    """The application source file whose edit the code scenario simulates (relative path).

    Prefers a module named like an entry point inside a package, else the largest runtime
    module; tests, docs and notebooks never count.
    """
    candidates: list[Path] = []
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project)
        if _SKIP_DIRS & set(rel.parts[:-1]) or rel.name.startswith("test_") or rel.name == "conftest.py":
            continue
        if rel.name in {"setup.py", "noxfile.py", "tasks.py"} or rel.parts[0].startswith("."):
            continue
        candidates.append(rel)
    if not candidates:
        raise ConfigError(
            f"{project}: no application .py file found for the code-change scenario",
            hint="name one with --code-file PATH",
        )
    in_package = [c for c in candidates if (project / c.parent / "__init__.py").is_file()]
    pool = in_package or candidates
    for name in _PREFERRED:
        for candidate in pool:
            if candidate.name == name:
                return candidate
    return max(pool, key=lambda c: ((project / c).stat().st_size, str(c)))


def change_code(project: Path, rel: Path, token: str) -> None:
    """Append a comment line: a real edit that changes the file's bytes and nothing else."""
    path = project / rel
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(f"{text}{MARKER} code change {token}\n", encoding="utf-8")
    ast.parse(path.read_text(encoding="utf-8"))  # the edit must keep the module valid


@dataclass(frozen=True)
class RequirementsEdit:
    """One runtime requirements file the deps scenario edits, and whether it is a hashed lock."""

    path: Path
    locked_from: Path | None = None


def requirement_targets(project: Path, requirements_dir: str = "requirements") -> list[RequirementsEdit]:
    """Runtime requirement files in the copy: a naive requirements.txt and/or dockyard's split lock.

    ``requirements_dir`` is the project-relative folder of the split locks (the setting of that name).
    """
    targets: list[RequirementsEdit] = []
    naive = project / "requirements.txt"
    if naive.is_file():
        targets.append(RequirementsEdit(naive))
    lock = project / requirements_dir / "base.txt"
    source = project / requirements_dir / "base.in"
    if lock.is_file() and source.is_file():
        targets.append(RequirementsEdit(lock, locked_from=source))
    if not targets:
        raise ConfigError(
            f"{project}: no runtime requirements file for the deps scenario",
            hint=(
                f"expected requirements.txt or {requirements_dir}/base.in with its lock "
                f"{requirements_dir}/base.txt"
            ),
        )
    return targets


def set_bench_requirement(path: Path, requirement: str, nonce: str) -> None:
    """Replace (or add) the one line the benchmark owns, marked with a trailing comment.

    The nonce makes the file unique to this variant and build: variants built by the same daemon
    would otherwise share the layers of an identical requirements file and report a cache hit.
    """
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if MARKER not in line]
    lines.append(f"{requirement}  {MARKER} {nonce}" if requirement else f"{MARKER} {nonce}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


#: Used instead of the default package when the project already declares it (a second pin would conflict).
ALTERNATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("toml", ("0.10.2", "0.10.1", "0.10.0", "0.9.6")),
    ("appdirs", ("1.4.4", "1.4.3", "1.4.2", "1.4.1")),
)


def pick_package(
    texts: Sequence[str], package: str = DEFAULT_PACKAGE, versions: tuple[str, ...] = DEFAULT_VERSIONS
) -> tuple[str, tuple[str, ...]]:
    """The package the deps scenario adds: one none of the requirement files declares already."""

    def declared(name: str) -> bool:
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*([=<>~!\[;@ ]|$)", re.IGNORECASE | re.MULTILINE)
        return any(pattern.search(text) for text in texts)

    for name, candidates in ((package, versions), *ALTERNATES):
        if not declared(name):
            return name, candidates
    return package, versions


def deps_requirement(
    repeat: int, package: str = DEFAULT_PACKAGE, versions: tuple[str, ...] = DEFAULT_VERSIONS
) -> str:
    return f"{package}=={versions[repeat % len(versions)]}"
