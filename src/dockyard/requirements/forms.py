"""One report line for every unusual requirement form and pip option: what dockyard did with it.

Nothing a project declares is dropped silently: a direct URL, a VCS checkout, a local path, wheel or
sdist, an editable library, extras and markers, index and find-links options, constraints files and
``--hash`` values each get a line saying where they went.
"""

from __future__ import annotations

import re

from dockyard.requirements.model import Declared, Entry, Finding, Level, Option

_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2")
#: ``https://user:secret@`` or ``https://token@`` written out; not a ``${VARIABLE}``, nor ssh's ``git@``.
_LITERAL_CREDENTIAL = re.compile(r"://(?!git@)(?![^/@\s]*\$\{)[^/@\s]+@")


def _entry_outcome(entry: Entry) -> tuple[Level, str, str] | None:
    """(level, code, message) for an entry whose form needs a word, else None."""
    text = entry.text
    if entry.kind == "url":
        return ("info", "form-url", f"{text!r}: a direct URL, locked with the hash of the file it names")
    if entry.kind == "vcs":
        editable = f" ({entry.note})" if entry.note else ""
        return (
            "warning",
            "form-vcs",
            f"{text!r}: a VCS checkout{editable}; pinned to its commit and listed unhashed at the end of its "
            "lock; phase 2 builds a git checkout of a runtime layer into a wheel on the host and the image "
            "installs that wheel hash-checked and non-editable, with no git in it (a test or dev one is not "
            "installed)"
            + (
                "; it carries a literal credential, which the lock would keep: write it as ${VARIABLE} "
                "(the host's git expands it, no file or image holds it)"
                if _LITERAL_CREDENTIAL.search(text)
                else ""
            ),
        )
    if entry.kind == "editable":
        return (
            "warning",
            "form-editable",
            f"{text!r}: an editable local library; its dependencies are locked with hashes, the library "
            "itself is listed unhashed at the end of its lock; phase 2 installs it non-editable, without "
            "dependencies, in a layer of its own (runtime layers; a test or dev one is not installed)",
        )
    if entry.kind == "local":
        what = "a local archive" if text.split(";", 1)[0].strip().endswith(_ARCHIVES) else "a local path"
        return (
            "warning",
            "form-local",
            f"{text!r}: {what}; its dependencies are locked with hashes, the file itself is listed "
            "unhashed at the end of its lock; phase 2 installs it without dependencies in a layer of its "
            "own (runtime layers; a test or dev one is not installed)",
        )
    if "[" in text.split(";", 1)[0] or ";" in text:
        return ("info", "form-extras-markers", f"{text!r}: extras and markers kept as declared")
    return None


def _option_outcome(option: Option) -> tuple[Level, str, str]:
    flag = option.flag
    if flag in ("--index-url", "--extra-index-url"):
        return (
            "info",
            "form-index",
            f"{flag}: used to resolve; written to the locks unless it has credentials",
        )
    if flag == "--find-links":
        return (
            "warning",
            "form-find-links",
            f"--find-links {option.value}: used to resolve; a local directory must be in the build for the "
            "image to install from it",
        )
    if flag == "-c":
        return ("info", "form-constraints", f"-c {option.value}: constrains the one resolution of every set")
    return ("info", "form-option", f"{flag}: passed to the resolution as declared")


def form_findings(declared: Declared) -> tuple[Finding, ...]:
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for entry in declared.entries:
        outcome = _entry_outcome(entry)
        if outcome is not None and (entry.text, outcome[1]) not in seen:
            seen.add((entry.text, outcome[1]))
            level, code, message = outcome
            found.append(
                Finding(level=level, code=code, package=entry.name, origin=entry.origin, message=message)
            )
    for option in declared.options:
        level, code, message = _option_outcome(option)
        key = (f"{option.flag} {option.value}", code)
        if key not in seen:
            seen.add(key)
            found.append(Finding(level=level, code=code, origin=option.origin, message=message))
    return tuple(found)
