"""What the project's own Dockerfile installs: its install commands, followed to the files they read.

``pip install -r PATH`` after ``COPY backend/requirements.txt .`` reads ``backend/requirements.txt`` of the
context; ``pip install .``, ``poetry install``, ``poetry export``, ``uv sync`` and ``pipenv install`` read the
project in the working directory. Pure: it walks the parsed Dockerfile, it runs nothing.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Literal

from dockyard.dockerfile import Dockerfile, Stage

InstallKind = Literal["requirements", "project", "package"]

_SPLIT = re.compile(r"&&|\|\||;|\n")
_PROJECT_TOOLS = {("poetry", "install"), ("poetry", "export"), ("uv", "sync"), ("pipenv", "install"),
                  ("pipenv", "sync"), ("pdm", "install"), ("pdm", "sync")}  # fmt: skip


@dataclass(frozen=True, kw_only=True, order=True)
class Install:
    """One thing an install command reads: a requirements file or a project directory of the context."""

    kind: InstallKind
    path: str  # context-relative, posix, "." for the context root
    line: int  # the RUN's line in the Dockerfile
    command: str


_VALUE_FLAGS = frozenset(
    [
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--trusted-host",
        "--python",
        "--cache-dir",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--log",
        "--timeout",
    ]
)


def _words(script: str) -> list[list[str]]:
    commands = []
    for part in _SPLIT.split(script.replace("\\\n", " ")):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            continue
        if words:
            commands.append(words)
    return commands


def _pip_args(words: list[str]) -> list[str] | None:
    """The arguments after ``install`` of a pip (or ``uv pip``) command, else None."""
    for index, word in enumerate(words):
        base = posixpath.basename(word)
        if re.fullmatch(r"pip[0-9.]*", base) and words[index + 1 : index + 2] == ["install"]:
            return words[index + 2 :]
    return None


def _reads(words: list[str]) -> list[tuple[InstallKind, str]]:
    found: list[tuple[InstallKind, str]] = []
    args = _pip_args(words)
    if args is not None:
        index = 0
        while index < len(args):
            arg = args[index]
            if arg in ("-r", "--requirement", "-c", "--constraint") and index + 1 < len(args):
                found.append(("requirements", args[index + 1]))
                index += 2
                continue
            if arg.startswith(("--requirement=", "--constraint=")):
                found.append(("requirements", arg.split("=", 1)[1]))
            elif arg.startswith("-r") and len(arg) > 2:
                found.append(("requirements", arg[2:]))
            elif arg in ("-e", "--editable") and index + 1 < len(args):
                if _is_path(args[index + 1]):
                    found.append(("project", args[index + 1]))
                index += 2
                continue
            elif arg in _VALUE_FLAGS:
                index += 2
                continue
            elif not arg.startswith("-"):
                found.append(("project" if _is_path(arg) else "package", arg))
            index += 1
        return found
    names = [posixpath.basename(w) for w in words]
    for index, name in enumerate(names[:-1]):
        if (name, names[index + 1]) in _PROJECT_TOOLS:
            return [("project", ".")]
    return found


def _is_path(arg: str) -> bool:
    return arg in (".", "..") or arg.startswith(("./", "/", "../")) or arg.endswith((".whl", ".tar.gz"))


def _context_of(image_path: str, copied: dict[str, str]) -> str | None:
    """The context path an image path came from, by the longest COPY destination that holds it."""
    path = posixpath.normpath(image_path)
    for dest in sorted(copied, key=len, reverse=True):
        if path == dest or path.startswith(dest.rstrip("/") + "/"):
            rest = path[len(dest) :].lstrip("/")
            source = copied[dest]
            return posixpath.normpath(posixpath.join(source, rest)) if rest else source
    # `COPY app/pyproject.toml app/poetry.lock ./` then `poetry install`: the files' own directory
    beside = sorted({posixpath.dirname(copied[d]) or "." for d in copied if posixpath.dirname(d) == path})
    return beside[0] if len(beside) == 1 else None


def _stage_installs(stage: Stage) -> list[Install]:
    cwd = "/"
    copied: dict[str, str] = {}
    copies = {c.line: c for c in stage.copies}
    runs = {r.line: r for r in stage.runs}
    found: list[Install] = []
    for ins in stage.instructions:
        if ins.keyword == "WORKDIR" and ins.args:
            cwd = posixpath.normpath(posixpath.join(cwd, ins.args[0]))
        elif ins.line in copies and ins.keyword in ("COPY", "ADD"):
            copy = copies[ins.line]
            sources = copy.context_sources
            dest = posixpath.normpath(posixpath.join(cwd, copy.dest))
            into_dir = copy.dest.endswith("/") or copy.dest in (".", "./") or len(sources) > 1
            for source in sources:
                clean = posixpath.normpath(source.lstrip("/")) if source not in (".", "./") else "."
                if into_dir and clean != "." and not source.endswith("/"):
                    copied[posixpath.join(dest, posixpath.basename(clean))] = clean
                else:
                    copied[dest] = clean
        elif ins.keyword == "RUN" and ins.line in runs:
            run = runs[ins.line]
            for words in _words(run.script):
                for kind, target in _reads(words):
                    if kind == "package":
                        found.append(Install(kind=kind, path=target, line=ins.line, command=" ".join(words)))
                        continue
                    image = posixpath.normpath(posixpath.join(cwd, target))
                    context = _context_of(image, copied)
                    if context is not None:
                        found.append(Install(kind=kind, path=context, line=ins.line, command=" ".join(words)))
    return found


def installs(dockerfile: Dockerfile) -> tuple[Install, ...]:
    """Every context file or directory an install command of ``dockerfile`` reads, in order, once."""
    seen: dict[tuple[str, str], Install] = {}
    for stage in dockerfile.stages:
        for install in _stage_installs(stage):
            seen.setdefault((install.kind, install.path), install)
    return tuple(seen.values())
