"""Atomic file writes: a file is replaced from a temp file in its directory, so it is old or new.

The low-level half of the safe writer (:mod:`dockyard.render.writer`), also used for state files and
charts; :func:`deferred_interrupts` holds SIGINT/SIGTERM until a multi-file write reaches a checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from dockyard.errors import DockyardError

DEFAULT_MODE = 0o644
TEMP_MARK = ".dockyard-tmp-"


def _stopped(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt(
        f"stopped by {signal.Signals(signum).name}: every file dockyard wrote is complete and the rest are "
        "untouched; run again to finish"
    )


@contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Hold SIGINT and SIGTERM until the caller's checkpoint, then raise KeyboardInterrupt.

    A second signal raises at once. Only the main thread can set handlers; elsewhere this does nothing,
    and each file is still replaced atomically.
    """
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        if received:
            raise _stopped(signum)
        received.append(signum)

    def checkpoint() -> None:
        if received:
            raise _stopped(received[0])

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum, usual in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
            # A handler (or an ignore) someone else installed is theirs to keep.
            if signal.getsignal(signum) is usual:
                previous[signum] = signal.signal(signum, hold)
    try:
        yield checkpoint
    finally:
        for held, handler in previous.items():
            signal.signal(held, handler)
    checkpoint()


def _fsync_dir(directory: Path) -> None:
    # Durability of the rename; a filesystem that cannot fsync a directory still has the file.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _ensure_dir(directory: Path) -> None:
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        _fsync_dir(created.parent)


def _replace(path: Path, data: bytes, mode: int | None) -> None:
    try:
        old: os.stat_result | None = path.stat()
    except FileNotFoundError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old else DEFAULT_MODE
    prefix = f".{path.name[:100]}{TEMP_MARK}{os.getpid()}-"
    fd, name = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            temp.chmod(mode)
            if old is not None and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                # Root in a container writing into a bind mount should not take the user's file.
                with contextlib.suppress(OSError):
                    os.chown(temp, old.st_uid, old.st_gid)
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old file or the new, never part.

    ``mode`` None keeps the mode of the file being replaced (0o644 for a new file). No header is added:
    for binary files (charts) and dockyard's own state files.
    """
    path = Path(path)
    try:
        _ensure_dir(path.parent)
        _replace(path, data, mode)
    except OSError as exc:
        raise DockyardError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that the directory is writable and the disk is not full, then run again",
        ) from exc


def atomic_write_text(path: Path | str, text: str, *, mode: int | None = None) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text, written with the newlines it has."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
