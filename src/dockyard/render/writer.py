"""The safe writer: every file dockyard puts into a user's project goes through here. It plans (adds the
header, decides create, update, leave, or ``.new`` beside an edited file), describes, and applies
atomically; the rules are in docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path, PurePosixPath

from dockyard import __version__
from dockyard.atomic import (  # re-exported: they used to live here
    DEFAULT_MODE as DEFAULT_MODE,
)
from dockyard.atomic import (
    TEMP_MARK as TEMP_MARK,
)
from dockyard.atomic import (
    atomic_write_bytes as atomic_write_bytes,
)
from dockyard.atomic import (
    atomic_write_text as atomic_write_text,
)
from dockyard.atomic import (
    deferred_interrupts,
)
from dockyard.errors import InputError, WriteRefused
from dockyard.render.header import (  # re-exported: they used to live here
    NOTICE as NOTICE,
)
from dockyard.render.header import (
    Format as Format,
)
from dockyard.render.header import (
    Header as Header,
)
from dockyard.render.header import (
    add_header as add_header,
)
from dockyard.render.header import (
    content_digest as content_digest,
)
from dockyard.render.header import (
    format_for as format_for,
)
from dockyard.render.header import (
    header_lines as header_lines,
)
from dockyard.render.header import (
    strip_header as strip_header,
)

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1


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


_TEMP = re.compile(r"\.(?P<name>.+)" + re.escape(TEMP_MARK) + r"(?P<pid>\d+)-[^/]*")


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
