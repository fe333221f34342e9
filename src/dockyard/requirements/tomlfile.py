"""Read a TOML file of the project's, so that a syntax error names its line and column."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from dockyard.errors import InputError

_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load(path: Path, shown: str) -> dict[str, Any]:
    """The parsed table of ``path``; ``shown`` is its project-relative name for messages."""
    from dockyard.requirements.requirements_txt import decode

    if path.is_dir():
        raise InputError("is a directory, not a file", path=shown, hint=f"remove or rename {shown}/")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=shown) from exc
    return loads(decode(data, shown), shown)


def loads(text: str, shown: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _WHERE.search(str(exc))
        message = _WHERE.sub("", str(exc)).strip()
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            raise InputError(
                f"column {column}: not valid TOML ({message})",
                path=shown,
                line=line,
                hint="fix the TOML syntax at that position",
            ) from exc
        raise InputError(f"not valid TOML ({message})", path=shown) from exc
