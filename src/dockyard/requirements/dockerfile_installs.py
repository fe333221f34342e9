"""What the project's own Dockerfile installs: its install commands, followed to the files they read.

``pip install -r PATH`` after ``COPY backend/requirements.txt .`` reads ``backend/requirements.txt`` of the
context; ``pip install .``, ``poetry install``, ``poetry export``, ``uv sync`` and ``pipenv install`` read the
project in the working directory. Pure: it walks the parsed Dockerfile, it runs nothing.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, replace
from typing import Literal

from packaging.requirements import InvalidRequirement, Requirement

from dockyard.dockerfile import Dockerfile, Stage
from dockyard.requirements.model import normalize

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
    extras: tuple[str, ...] = ()  # of a project: the extras asked for (`pip install '.[server]'`, `-E x`)
    all_extras: bool = False  # `--all-extras`


@dataclass(frozen=True)
class _Read:
    kind: InstallKind
    target: str
    extras: tuple[str, ...] = ()
    all_extras: bool = False


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


def _reads(words: list[str]) -> list[_Read]:
    found: list[_Read] = []
    args = _pip_args(words)
    if args is not None:
        index = 0
        while index < len(args):
            arg = args[index]
            if arg in ("-r", "--requirement", "-c", "--constraint") and index + 1 < len(args):
                found.append(_Read("requirements", args[index + 1]))
                index += 2
                continue
            if arg.startswith(("--requirement=", "--constraint=")):
                found.append(_Read("requirements", arg.split("=", 1)[1]))
            elif arg.startswith("-r") and len(arg) > 2:
                found.append(_Read("requirements", arg[2:]))
            elif arg in ("-e", "--editable") and index + 1 < len(args):
                path, extras = split_extras(args[index + 1])
                if _is_path(path):
                    found.append(_Read("project", path, extras))
                index += 2
                continue
            elif arg in _VALUE_FLAGS:
                index += 2
                continue
            elif not arg.startswith("-"):
                path, extras = split_extras(arg)
                found.append(_Read("project", path, extras) if _is_path(path) else _Read("package", arg))
            index += 1
        return found
    names = [posixpath.basename(w) for w in words]
    if "setup.py" in names and {"install", "develop"} & set(names[names.index("setup.py") + 1 :]):
        return [_Read("project", posixpath.dirname(words[names.index("setup.py")]) or ".")]
    for index, name in enumerate(names[:-1]):
        if (name, names[index + 1]) in _PROJECT_TOOLS:
            extras, all_extras = _tool_extras(words[index + 2 :])
            return [_Read("project", ".", extras, all_extras)]
    return found


def split_extras(arg: str) -> tuple[str, tuple[str, ...]]:
    """``.[dev, server]`` -> (".", ("dev", "server")); a plain path has no extras."""
    match = re.fullmatch(r"(.*?)\[([^\]]*)\]", arg)
    if match is None:
        return arg, ()
    names = tuple(normalize(n.strip()) for n in match.group(2).split(",") if n.strip())
    return match.group(1) or ".", names


def _tool_extras(args: list[str]) -> tuple[tuple[str, ...], bool]:
    """The extras of ``poetry install -E a --extras "b c"`` or ``uv sync --extra a``; ``--all-extras``."""
    extras: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--all-extras":
            return (), True
        if arg in ("-E", "--extras", "--extra") and index + 1 < len(args):
            extras += args[index + 1].replace(",", " ").split()
            index += 2
            continue
        if arg.startswith(("--extras=", "--extra=")):
            extras += arg.split("=", 1)[1].replace(",", " ").split()
        index += 1
    return tuple(normalize(e) for e in extras), False


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
            here = cwd  # `cd DIR && pip install .` installs DIR for the rest of that RUN
            for words in _words(run.script):
                command = " ".join(words)
                if words[0] == "cd" and len(words) == 2:
                    here = posixpath.normpath(posixpath.join(here, words[1]))
                    continue
                for read in _reads(words):
                    if read.kind == "package":
                        found.append(
                            Install(kind="package", path=read.target, line=ins.line, command=command)
                        )
                        continue
                    image = posixpath.normpath(posixpath.join(here, read.target))
                    context = _context_of(image, copied)
                    if context is not None:
                        found.append(
                            Install(
                                kind=read.kind,
                                path=context,
                                line=ins.line,
                                command=command,
                                extras=read.extras,
                                all_extras=read.all_extras,
                            )
                        )
    return found


def installs(dockerfile: Dockerfile) -> tuple[Install, ...]:
    """Every context file or directory an install command of ``dockerfile`` reads, in order, once."""
    seen: dict[tuple[str, str], Install] = {}
    for stage in dockerfile.stages:
        for install in _stage_installs(stage):
            first = seen.setdefault((install.kind, install.path), install)
            if first is not install and install.kind == "project":  # the extras of every install of it
                seen[(install.kind, install.path)] = replace(
                    first,
                    extras=tuple(dict.fromkeys(first.extras + install.extras)),
                    all_extras=first.all_extras or install.all_extras,
                )
    return tuple(seen.values())


def upgraded(found: tuple[Install, ...]) -> set[str]:
    """The distributions installed by name with ``--upgrade`` (``-U``) or a version: those the base
    image's own copy does not survive (``pip install --upgrade pip setuptools``)."""
    names = set()
    for install in found:
        if install.kind != "package":
            continue
        try:
            req = Requirement(install.path)
        except InvalidRequirement:
            continue
        words = install.command.split()
        if req.specifier or "-U" in words or "--upgrade" in words:
            names.add(normalize(req.name))
    return names
