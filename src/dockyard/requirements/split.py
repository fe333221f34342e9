"""Turn a classification into the texts of ``base.in``, ``ml.in``, ``test.in`` and ``dev.in``.

The four sets are resolved together, once (:mod:`.lock`), so they agree on every version. All four
files are always produced, so the image's install steps do not depend on which groups are empty.

User's version specifiers, extras and markers are kept as declared (in PEP 508 form); each line says
where it was declared. Editable, VCS and local-path lines are kept in their group behind a warning:
uv locks them, but without hashes (see :mod:`.lock`). Global pip options (index URLs, find-links,
trusted hosts, ``--pre``, binary choices) and the user's own ``-c`` files apply to the pip invocation
they came from, so each goes to the groups of that invocation's entries and to every later layer (a later
layer resolves the same packages under the earlier locks). Paths are rewritten relative to the
requirements directory, since pip and uv read them relative to the file. The output is sorted and
carries no dates: the same input gives the same bytes. An index URL that carries credentials or an
environment placeholder is never written: it goes to :attr:`SplitPlan.private`, for the resolution only.
"""

from __future__ import annotations

import posixpath
import re
import types
from collections.abc import Iterable, Mapping

from dockyard.requirements.model import (
    GROUPS,
    Classification,
    Finding,
    Group,
    Option,
    Placement,
    SplitPlan,
    layer,
)

DESCRIPTIONS: Mapping[Group, str] = {
    "base": "the service's runtime dependencies",
    "ml": "heavy scientific and machine-learning runtime dependencies, on top of base",
    "test": "what the tests need, on top of base and ml",
    "dev": "development tools, on top of base, ml and test",
}
OPTION_ORDER = (
    "--index-url",
    "--extra-index-url",
    "--find-links",
    "--no-index",
    "--trusted-host",
    "--pre",
    "--prefer-binary",
    "--only-binary",
    "--no-binary",
    "--use-feature",
    "-c",
)
PATH_FLAGS = frozenset({"-c", "--find-links"})
KIND_NOTES = {
    "editable": "an editable install",
    "vcs": "a VCS checkout",
    "local": "a local path",
}
_CREDENTIALS = re.compile(r"://[^/@\s]*:(?!\$\{)[^/@\s]+@")


def in_name(group: Group) -> str:
    return f"{group}.in"


def lock_name(group: Group) -> str:
    return f"{group}.txt"


def _rebased(value: str, req_dir: str) -> str:
    if "://" in value or posixpath.isabs(value):
        return value
    return posixpath.relpath(posixpath.normpath(value), posixpath.normpath(req_dir))


def option_line(option: Option, req_dir: str) -> str:
    if option.value is None:
        return option.flag
    value = _rebased(option.value, req_dir) if option.flag in PATH_FLAGS else option.value
    return f"{option.flag} {value}"


def _option_groups(classification: Classification) -> dict[str, tuple[Group, ...]]:
    """Top-level source -> the groups its options apply to: its entries' lowest group and every later one."""
    lowest: dict[str, int] = {}
    for placement in classification.placements:
        for entry in placement.entries:
            lowest[entry.source] = min(lowest.get(entry.source, len(GROUPS)), layer(placement.group))
    return {source: GROUPS[index:] for source, index in lowest.items()}


def _options_for(
    group: Group, classification: Classification, req_dir: str, findings: list[Finding]
) -> list[str]:
    scopes = _option_groups(classification)
    chosen: dict[str, Option] = {}
    for option in sorted(classification.options, key=lambda o: o.origin):
        if group in scopes.get(option.source, GROUPS):
            chosen.setdefault(option_line(option, req_dir), option)
    indexes = [line for line, o in chosen.items() if o.flag == "--index-url"]
    for dropped in indexes[1:]:
        kept = chosen[indexes[0]]
        findings.append(
            Finding(
                level="warning",
                code="index-url-conflict",
                origin=chosen[dropped].origin,
                message=f"{in_name(group)} can have one --index-url: keeping {kept.value} "
                f"({kept.origin}), dropping {chosen[dropped].value}",
            )
        )
        del chosen[dropped]
    return sorted(chosen, key=lambda line: (OPTION_ORDER.index(chosen[line].flag), line))


def _requirement_lines(placements: Iterable[Placement], group: Group, findings: list[Finding]) -> list[str]:
    lines: list[str] = []
    ordered = sorted(placements, key=lambda p: (not all(e.hashable for e in p.entries), p.key.lower()))
    for placement in ordered:
        origins: dict[str, list[str]] = {}
        for entry in sorted(placement.entries, key=lambda e: e.origin):
            origins.setdefault(entry.text, [])
            if str(entry.origin) not in origins[entry.text]:
                origins[entry.text].append(str(entry.origin))
        for text, where in origins.items():
            entry = next(e for e in placement.entries if e.text == text)
            if not entry.hashable:
                note = KIND_NOTES.get(entry.kind, entry.kind)
                lines.append(
                    f"# dockyard: {note}; it cannot be hash-locked, see the end of {lock_name(group)}"
                )
            shown = ", ".join(where[:2]) + (f" and {len(where) - 2} more" if len(where) > 2 else "")
            lines.append(f"{text}  # {shown}")
    return lines


def _credential_findings(classification: Classification) -> list[Finding]:
    return [
        Finding(
            level="warning",
            code="index-credentials",
            origin=o.origin,
            message=f"{o.flag} carries credentials or a ${{VARIABLE}}: used to resolve, written to no "
            "generated file; the generated Dockerfile does not reach that index (give it the URL "
            "yourself, as a BuildKit secret)",
        )
        for o in classification.options
        if o.value and private(f"{o.flag} {o.value}")
    ]


def split(classification: Classification, *, req_dir: str = "requirements") -> SplitPlan:
    """The four ``.in`` texts for ``req_dir`` (relative to the project root), layered and sorted."""
    findings = _credential_findings(classification)
    files: dict[str, str] = {}
    for group in GROUPS:
        lines = [f"# {in_name(group)}: {DESCRIPTIONS[group]}."]
        lines += [
            line for line in _options_for(group, classification, req_dir, findings) if not private(line)
        ]
        body = _requirement_lines(classification.in_group(group), group, findings)
        if body:
            lines += ["", *body]
        files[in_name(group)] = "\n".join(lines) + "\n"
    secret = sorted(
        {option_line(o, req_dir) for o in classification.options if private(option_line(o, req_dir))}
    )
    return SplitPlan(files=types.MappingProxyType(files), findings=tuple(findings), private=tuple(secret))


def private(line: str) -> bool:
    """An option line that must stay out of every generated file: a password or a ${VARIABLE}."""
    return bool(_CREDENTIALS.search(line)) or "${" in line or bool(re.search(r"://[^/@\s]+@", line))
