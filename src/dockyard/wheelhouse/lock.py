"""The wheelhouse lock of a set: the project lock plus the hash of every wheel built here from an sdist."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from dockyard.errors import DockyardError
from dockyard.render.dockerfile import (
    lock_mount_target,
)
from dockyard.wheelhouse.inputs import sha256_hex
from dockyard.wheelhouse.model import _HASH, _NAME, Origin, Wheel, WheelSet

# --- the wheelhouse lock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str  # canonical
    first: int  # index of the requirement's first line
    last: int  # index of its last (continuation) line
    hashes: frozenset[str]


def _entries(lines: Sequence[str]) -> Iterator[_Entry]:
    """The requirements of a lock text: name and sha256 hashes of each logical line."""
    index = 0
    while index < len(lines):
        first = index
        while lines[index].rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
        line = lines[first]
        match = _NAME.match(line)
        if match and not line[0].isspace():
            logical = " ".join(lines[first : index + 1])
            hashes = frozenset(h.lower() for h in _HASH.findall(logical))
            yield _Entry(canonicalize_name(match.group(1)), first, index, hashes)
        index += 1


def wheel_file_name(file: str) -> str:
    try:
        return canonicalize_name(parse_wheel_filename(file)[0])
    except InvalidWheelFilename as exc:
        raise DockyardError(f"the wheel builder produced {file!r}, which is not a wheel's name") from exc


def wheelhouse_lock(
    lock_text: str, wheels: Sequence[tuple[str, str]], *, source: str
) -> tuple[str, tuple[Wheel, ...]]:
    """The lock plus a ``--hash`` for each wheel (file name, sha256) that is not one the lock lists.

    Such a wheel was built from an sdist whose hash pip checked against this lock. Nothing else changes:
    every line of the lock stays as it is, so its own hashes keep their meaning.
    """
    lines = lock_text.splitlines()
    entries = {entry.name: entry for entry in _entries(lines)}
    added: dict[int, list[str]] = {}
    found: list[Wheel] = []
    for file, digest in sorted(wheels):
        entry = entries.get(wheel_file_name(file))
        if entry is None:
            raise DockyardError(
                f"the wheel builder produced {file}, which {source} does not list",
                hint="pip wheel --require-hashes should not allow it; rebuild with `dockyard wheels --force`",
            )
        if digest.lower() in entry.hashes:
            found.append(Wheel(file=file, sha256=digest, origin=Origin.LOCK))
            continue
        found.append(Wheel(file=file, sha256=digest, origin=Origin.BUILT))
        added.setdefault(entry.last, []).append(f"    --hash=sha256:{digest}")
    out = [
        f"# dockyard's wheelhouse lock: {source} as it is, plus a --hash for each wheel built in the",
        "# wheel builder from an sdist whose hash pip checked against that lock (see wheelhouse.json).",
    ]
    for index, line in enumerate(lines):
        extra = added.get(index)
        if extra is None:
            out.append(line)
            continue
        out.append(re.split(r"\s+#", line, maxsplit=1)[0].rstrip() + " \\")
        out += [f"{h} \\" for h in extra[:-1]] + [extra[-1]]
    return "\n".join(out) + "\n", tuple(found)


def checksum_line(wheel_set: WheelSet) -> str:
    """``sha256sum -c`` input: the project lock where the install step mounts it."""
    return f"{sha256_hex(wheel_set.data)}  {lock_mount_target(wheel_set.source)}\n"
