"""The build context before and after, as sizes and a table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tabulate import tabulate

from dockyard.dockerignore.semantics import ContextFile

# --- the size report ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContextReport:
    """What a context holds. ``largest`` aggregates by top-level entry (a directory ends in ``/``):
    that is the level a .dockerignore line acts on, and one big file deep inside still shows up
    as the size of its top-level directory."""

    label: str
    files: int
    bytes: int
    largest: tuple[tuple[str, int], ...]


def context_report(files: Sequence[ContextFile], *, label: str, top: int = 10) -> ContextReport:
    sizes: dict[str, int] = defaultdict(int)
    for f in files:
        head, sep, _ = f.path.partition("/")
        sizes[head + ("/" if sep else "")] += f.size
    largest = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ContextReport(
        label=label, files=len(files), bytes=sum(f.size for f in files), largest=tuple(largest)
    )


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _change(before: int, after: int) -> str:
    if before == 0:
        return "n/a"
    return f"{(after - before) / before * 100:+.1f}%"


def format_reports(before: ContextReport, after: ContextReport) -> str:
    """Before/after totals, then the largest top-level paths of either side."""
    totals = tabulate(
        [
            ["files", f"{before.files:,}", f"{after.files:,}", _change(before.files, after.files)],
            ["size", human_size(before.bytes), human_size(after.bytes), _change(before.bytes, after.bytes)],
        ],
        headers=["context", before.label, after.label, "change"],
        colalign=("left", "right", "right", "right"),
    )
    before_sizes, after_sizes = dict(before.largest), dict(after.largest)
    paths = sorted(
        set(before_sizes) | set(after_sizes),
        key=lambda p: (-max(before_sizes.get(p, 0), after_sizes.get(p, 0)), p),
    )
    rows = [[p, _size_or_dash(before_sizes.get(p)), _size_or_dash(after_sizes.get(p))] for p in paths]
    largest = tabulate(
        rows,
        headers=["largest top-level paths", before.label, after.label],
        colalign=("left", "right", "right"),
    )
    return f"{totals}\n\n{largest}"


def _size_or_dash(size: int | None) -> str:
    return "-" if size is None else human_size(size)
