"""One resolution of all four sets, split into the layer locks (pure text work).

uv compiles ``base.in``, ``ml.in``, ``test.in`` and ``dev.in`` together, so a constraint in one set holds
for every other (``numpy~=1.26.4`` in ml keeps a base package's numpy at 1.26). Its ``# via`` notes give
the dependency graph: each pinned package goes to the earliest layer that needs it, directly (its ``.in``
file, or the placement of a direct dependency) or through a package of that layer. Every layer is then
closed under its dependencies given the earlier layers, so each installs with ``--no-deps``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.requirements.model import GROUPS, Group, layer, normalize

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==|@)")
_VIA_ONE = re.compile(r"^\s+# via (.+)$")
_VIA_ITEM = re.compile(r"^\s+#\s{3}(.+)$")


@dataclass(frozen=True, kw_only=True)
class Block:
    """One requirement of uv's output with its continuation lines and ``# via`` notes."""

    first: str
    lines: tuple[str, ...]
    via: tuple[str, ...]

    @property
    def name(self) -> str | None:
        match = _NAME.match(self.first)
        return normalize(match.group(1)) if match else None

    @property
    def hashed(self) -> bool:
        return any("--hash=" in line for line in self.lines)


def _starts(line: str) -> bool:
    if not line or line[0].isspace() or line.startswith("#"):
        return False
    return not line.startswith("-") or line.startswith(("-e ", "--editable"))


def blocks(text: str) -> tuple[list[str], list[Block]]:
    """The option lines before the first requirement, and each requirement's block."""
    head: list[str] = []
    found: list[list[str]] = []
    for line in text.splitlines():
        if _starts(line):
            found.append([line])
        elif found:
            found[-1].append(line)
        elif line.strip() and not line.startswith("#"):
            head.append(line)
    result = []
    for lines in found:
        via: list[str] = []
        for line in lines[1:]:
            one, item = _VIA_ONE.match(line), _VIA_ITEM.match(line)
            if one and one.group(1).strip() != "":
                via.append(one.group(1).strip())
            elif item:
                via.append(item.group(1).strip())
        result.append(Block(first=lines[0], lines=tuple(lines), via=tuple(via)))
    return head, result


def _via_group(via: str, files: Mapping[str, Group]) -> Group | None:
    if via.startswith("-r "):
        target = via[3:].strip()
        for suffix, group in files.items():
            if target == suffix or target.endswith("/" + suffix):
                return group
    return None


def placements(
    found: list[Block], *, files: Mapping[str, Group], direct: Mapping[str, Group]
) -> dict[str, Group]:
    """Block key (name, or the line of an unnamed one) -> the earliest layer that needs it."""
    keys = [b.name or b.first for b in found]
    best: dict[str, int] = {}
    for key, block in zip(keys, found, strict=True):
        seeds = [layer(g) for v in block.via if (g := _via_group(v, files)) is not None]
        if key in direct:
            seeds.append(layer(direct[key]))
        if seeds:
            best[key] = min(seeds)
    for name, group in direct.items():
        best[name] = min(best.get(name, len(GROUPS)), layer(group))
    changed = True
    while changed:  # propagate down the graph: a dependency is needed where its dependant is
        changed = False
        for key, block in zip(keys, found, strict=True):
            for via in block.via:
                parent = normalize(via.split("[", 1)[0]) if not via.startswith("-") else None
                if parent is not None and parent in best and best[parent] < best.get(key, len(GROUPS)):
                    best[key] = best[parent]
                    changed = True
    # a package nothing explains (an unnamed dependant): the earliest layer keeps every install working
    return {key: GROUPS[best.get(key, 0)] for key in keys}


def split_resolution(
    text: str, *, files: Mapping[str, Group], direct: Mapping[str, Group]
) -> dict[Group, tuple[list[str], list[Block]]]:
    """The compiled text of all sets as per-layer option lines and blocks."""
    head, found = blocks(text)
    where = placements(found, files=files, direct=direct)
    split: dict[Group, tuple[list[str], list[Block]]] = {g: (list(head), []) for g in GROUPS}
    for block in found:
        split[where[block.name or block.first]][1].append(block)
    return split
