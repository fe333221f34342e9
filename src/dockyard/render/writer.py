"""The safe writer: every file dockyard puts into a user's project goes through here.

Renderers return text. This module adds a two-line generated-by header carrying a SHA-256 of the
file's content, decides for each file whether writing is safe, and writes atomically:

- a missing file is created; a file dockyard wrote and nobody edited is updated, or left alone
  (bytes and mtime) when it is already up to date;
- a file a person edited, or one dockyard did not write, is never overwritten: the new version goes to
  ``NAME.new`` beside it, unless ``force`` is set.

The header is a comment (``#`` or ``<!-- -->``) and goes below the lines that must stay first:
Dockerfile parser directives (``# syntax=``), a shebang and a Python coding line, Markdown front
matter, an HTML doctype or XML declaration. The hash covers everything but the two header lines, so
``grep -v`` of them piped to ``sha256sum`` checks it. JSON cannot carry a comment: JSON files are written
as they are, and their hashes are kept in a sidecar manifest, ``<state_dir>/manifest.json``; a JSON file
without a manifest entry counts as a person's file.

Work is planned first (:func:`plan_writes` only reads), shown by :func:`describe` for ``--dry``, and
carried out by :func:`apply`. Each file is replaced by ``os.replace`` from a temp file in its directory,
so it is always either old or new. During :func:`apply` a SIGINT or SIGTERM is held until the file being
written is in place and then raised as :class:`KeyboardInterrupt`; a second signal stops at once and
removes the temp file. A temp file left by a hard kill (``.NAME.dockyard-tmp-PID-XXXXXXXX``) is removed by
the next plan that touches its directory, once process PID is gone.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path, PurePath, PurePosixPath

from dockyard import __version__
from dockyard.atomic import (
    TEMP_MARK,
    deferred_interrupts,
)
from dockyard.atomic import (
    atomic_write_bytes as atomic_write_bytes,  # re-exported: they used to live here
)
from dockyard.atomic import (
    atomic_write_text as atomic_write_text,
)
from dockyard.errors import InputError, WriteRefused

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1
_PREAMBLE_MAX = 256  # lines that may stay above the header (front matter can be long)
NOTICE = "edits are kept: dockyard then writes a .new file (--force overwrites)"


class Format(enum.StrEnum):
    """How a file type carries the header."""

    DOCKERFILE = "dockerfile"  # `#`, below parser directives
    HASH = "hash"  # `#`: YAML, TOML, shell, Python, requirements, ignore files, INI
    MARKUP = "markup"  # `<!-- -->`: Markdown, HTML
    JSON = "json"  # no comments: tracked in the manifest


class State(enum.StrEnum):
    """What is at a target path now."""

    MISSING = "missing"
    OURS = "ours"  # written by dockyard, not edited since
    EDITED = "edited"  # written by dockyard, edited since
    FOREIGN = "foreign"  # not written by dockyard


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    WRITE_NEW_BESIDE = "write_new_beside"
    FORCE_OVERWRITE = "force_overwrite"


@dataclass(frozen=True, kw_only=True)
class Header:
    version: str
    source: str
    digest: str  # hex SHA-256 of the content, see content_digest

    def matches(self, content: str) -> bool:
        return self.digest == content_digest(content)


@dataclass(frozen=True)
class GeneratedFile:
    """Rendered text (without header), where it came from, and optionally its format and new-file mode."""

    text: str
    _: KW_ONLY
    source: str
    fmt: Format | None = None  # None: inferred from the file name
    mode: int | None = None  # for a new file; an existing file keeps its mode


@dataclass(frozen=True, kw_only=True)
class FileChange:
    path: Path  # the target
    relpath: str  # posix, relative to the plan's root: for messages and diffs
    fmt: Format
    state: State
    action: Action
    old_text: str | None  # the target's content now
    new_text: str  # the complete file dockyard would write, header included
    write_path: Path | None  # the target, NAME.new beside it, or None: nothing to write
    mode: int | None = None

    @property
    def new_relpath(self) -> str:
        return self.relpath + ".new"


@dataclass(frozen=True, kw_only=True)
class WritePlan:
    root: Path
    changes: tuple[FileChange, ...]
    stale_temps: tuple[Path, ...] = ()
    manifest_path: Path | None = None
    manifest_text: str | None = None  # the new manifest; None when it stays as it is

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.stale_temps
            or self.manifest_text is not None
            or any(change.write_path is not None for change in self.changes)
        )


@dataclass(frozen=True, kw_only=True)
class Outcome:
    path: Path
    action: Action
    written: Path | None
    message: str


# --- formats and the header -------------------------------------------------------------------------

_HASH_NAMES = frozenset(
    {".dockerignore", ".gitignore", ".gitattributes", ".env", ".envrc", "makefile", "containerignore"}
)
_HASH_SUFFIXES = frozenset(
    {".in", ".txt", ".yml", ".yaml", ".toml", ".sh", ".bash", ".py", ".pyi", ".cfg", ".ini", ".conf"}
    | {".env", ".dockerignore", ".gitignore"}
)
_MARKUP_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm"})
_COMMENT = {
    Format.DOCKERFILE: ("# ", ""),
    Format.HASH: ("# ", ""),
    Format.MARKUP: ("<!-- ", " -->"),
}
_HEADER_FIRST = re.compile(r"Generated by dockyard (?P<version>\S+) from (?P<source>.+?)(?:; .*)?")
_HEADER_HASH = re.compile(r"dockyard-hash: sha256:(?P<digest>[0-9a-f]{64})")
# BuildKit's own pattern for a parser directive (frontend/dockerfile/parser/directives.go).
_DIRECTIVE = re.compile(r"#\s*[a-zA-Z][a-zA-Z0-9]*\s*=\s*.+?\s*")
# PEP 263.
_CODING = re.compile(r"[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
_TEMP = re.compile(r"\.(?P<name>.+)" + re.escape(TEMP_MARK) + r"(?P<pid>\d+)-[^/]*")


def format_for(path: Path | str) -> Format:
    """The header format of a file, from its name."""
    name = PurePath(path).name.lower()
    suffix = PurePath(name).suffix
    if name in _HASH_NAMES or suffix in _HASH_SUFFIXES:
        return Format.HASH
    if suffix in _MARKUP_SUFFIXES:
        return Format.MARKUP
    if suffix == ".json":
        return Format.JSON
    stem_names = ("dockerfile", "containerfile")
    if name in stem_names or name.startswith(tuple(f"{n}." for n in stem_names)) or suffix == ".dockerfile":
        return Format.DOCKERFILE
    raise ValueError(f"dockyard knows no comment syntax for {name!r}; pass fmt= to GeneratedFile")


def content_digest(text: str) -> str:
    # LF-normalised, so a checkout with CRLF line endings (git autocrlf) still counts as unedited.
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    data = text.encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()


def _head(text: str) -> tuple[list[str], str]:
    """The first lines, each with its "\\n", and the rest of the text (the header sits near the top).

    Only "\\n" ends a line, as in the formats we write; a last line without one is part of the rest.
    """
    parts = text.split("\n", _PREAMBLE_MAX + 2)
    return [part + "\n" for part in parts[:-1]], parts[-1]


def _comment_body(line: str, fmt: Format) -> str | None:
    opening, closing = _COMMENT[fmt]
    line = line.rstrip("\r\n")
    if line.startswith(opening) and line.endswith(closing):
        return line[len(opening) : len(line) - len(closing)]
    return None


def _is_header_line(line: str, fmt: Format) -> bool:
    body = _comment_body(line, fmt)
    return body is not None and bool(_HEADER_FIRST.fullmatch(body) or _HEADER_HASH.fullmatch(body))


def _preamble_length(lines: list[str], fmt: Format) -> int:
    """How many leading lines must stay above the header."""

    lines = lines[:_PREAMBLE_MAX]

    def usable(index: int) -> bool:
        # (A last line without "\n" is not in `lines`: the header could not go below it.)
        return index < len(lines) and not _is_header_line(lines[index], fmt)

    if fmt is Format.DOCKERFILE:
        count = 0
        while usable(count) and _DIRECTIVE.fullmatch(lines[count].rstrip("\r\n")):
            count += 1
        return count
    if fmt is Format.HASH:
        count = 1 if usable(0) and lines[0].startswith("#!") else 0
        for index in (0, 1):
            if usable(index) and _CODING.match(lines[index]):
                count = max(count, index + 1)
        return count
    if fmt is Format.MARKUP and usable(0):
        if lines[0].rstrip("\r\n") == "---":
            for index in range(1, len(lines)):
                if not usable(index):
                    break
                if lines[index].rstrip("\r\n") in ("---", "..."):
                    return index + 1
            return 0
        if lines[0].lstrip().lower().startswith(("<!doctype", "<?xml")):
            return 1
    return 0


def _check_field(value: str, what: str) -> None:
    if not value or any(c in value for c in "\r\n") or "-->" in value:
        raise ValueError(f"a header {what} must be one line without '-->': {value!r}")


def header_lines(fmt: Format, *, version: str, source: str, digest: str) -> str:
    """The two header lines, each ending in a newline."""
    opening, closing = _COMMENT[fmt]
    first = f"Generated by dockyard {version} from {source}; {NOTICE}"
    return f"{opening}{first}{closing}\n{opening}dockyard-hash: sha256:{digest}{closing}\n"


def add_header(text: str, *, source: str, fmt: Format, version: str = __version__) -> str:
    """``text`` with the header, below any lines that must stay first. JSON comes back unchanged."""
    if fmt is Format.JSON:
        return text
    _check_field(source, "source")
    _check_field(version, "version")
    if " " in version:
        raise ValueError(f"a header version has no spaces: {version!r}")
    lines, rest = _head(text)
    keep = _preamble_length(lines, fmt)
    header = header_lines(fmt, version=version, source=source, digest=content_digest(text))
    return "".join([*lines[:keep], header, *lines[keep:], rest])


def strip_header(text: str, fmt: Format) -> tuple[str, Header | None]:
    """Split off dockyard's header: the content it hashes, and the header (None when there is none)."""
    if fmt is Format.JSON:
        return text, None
    lines, rest = _head(text)
    at = _preamble_length(lines, fmt)
    if at + 1 >= len(lines):
        return text, None
    first, second = (_comment_body(line, fmt) for line in lines[at : at + 2])
    found = _HEADER_FIRST.fullmatch(first or "")
    hashed = _HEADER_HASH.fullmatch(second or "")
    if not (found and hashed):
        return text, None
    header = Header(version=found["version"], source=found["source"], digest=hashed["digest"])
    return "".join([*lines[:at], *lines[at + 2 :], rest]), header


