"""Read pip requirements files: ``*requirements*.txt`` in the project root and what they include.

Lines are parsed with ``pip_requirements_parser``, which carries pip's own grammar (continuations,
comments, options, ``-e``, VCS and URL lines, per-line ``--hash``); this module adds what pip does around
it: ``-r``/``-c`` resolved relative to the including file, include cycles refused, and sources. Every root
``*requirements*.txt`` is a source of its own (one pip invocation) unless it is only ever used as a
``-c`` file; a source that includes another does not take over the other's entries, so
``requirements-dev.txt`` with ``-r requirements.txt`` leaves requirements.txt's entries runtime.

Any malformed line is an :class:`InputError` naming the file and the line. Two deliberate limits: a file is
decoded like pip does (BOM, then a PEP 263 coding line) but otherwise as UTF-8, never in the locale's
encoding; and an include by URL (``-r https://...``) is refused, because a split must not depend on a
remote file.
"""

from __future__ import annotations

import codecs
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pip_requirements_parser import (
    InstallRequirement,
    InvalidRequirementLine,
    OptionLine,
    RequirementsFile,
)

from dockyard.errors import InputError
from dockyard.requirements.catalogue import hint_for, stale_word
from dockyard.requirements.model import Entry, Finding, Group, Kind, Option, Origin, normalize

REQUIREMENTS_GLOB = "*requirements*.txt"
MALFORMED_CAP = 20
PYPROJECT = "pyproject.toml"
VCS_SCHEMES = ("git", "hg", "svn", "bzr")

