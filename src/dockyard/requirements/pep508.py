"""PEP 508 strings from TOML tables as :class:`Entry` values, and where in the file each one is."""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

from dockyard.errors import InputError
from dockyard.requirements.model import Entry, Group, Kind, Origin, normalize


class KeyLocator:
    """Finds the line of a string or key inside a TOML section; tomllib keeps no positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def section(self, *headers: str) -> int:
        """0-based index of the first header found (``[a.b]``, or ``[[a.b]]``), else 0."""
        for header in headers:
            parts = [re.escape(p) + r'|"' + re.escape(p) + '"' for p in header.split(".")]
            body = r"\s*\.\s*".join(f"(?:{p})" for p in parts)
            pattern = re.compile(r"^\s*\[\[?\s*" + body + r"\s*\]\]?")
            for index, line in enumerate(self.lines):
                if pattern.match(line):
                    return index
        return 0

    def line_of(self, value: str, start: int) -> int | None:
        quoted = (f'"{value}"', f"'{value}'")
        for index in range(start, len(self.lines)):
            if any(q in self.lines[index] for q in quoted):
                return index + 1
        return None

    def key_line(self, key: str, start: int) -> int | None:
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=", re.IGNORECASE)
        for index in range(start, len(self.lines)):
            if pattern.match(self.lines[index]):
                return index + 1
        return None


def url_kind_of(url: str) -> Kind:
    scheme = url.split(":", 1)[0].lower()
    if "+" in scheme and scheme.split("+", 1)[0] in ("git", "hg", "svn", "bzr"):
        return "vcs"
    if scheme in ("http", "https"):
        return "url"
    return "local"


def parse(text: str, *, path: str, line: int | None) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        gist = next((ln for ln in str(exc).splitlines() if ln.strip()), str(exc)).strip()
        raise InputError(
            f"not a valid PEP 508 requirement: {text!r} ({gist})",
            path=path,
            line=line,
            hint="see https://packaging.python.org/en/latest/specifications/dependency-specifiers/",
        ) from exc


def entry_from_pep508(text: str, *, origin: Origin, source: str, hint: Group | None) -> Entry:
    req = parse(text, path=origin.path, line=origin.line)
    kind: Kind = "index" if req.url is None else url_kind_of(req.url)
    return Entry(name=normalize(req.name), text=str(req), kind=kind, origin=origin, source=source, hint=hint)