def is_generated(path: Path | str, *, fmt: Format | None = None) -> bool:
    """True when the file carries dockyard's header and still matches its hash (dockyard may overwrite it).

    JSON files carry no header; their state is in the manifest, which :func:`plan_writes` reads.
    """
    fmt = fmt or format_for(path)
    if fmt is Format.JSON:
        raise ValueError(f"{path}: JSON files carry no header; plan_writes reads their manifest")
    text, clean = _read(Path(path))
    if text is None or not clean:
        return False
    content, header = strip_header(text, fmt)
    return header is not None and header.matches(content)


# --- planning -----------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[str | None, bool]:
    """The file's text (None when missing) and whether it is valid UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, True
    except IsADirectoryError as exc:
        raise InputError("is a directory, but dockyard needs to write a file there", path=str(path)) from exc
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), False


def _relative(root: Path, target: Path | str) -> tuple[Path, str]:
    joined = Path(os.path.normpath(root / target))
    rel = Path(os.path.relpath(joined, root))
    if rel == Path() or rel.parts[0] == "..":
        raise ValueError(f"{target} is not a file inside {root}")
    return joined, PurePosixPath(*rel.parts).as_posix()


def _load_manifest(path: Path) -> dict[str, str]:
    text, _ = _read(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise TypeError("files is not a mapping of path to hash")
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"not a dockyard manifest ({exc})",
            path=str(path),
            hint="delete it; dockyard then treats the JSON files it wrote as yours and writes .new files",
        ) from exc
    return dict(files)


def _manifest_text(files: Mapping[str, str]) -> str:
    return json.dumps({"schema": MANIFEST_SCHEMA, "files": dict(sorted(files.items()))}, indent=2) + "\n"


def _state(text: str | None, clean: bool, fmt: Format, recorded: str | None) -> State:
    if text is None:
        return State.MISSING
    if not clean:
        return State.FOREIGN
    if fmt is Format.JSON:
        if recorded is None:
            return State.FOREIGN
        return State.OURS if recorded == f"sha256:{content_digest(text)}" else State.EDITED
    content, header = strip_header(text, fmt)
    if header is None:
        return State.FOREIGN
    return State.OURS if header.matches(content) else State.EDITED


def _action(state: State, old: str | None, new: str, fmt: Format, *, force: bool) -> Action:
    if old is None:
        return Action.CREATE
    if old == new:
        return Action.UNCHANGED
    # A file whose content already is what we would write loses nothing when it gets our header:
    # this also heals a JSON file written just before an interrupt stopped the manifest update.
    if state is State.OURS or strip_header(old, fmt)[0] == strip_header(new, fmt)[0]:
        return Action.UPDATE
    return Action.FORCE_OVERWRITE if force else Action.WRITE_NEW_BESIDE


def _write_path(path: Path, action: Action, new: str) -> Path | None:
    if action is Action.UNCHANGED:
        return None
    if action is Action.WRITE_NEW_BESIDE:
        beside = path.with_name(path.name + ".new")
        return None if _read(beside)[0] == new else beside
    # Write through a symlink, so the link the user made stays a link.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _pid_alive(pid: int) -> bool:
    if os.name != "posix" or pid == os.getpid():
        return True  # on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:
        return True
    return True


def _stale_temps(directories: set[Path]) -> tuple[Path, ...]:
    found: list[Path] = []
    for directory in sorted(directories):
        if not directory.is_dir():
            continue
        for entry in directory.iterdir():
            match = _TEMP.fullmatch(entry.name)
            if match and entry.is_file() and not _pid_alive(int(match["pid"])):
                found.append(entry)
    return tuple(sorted(found))


def plan_writes(
    root: Path | str,
    files: Mapping[Path | str, GeneratedFile],
    *,
    force: bool = False,
    state_dir: str = ".dockyard",
    version: str = __version__,
) -> WritePlan:
    """What writing ``files`` (paths relative to ``root``) would do. Reads the project, writes nothing."""
    root = Path(root).absolute()
    manifest_path = root / state_dir / MANIFEST_NAME
    targets = {_relative(root, target): generated for target, generated in files.items()}
    if len({rel for _, rel in targets}) != len(files):
        raise ValueError("two entries name the same file")
    formats = {rel: generated.fmt or format_for(rel) for (_, rel), generated in targets.items()}
    uses_manifest = Format.JSON in formats.values()
    manifest = _load_manifest(manifest_path) if uses_manifest else {}
    recorded = dict(manifest)
    changes: list[FileChange] = []
    for (path, rel), generated in targets.items():
        fmt = formats[rel]
        old, clean = _read(path)
        new = add_header(generated.text, source=generated.source, fmt=fmt, version=version)
        state = _state(old, clean, fmt, manifest.get(rel))
        action = _action(state, old, new, fmt, force=force)
        change = FileChange(
            path=path,
            relpath=rel,
            fmt=fmt,
            state=state,
            action=action,
            old_text=old,
            new_text=new,
            write_path=_write_path(path, action, new),
            mode=generated.mode,
        )
        changes.append(change)
        if fmt is Format.JSON and action is not Action.WRITE_NEW_BESIDE:
            recorded[rel] = f"sha256:{content_digest(new)}"
    directories = {change.path.parent for change in changes}
    manifest_text = None
    if uses_manifest and recorded != manifest:
        manifest_text = _manifest_text(recorded)
        directories.add(manifest_path.parent)
    return WritePlan(
        root=root,
        changes=tuple(changes),
        stale_temps=_stale_temps(directories),
        manifest_path=manifest_path if uses_manifest else None,
        manifest_text=manifest_text,
    )


# --- describing -----------------------------------------------------------------------------------------


def _why(change: FileChange) -> str:
    return "edited by hand" if change.state is State.EDITED else "not written by dockyard"


def intent(change: FileChange) -> str:
    """One line saying what :func:`apply` will do with this file, e.g. ``create docker/Dockerfile``."""
    rel = change.relpath
    match change.action:
        case Action.CREATE:
            return f"create {rel}"
        case Action.UPDATE:
            return f"update {rel}"
        case Action.UNCHANGED:
            return f"leave {rel} as it is (up to date)"
        case Action.FORCE_OVERWRITE:
            return f"overwrite {rel} ({_why(change)}; --force)"
        case Action.WRITE_NEW_BESIDE:
            if change.write_path is None:
                return f"keep {rel} ({_why(change)}); {change.new_relpath} beside it is up to date"
            return f"keep {rel} ({_why(change)}) and write {change.new_relpath} beside it"
    raise AssertionError(change.action)


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def diff(change: FileChange) -> str:
    """The unified diff a write would make (empty when it writes nothing)."""
    if change.write_path is None:
        return ""
    old = _printable(change.old_text or "")
    before = "/dev/null" if change.old_text is None else f"a/{change.relpath}"
    after = f"b/{change.new_relpath}" if change.action is Action.WRITE_NEW_BESIDE else f"b/{change.relpath}"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), change.new_text.splitlines(keepends=True), before, after
    )
    marked = (line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines)
    return "".join(marked)


def describe(plan: WritePlan) -> str:
    """The plan for ``--dry``: one line per file, then unified diffs. Changes nothing."""
    lines = [intent(change) for change in plan.changes]
    lines += [f"remove {_rel(plan, temp)} (left by an interrupted run)" for temp in plan.stale_temps]
    if plan.manifest_text is not None and plan.manifest_path is not None:
        lines.append(f"record the JSON files' hashes in {_rel(plan, plan.manifest_path)}")
    diffs = [text for text in map(diff, plan.changes) if text]
    return "\n".join(lines) + "\n" + "".join(f"\n{diff}" for diff in diffs)


def _rel(plan: WritePlan, path: Path) -> str:
    return PurePosixPath(*path.relative_to(plan.root).parts).as_posix()


# --- applying --------------------------------------------------------------------------------------------


def _changed_since_plan(plan: WritePlan) -> list[str]:
    touched = (Action.CREATE, Action.UPDATE, Action.FORCE_OVERWRITE)
    return [
        change.relpath
        for change in plan.changes
        if change.action in touched and _read(change.path)[0] != change.old_text
    ]


def _outcome(change: FileChange) -> Outcome:
    rel = change.relpath
    messages = {
        Action.CREATE: f"created {rel}",
        Action.UPDATE: f"updated {rel}",
        Action.UNCHANGED: f"{rel} is up to date",
        Action.FORCE_OVERWRITE: f"overwrote {rel} ({_why(change)}; --force)",
    }
    if change.action is Action.WRITE_NEW_BESIDE:
        done = (
            f"wrote {change.new_relpath} beside it"
            if change.write_path is not None
            else f"{change.new_relpath} beside it is up to date"
        )
        message = f"{rel} was {_why(change)}: {done} (use --force to overwrite)"
    else:
        message = messages[change.action]
    return Outcome(path=change.path, action=change.action, written=change.write_path, message=message)


def _mode_for(change: FileChange) -> int | None:
    if change.action is Action.WRITE_NEW_BESIDE:
        with contextlib.suppress(FileNotFoundError):
            return stat.S_IMODE(change.path.stat().st_mode)
    if change.write_path is not None and change.write_path.exists():
        return None
    return change.mode


def apply(plan: WritePlan) -> list[Outcome]:
    """Carry out ``plan``; raise WriteRefused, writing nothing, if a target changed since it was made."""
    outcomes: list[Outcome] = []
    with deferred_interrupts() as checkpoint:
        changed = _changed_since_plan(plan)
        if changed:
            raise WriteRefused(
                f"{', '.join(changed)} changed since dockyard planned its writes; nothing was written",
                hint="run the task again",
            )
        checkpoint()
        for temp in plan.stale_temps:
            # Housekeeping: a temp file we cannot remove is in nobody's way.
            with contextlib.suppress(OSError):
                temp.unlink()
        for change in plan.changes:
            if change.write_path is not None:
                atomic_write_bytes(change.write_path, change.new_text.encode("utf-8"), mode=_mode_for(change))
            outcomes.append(_outcome(change))
            checkpoint()
        if plan.manifest_text is not None and plan.manifest_path is not None:
            atomic_write_text(plan.manifest_path, plan.manifest_text)
    return outcomes


def write_generated(
    root: Path | str,
    relpath: Path | str,
    text: str,
    *,
    source: str,
    force: bool = False,
    dry: bool = False,
    fmt: Format | None = None,
    mode: int | None = None,
    state_dir: str = ".dockyard",
) -> Outcome:
    """Plan and apply one file; with ``dry`` the outcome says what would happen and nothing is written."""
    generated = GeneratedFile(text, source=source, fmt=fmt, mode=mode)
    plan = plan_writes(root, {relpath: generated}, force=force, state_dir=state_dir)
    if dry:
        change = plan.changes[0]
        message = f"would {intent(change)}"
        return Outcome(path=change.path, action=change.action, written=None, message=message)
    return apply(plan)[0]