#: pip option dest -> the long flag written into .in files. Includes (-r, -c) are handled separately.
OPTION_FLAGS: Mapping[str, str] = {
    "index_url": "--index-url",
    "extra_index_urls": "--extra-index-url",
    "find_links": "--find-links",
    "trusted_hosts": "--trusted-host",
    "no_index": "--no-index",
    "pre": "--pre",
    "prefer_binary": "--prefer-binary",
    "only_binary": "--only-binary",
    "no_binary": "--no-binary",
    "use_feature": "--use-feature",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CODING = re.compile(rb"^#.*coding[:=]\s*([-\w.]+)")


def rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def decode(data: bytes, path: str) -> str:
    """Decode like pip (BOM, then a coding line), else strictly as UTF-8; an error names the line."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    else:
        for head in data.split(b"\n")[:2]:
            match = _CODING.match(head)
            if match:
                encoding = match.group(1).decode("ascii")
                break
    try:
        return data.decode(encoding)
    except LookupError as exc:
        raise InputError(f"declares an unknown encoding {encoding!r}", path=path, line=1) from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"cannot be decoded as {encoding} (byte 0x{data[exc.start]:02x})",
            path=path,
            line=line,
            hint=f"save the file as UTF-8 (for example: iconv -f latin1 -t utf-8 {path})",
        ) from exc


@dataclass(frozen=True)
class _Include:
    constraint: bool
    target: Path
    line: int


@dataclass(frozen=True)
class _File:
    path: Path
    requirements: tuple[InstallRequirement, ...]
    options: tuple[OptionLine, ...]
    includes: tuple[_Include, ...]


class _Reader:
    """Parses each requirements file once and walks the include graph, refusing cycles."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[Path, _File] = {}
        self.required: set[Path] = set()  # reached by -r from some file
        self.constrained: set[Path] = set()  # reached by -c from some file
        self.walked: set[Path] = set()

    def rel(self, path: Path) -> str:
        return rel(path, self.root)

    def read(self, path: Path) -> _File:
        if path in self.files:
            return self.files[path]
        shown = self.rel(path)
        if path.is_dir():
            raise InputError(
                "is a directory, not a requirements file", path=shown, hint=f"rename or remove {shown}/"
            )
        try:
            decode(path.read_bytes(), shown)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", path=shown) from exc
        try:
            parsed = RequirementsFile.from_file(str(path), include_nested=False)
        except Exception as exc:  # the parser raises bare exceptions for unreadable files
            raise InputError(f"cannot be parsed ({exc})", path=shown) from exc
        bad_lines = [bad for bad in parsed.invalid_lines if isinstance(bad, InvalidRequirementLine)]
        if len(bad_lines) == 1:
            bad = bad_lines[0]
            raise InputError(
                f"not a valid requirement or option: {bad.line!r} ({first_line(bad.error_message)})",
                path=shown,
                line=bad.line_number,
                hint="fix or remove the line; pip would refuse it too",
            )
        if bad_lines:
            listed = [
                f"{shown}:{bad.line_number}: {bad.line!r} ({first_line(bad.error_message)})"
                for bad in bad_lines[:MALFORMED_CAP]
            ]
            more = len(bad_lines) - MALFORMED_CAP
            raise InputError(
                f"{len(bad_lines)} lines are not valid requirements or options:\n  "
                + "\n  ".join(listed)
                + (f"\n  ... and {more} more" if more > 0 else ""),
                hint="fix or remove these lines; pip would refuse them too",
            )
        includes: list[_Include] = []
        options: list[OptionLine] = []
        for option in parsed.options:
            for dest, constraint in (("requirements", False), ("constraints", True)):
                for value in option.options.get(dest, []):
                    includes.append(
                        _Include(constraint, self._target(path, value, option), option.line_number)
                    )
            if set(option.options) - {"requirements", "constraints"}:
                options.append(option)
        read = _File(path, tuple(parsed.requirements), tuple(options), tuple(includes))
        self.files[path] = read
        return read

    def _target(self, including: Path, value: str, option: OptionLine) -> Path:
        if is_url(value):
            raise InputError(
                f"includes a remote file {value!r}",
                path=self.rel(including),
                line=option.line_number,
                hint="download it into the project and include it by path",
            )
        target = Path(os.path.normpath(including.parent / value))
        if not target.is_file():
            raise InputError(
                f"includes {value!r}, which does not exist (looked for {self.rel(target)})",
                path=self.rel(including),
                line=option.line_number,
                hint="-r and -c paths are relative to the file that contains them",
            )
        return target

    def walk(self, path: Path, chain: tuple[Path, ...] = ()) -> None:
        """Read ``path`` and everything it includes; an include that leads back is an error."""
        if path in self.walked:
            return
        here = (*chain, path)
        for include in self.read(path).includes:
            if include.target in here:
                loop = " -> ".join(self.rel(p) for p in here[here.index(include.target) :])
                raise InputError(
                    f"include cycle: {loop} -> {self.rel(include.target)}",
                    path=self.rel(path),
                    line=include.line,
                    hint="remove one of the -r/-c lines that close the loop",
                )
            (self.constrained if include.constraint else self.required).add(include.target)
            self.walk(include.target, here)
        self.walked.add(path)


def first_line(text: str) -> str:
    """The gist of a parser message (packaging appends the line and a caret below it)."""
    first = next((line for line in text.splitlines() if line.strip()), text)
    return first.strip().removeprefix("Invalid requirement:").strip(" :")


def _requirements_files(root: Path) -> list[Path]:
    """Every root ``*requirements*.txt``; a directory of that name is an error, never skipped."""
    found = sorted(root.glob(REQUIREMENTS_GLOB))
    for path in found:
        if path.is_dir():
            raise InputError(
                "is a directory, not a requirements file",
                path=path.name,
                hint=f"rename {path.name}/ (dockyard reads every {REQUIREMENTS_GLOB} in the project root)",
            )
    return found


def url_kind(url: str, *, editable: bool) -> Kind:
    if editable:
        return "editable"
    scheme = url.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", url) else ""
    if "+" in scheme and scheme.split("+", 1)[0] in VCS_SCHEMES:
        return "vcs"
    if scheme in ("http", "https"):
        return "url"
    return "local"


def _local_name(root: Path, url: str) -> str | None:
    """The distribution name of a local project path, read from its pyproject.toml."""
    path = url.removeprefix("file://") if url.startswith("file://") else url
    path = path.split("#", 1)[0].split("[", 1)[0]
    pyproject = (root / path / PYPROJECT) if not Path(path).is_absolute() else Path(path) / PYPROJECT
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    name = data.get("project", {}).get("name")
    return normalize(name) if isinstance(name, str) else None


def _entry(req: InstallRequirement, *, root: Path, origin: Origin, source: str, hint: Group | None) -> Entry:
    link = req.link.url if req.link is not None else None
    kind: Kind = "index" if link is None else url_kind(link, editable=req.is_editable)
    note = ""
    vcs_editable = kind == "editable" and link is not None and url_kind(link, editable=False) == "vcs"
    if vcs_editable and req.name and link is not None:
        note = "declared editable: an image installs it non-editable"
        # an image installs a VCS checkout once and never edits it: installed non-editable
        kind, text = "vcs", f"{normalize(req.name)} @ {link.split('#', 1)[0]}"
    elif kind == "editable":
        text = f"-e {link}"
    elif req.req is not None and (link is None or req.req.url):
        # the parser keeps a line's marker beside the requirement, not in it
        text = str(req.req) if req.marker is None or req.req.marker else f"{req.req} ; {req.marker}"
    else:
        text = f"{link} ; {req.marker}" if req.marker is not None else str(link)
    name = normalize(req.name) if req.name else None
    if name is None and kind in ("editable", "local") and link is not None:
        name = _local_name(root, link)
    return Entry(name=name, text=text, kind=kind, origin=origin, source=source, hint=hint, note=note)


def is_url(value: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE) is not None


def _find_links(value: str, here: Path, root: Path) -> str:
    """A local --find-links path, project-relative: pip and uv look beside the file first."""
    if is_url(value) or Path(value).is_absolute():
        return value
    beside = Path(os.path.normpath(here / value))
    return rel(beside, root) if beside.exists() or not (root / value).exists() else Path(value).as_posix()


def _options(option: OptionLine, *, origin: Origin, source: str, here: Path, root: Path) -> Iterator[Option]:
    for dest, value in option.options.items():
        flag = OPTION_FLAGS.get(dest)
        if flag is None:
            continue  # require_hashes (the lock always hashes) and legacy options (refused earlier)
        values: Sequence[str | None] = (
            value if isinstance(value, list) else [None if value is True else value]
        )
        for one in values:
            if flag == "--find-links" and one is not None:
                one = _find_links(one, here, root)
            yield Option(flag=flag, value=one, origin=origin, source=source)


@dataclass
class Collected:
    entries: list[Entry]
    options: list[Option]
    findings: list[Finding]


def _collect(
    reader: _Reader, path: Path, *, tops: frozenset[Path], source: str, hint: Group | None, out: Collected
) -> None:
    """Entries and options of one source, following -r into files that are not sources of their own."""
    read = reader.files[path]
    shown = reader.rel(path)
    own_hint = hint_for(path.name) or hint
    for include in read.includes:
        origin = Origin(path=shown, line=include.line)
        if include.constraint:
            out.options.append(
                Option(flag="-c", value=reader.rel(include.target), origin=origin, source=source)
            )
        elif include.target not in tops:
            _collect(reader, include.target, tops=tops, source=source, hint=own_hint, out=out)
    for option in read.options:
        if "require_hashes" in option.options:
            out.findings.append(
                Finding(
                    level="info",
                    code="option-dropped",
                    origin=Origin(path=shown, line=option.line_number),
                    message="--require-hashes is dropped from the .in files; the locks carry hashes",
                )
            )
        out.options.extend(
            _options(
                option,
                origin=Origin(path=shown, line=option.line_number),
                source=source,
                here=path.parent,
                root=reader.root,
            )
        )
    for req in read.requirements:
        origin = Origin(path=shown, line=req.line_number)
        if req.hash_options:
            out.findings.append(
                Finding(
                    level="info",
                    code="hash-dropped",
                    package=normalize(req.name) if req.name else None,
                    origin=origin,
                    message="its --hash values are dropped; the lock computes hashes again",
                )
            )
        if req.install_options or req.global_options:
            out.findings.append(
                Finding(
                    level="warning",
                    code="option-dropped",
                    origin=origin,
                    message="--install-option/--global-option are dropped "
                    "(pip removed them; uv ignores them)",
                )
            )
        out.entries.append(_entry(req, root=reader.root, origin=origin, source=source, hint=own_hint))


def read_requirements(root: Path, extra: Sequence[Path] = ()) -> tuple[Collected, list[str]]:
    """Every root ``*requirements*.txt`` is a source of its own, unless it is only ever a ``-c`` file.

    A source that includes another (``requirements-dev.txt`` with ``-r requirements.txt``) does not
    take over the other's entries: they keep their own source and its group hint.
    """
    reader = _Reader(root)
    installed = {Path(os.path.normpath(p)) for p in extra}
    found = _requirements_files(root)
    # a stale copy (requirements_old.txt) that no Dockerfile installs is the record of an earlier
    # state, not a declaration: reading it would pin two versions of one package
    stale = [p for p in found if stale_word(p.name) and p not in installed]
    candidates = sorted({*(p for p in found if p not in stale), *installed})
    for candidate in candidates:
        reader.walk(candidate)
    tops = frozenset(c for c in candidates if c in reader.required or c not in reader.constrained)
    out = Collected([], [], [])
    for path in stale:
        if path in reader.files:
            continue  # another requirements file includes it: it is read there
        out.findings.append(
            Finding(
                level="info",
                code="stale-requirements",
                origin=Origin(path=path.name),
                message=f"not read: its name says {stale_word(path.name)!r} and the Dockerfile does not "
                "install it (rename it, or install it from the Dockerfile, to make it a declaration)",
            )
        )
    for top in sorted(tops):
        _collect(reader, top, tops=tops, source=reader.rel(top), hint=hint_for(top.name), out=out)
    return out, sorted(reader.rel(p) for p in reader.files)
