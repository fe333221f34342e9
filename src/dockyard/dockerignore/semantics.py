"""Docker's exact ignore semantics: patterns read as Docker's CLI reads them, and the effective
context walked as BuildKit sends it (docs/architecture.md lists where docker-py differs).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from docker.utils import build as _dockerbuild
from docker.utils.fnmatch import fnmatchcase as _docker_fnmatchcase

from dockyard.errors import InputError

# --- reading patterns exactly as Docker does ----------------------------------------------------


def read_patterns(text: str, *, source: str = ".dockerignore") -> tuple[str, ...]:
    """The patterns of a .dockerignore, as Docker's CLI reads them.

    Only a ``#`` in the first column starts a comment (``  # x`` is the pattern ``# x``); lines are
    trimmed; ``!`` may be followed by spaces; each pattern is cleaned like Go's ``filepath.Clean``
    and a leading ``/`` is dropped, so ``/foo``, ``./foo`` and ``foo/`` are all ``foo``.
    """
    patterns: list[str] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip()
            if not line:
                raise InputError(
                    "a lone `!` is not a valid pattern (Docker refuses to build)",
                    path=source,
                    line=number,
                    hint="write the path to re-include after the `!`, e.g. `!docs/index.md`",
                )
        pattern = go_clean(line)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
        _check_syntax(pattern, source, number)
        patterns.append(f"!{pattern}" if invert else pattern)
    return tuple(patterns)


def read_dockerignore(path: Path) -> tuple[str, ...]:
    """Patterns of the .dockerignore at ``path``; none when the file does not exist."""
    try:
        return read_patterns(path.read_text(encoding="utf-8"), source=str(path))
    except FileNotFoundError:
        return ()
    except UnicodeDecodeError as exc:
        raise InputError("is not UTF-8 text", path=str(path), hint="save it as UTF-8") from exc


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` for slash-separated paths (``normpath`` keeps a leading ``//``)."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _check_syntax(pattern: str, source: str, line: int) -> None:
    # Go's filepath.Match rejects these and `docker build` then fails before sending anything.
    body = re.sub(r"\[[^\]]*\]", "", pattern.replace("\\\\", ""))
    if "[" in body or pattern.endswith("\\"):
        raise InputError(
            f"`{pattern}` is not a valid pattern (unclosed `[` or trailing `\\`)",
            path=source,
            line=line,
            hint="close the character class or escape the bracket as `\\[`",
        )


# --- matching and the effective context ---------------------------------------------------------


class _Pattern(_dockerbuild.Pattern):
    """docker-py's pattern, matched case-sensitively as Docker does on Linux."""

    def match(self, filepath: str) -> bool:
        return _docker_fnmatchcase(str(filepath), self.cleaned_pattern)


class Matcher(_dockerbuild.PatternMatcher):
    """docker-py's ``PatternMatcher`` without its implicit ``!.dockerignore``.

    ``..`` patterns never match anything in Docker (paths in the context never start with ``..``);
    docker-py would silently strip the ``..``, so they are dropped here.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        kept = [p for p in patterns if not _escapes(p)]
        self.patterns = [p for p in map(_Pattern, kept) if p.dirs]

    def excluded(self, path: str) -> bool:
        # The stub says PathLike; the implementation works on (and Docker passes) plain strings.
        return self.matches(cast("os.PathLike[str]", path))

    @property
    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def descend_into_excluded(self, directory: str) -> bool:
        """BuildKit walks an excluded directory only if an exception pattern lies inside it."""
        prefix = directory + "/"
        return any(p.exclusion and (p.cleaned_pattern + "/").startswith(prefix) for p in self.patterns)


def _escapes(pattern: str) -> bool:
    body = pattern.removeprefix("!")
    return body == ".." or body.startswith("../")


@dataclass(frozen=True)
class ContextFile:
    """A regular file or symlink the build context holds (directories are implied)."""

    path: str
    size: int
    symlink: bool = False


def context_files(root: Path, patterns: Sequence[str]) -> tuple[ContextFile, ...]:
    """Files and symlinks BuildKit sends for ``COPY`` when the context is ``root``, sorted."""
    matcher = Matcher(patterns)
    return tuple(sorted(_walk(root, "", matcher), key=lambda f: f.path))


def _walk(root: Path, prefix: str, matcher: Matcher) -> Iterator[ContextFile]:
    try:
        entries = sorted(os.scandir(root / prefix), key=lambda e: e.name)
    except (PermissionError, FileNotFoundError):
        return
    for entry in entries:
        rel = f"{prefix}/{entry.name}" if prefix else entry.name
        excluded = matcher.excluded(rel)
        if entry.is_dir(follow_symlinks=False):
            if not excluded or (matcher.has_exceptions and matcher.descend_into_excluded(rel)):
                yield from _walk(root, rel, matcher)
        elif not excluded and (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
            yield ContextFile(rel, entry.stat(follow_symlinks=False).st_size, entry.is_symlink())
