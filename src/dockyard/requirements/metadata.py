"""A project's own metadata (setup.py, setup.cfg, dynamic pyproject) through its build backend.

The PEP 517 hook ``prepare_metadata_for_build_wheel`` runs in an isolated environment made by ``build``
(with uv as its installer), in a subprocess with a timeout: dockyard never imports or executes a project's
``setup.py`` in its own process. :func:`entries_from_metadata` turns the METADATA text into entries (pure).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.parser import HeaderParser
from pathlib import Path

from dockyard import process
from dockyard.errors import CommandFailed, InputError
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.model import Entry, Group, Origin, normalize
from dockyard.requirements.pep508 import entry_from_pep508, parse

#: Reads METADATA of a project directory; discovery takes it as an argument so unit tests stay pure.
MetadataReader = Callable[[Path], str]

TIMEOUT = 300.0
# The backend runs on a copy: setuptools leaves *.egg-info behind in the directory it reads.
_SCRIPT = """
import os, shutil, sys, tempfile
from build import ProjectBuilder
from build.env import DefaultIsolatedEnv
import pyproject_hooks
skip = shutil.ignore_patterns(".git", ".venv", "venv", "node_modules", "__pycache__", "*.egg-info")
with DefaultIsolatedEnv(installer="uv") as env, tempfile.TemporaryDirectory() as out:
    source = os.path.join(out, "source")
    shutil.copytree(sys.argv[1], source, ignore=skip, symlinks=True)
    runner = pyproject_hooks.quiet_subprocess_runner
    builder = ProjectBuilder.from_isolated_env(env, source, runner=runner)
    env.install(builder.build_system_requires)
    env.install(builder.get_requires_for_build("wheel"))
    dist = builder.metadata_path(os.path.join(out, "metadata"))
    with open(os.path.join(dist, "METADATA"), encoding="utf-8") as f:
        sys.stdout.write(f.read())
"""
_EXTRA = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']""")


def metadata_command(project: Path) -> list[str]:
    return [sys.executable, "-c", _SCRIPT, str(project)]


def read_metadata(project: Path) -> str:
    """METADATA of ``project``, from its build backend in an isolated environment (a subprocess)."""
    try:
        return process.run(
            metadata_command(project),
            cwd=project,
            timeout=TIMEOUT,
            hint="the project's build backend could not prepare its metadata; try `python -m build` there",
        ).stdout
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            f"the build backend did not prepare the metadata within {TIMEOUT:.0f} s",
            path=str(project),
            hint="setup.py may wait for input or the network; declare the dependencies in pyproject.toml",
        ) from exc
    except CommandFailed as exc:
        raise InputError(
            "the build backend failed to prepare the metadata:\n" + exc.output_tail,
            path=str(project),
            hint="run `python -m build --wheel` in that directory to see the whole error",
        ) from exc


@dataclass(frozen=True, kw_only=True)
class Metadata:
    name: str | None
    requires_python: str | None
    entries: tuple[Entry, ...]


def _without_extra(marker: str) -> str:
    cleaned = re.sub(r"""\s*\band\s+extra\s*==\s*["'][^"']+["']""", "", marker)
    cleaned = re.sub(r"""extra\s*==\s*["'][^"']+["']\s*and\s+""", "", cleaned)
    cleaned = _EXTRA.sub("", cleaned).strip()
    return cleaned.strip("() ") if cleaned.startswith("(") and cleaned.endswith(")") else cleaned


def _line_in(text: str, name: str) -> int | None:
    pattern = re.compile(r"(^|[\s'\"])" + re.escape(name) + r"([\s'\"\[<>=~!;,]|$)", re.IGNORECASE)
    for index, line in enumerate(text.splitlines()):
        if pattern.search(line):
            return index + 1
    return None


def entries_from_metadata(
    text: str, *, declared_in: str, declared_text: str = "", source: str, hint: Group | None = None
) -> Metadata:
    """Requires-Dist lines as entries: an ``extra == "x"`` marker sends one to extra ``x``'s group."""
    headers = HeaderParser().parsestr(text)
    name = headers.get("Name")
    entries: list[Entry] = []
    for raw in headers.get_all("Requires-Dist") or []:
        req = parse(raw, path=declared_in, line=None)
        marker = str(req.marker) if req.marker else ""
        extra = _EXTRA.search(marker)
        if name and normalize(req.name) == normalize(name):
            continue  # a self-reference such as "pkg[test]; extra == 'all'"
        body = raw.split(";", 1)[0].strip()
        rest = _without_extra(marker) if extra else marker
        line = _line_in(declared_text, req.name) if declared_text else None
        origin = Origin(path=declared_in, line=line)
        entry_source = f"{source} extra {extra.group(1)}" if extra else source
        entry_hint = hint_for(extra.group(1)) if extra else hint
        entry = entry_from_pep508(
            f"{body} ; {rest}" if rest else body, origin=origin, source=entry_source, hint=entry_hint
        )
        entries.append(replace(entry, extra=normalize(extra.group(1))) if extra else entry)
    return Metadata(
        name=normalize(name) if name else None,
        requires_python=headers.get("Requires-Python"),
        entries=tuple(entries),
    )
