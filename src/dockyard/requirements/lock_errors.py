"""A failed resolution, explained in terms of the user's own files: the cause, the lines, a hint.

uv's message names packages and the temporary ``.in`` files it read; those files are gone when the user
reads the message, so their paths are replaced, and each package it names is pointed at the lines that
declare it. The hint depends on the cause: a conflict, an index that cannot be reached, or a form uv
does not accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from dockyard.errors import CommandFailed

CAP = 8
_UNREACHABLE = re.compile(
    r"Failed to fetch|Could not connect|error sending request|dns error|Connection refused|tcp connect error|"
    r"failed to lookup address|Network is unreachable|timed out|status code 40[13]|401 Unauthorized|"
    r"403 Forbidden",
    re.IGNORECASE,
)
_UNSUPPORTED = re.compile(
    r"Unnamed requirements are not allowed|cannot be editable|Unsupported URL|unsupported scheme|"
    r"Failed to parse|Couldn't parse|not a valid|Distribution not found at|"
    r"does not appear to be a Python project",
    re.IGNORECASE,
)
_NOISE = re.compile(r"does not contain any dependencies")
_CONFLICT = re.compile(
    r"No solution found|unsatisfiable|conflicting|requirements are unsatisfiable", re.IGNORECASE
)

HINTS = {
    "conflict": "the declarations cannot all hold at once (all sets are resolved together): loosen or change "
    "one of the lines above",
    "unreachable": "a package index could not be reached or refused access: check the --index-url/"
    "--extra-index-url lines and the network (and any credentials)",
    "unsupported": "uv cannot lock this form of requirement: give it a name (`name @ url`), or use a "
    "released version",
    "other": "see uv's message above; the lines dockyard read are listed",
}


def cause(text: str) -> str:
    if _CONFLICT.search(text):
        return "conflict"
    if _UNREACHABLE.search(text):
        return "unreachable"
    if _UNSUPPORTED.search(text):
        return "unsupported"
    return "other"


def cleaned(text: str, *, staged: str, req_dir: str) -> str:
    """uv's message with the temporary directory's paths replaced by the requirements directory's."""
    prefix = "" if req_dir.strip("/") in ("", ".") else req_dir.strip("/") + "/"
    text = re.sub(r"[^\s`'\"]*" + re.escape(staged) + "/", prefix, text)
    text = text.replace(staged, req_dir)
    return "\n".join(line for line in text.splitlines() if not _NOISE.search(line))


def named_lines(text: str, origins: Mapping[str, Sequence[str]]) -> list[str]:
    """``name: file:line, ...`` for each declared package the message names."""
    found = []
    lowered = text.lower()
    for name in sorted(origins, key=lambda n: lowered.find(n)):
        pattern = re.compile(
            r"(?<![\w.-])" + re.escape(name).replace(r"\-", "[-_.]") + r"(?![\w-])", re.IGNORECASE
        )
        if pattern.search(text) and origins[name]:
            found.append(f"{name}: declared at {', '.join(origins[name][:3])}")
    return found[:CAP]


def explain(
    argv: Sequence[str], returncode: int, output: str, *, staged: str, req_dir: str,
    origins: Mapping[str, Sequence[str]], findings: Sequence[str] = (),
) -> CommandFailed:  # fmt: skip
    """The error to raise for a failed uv run; ``findings`` (computed before) are kept in the message."""
    text = cleaned(output, staged=staged, req_dir=req_dir)
    why = cause(text)
    lines = named_lines(text, origins)
    head = {"conflict": "the requirements conflict", "unreachable": "a package index could not be reached",
            "unsupported": "a requirement form cannot be locked", "other": "locking failed"}[why]  # fmt: skip
    message = head + (":\n  " + "\n  ".join(lines) if lines else "")
    if findings:
        message += "\n  found before locking:\n  " + "\n  ".join(findings[:20])
    tail = "\n".join(text.rstrip().splitlines()[-20:])
    shown = [cleaned(a, staged=staged, req_dir=req_dir) for a in argv]
    return CommandFailed(shown, returncode, tail, hint=HINTS[why], message=message)
