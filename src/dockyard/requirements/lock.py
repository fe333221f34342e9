"""Lock the four sets with ``uv pip compile --generate-hashes``, in layered order.

Each ``<group>.in`` is compiled to ``<group>.txt`` after the groups before it, because its ``-c`` lines
name their locks; so one package has one version across all four files (:func:`conflicting_pins` checks
it anyway). uv runs in the project root, like pip would: relative paths of editable and local lines are
read from there, while ``-r``/``-c``/``--find-links`` paths are relative to the file.

Reproducible output: ``--no-header`` (the header would name the command), the lock's ``# via`` comments
are kept, and an existing lock is handed to uv as the output file, so uv keeps its pins unless the
input asks for something else; locking twice gives the same bytes. The files are compiled in a temporary
directory beside the requirements directory (same depth, so relative paths resolve alike) and the texts
are returned with that directory's name replaced by the real one: writing is the safe writer's job.

Editable installs, VCS checkouts and local directories cannot be hash-locked: uv resolves them (their
dependencies are pinned and hashed like any other) but prints them without ``--hash``, and pip refuses
a file that mixes hashed and unhashed lines; an editable line is also refused inside a ``-c`` file,
which would break the next layer. So such lines are moved out of the lock body into a commented block at
its end, and returned in :attr:`Locked.unhashed`: install them after the lock, with ``--no-deps``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import types
from collections.abc import Mapping
from pathlib import Path

from dockyard import process
from dockyard.errors import ConfigError, DockyardError, InputError
from dockyard.requirements.model import GROUPS, Finding, Locked, normalize
from dockyard.requirements.requirements_txt import rel
from dockyard.requirements.split import in_name, lock_name

LOCK_HINT = (
    "the sets are locked in order base, ml, test, dev, each under the earlier locks; a conflict usually "
    "means a later set needs another version of a package pinned earlier: add a compatible specifier for "
    "it to the earlier .in file"
)
UNHASHED_NOTE = (
    "# dockyard: not hash-locked (editable install, VCS checkout or local path); their dependencies are\n"
    "# pinned above. Install them after this file, without dependencies: pip install --no-deps <line>"
)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;\\]+)|@\s*(\S+))")
_INDEX_FLAGS = re.compile(
    r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links|--no-index)\b", re.MULTILINE
)


def lock_command(
    in_file: str,
    out_file: str,
    *,
    python_version: str,
    python_platform: str | None = "linux",
    emit_index: bool = False,
    uv: str = "uv",
) -> list[str]:
    """The ``uv pip compile`` argv for one set."""
    argv = [uv, "pip", "compile", "--generate-hashes"]
    argv += ["--python-version", python_version]
    if python_platform:
        argv += ["--python-platform", python_platform]
    argv += ["--no-header"]
    if emit_index:
        argv += ["--emit-index-url", "--emit-find-links"]
    argv += [in_file, "-o", out_file]
    return argv


def _starts_requirement(line: str) -> bool:
    if not line or line[0].isspace() or line.startswith("#"):
        return False
    return not line.startswith("-") or line.startswith(("-e ", "--editable"))


def set_aside_unhashed(text: str) -> tuple[str, tuple[str, ...]]:
    """Move requirements printed without ``--hash`` to a commented block at the end of a lock text."""
    head: list[str] = []
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if _starts_requirement(line) or (line.startswith("#") and blocks):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            head.append(line)
    kept: list[str] = list(head)
    unhashed: list[str] = []
    for block in blocks:
        if _starts_requirement(block[0]) and not any("--hash=" in line for line in block):
            unhashed.append(block[0].rstrip(" \\"))
        else:
            kept.extend(block)
    if unhashed:
        kept += [*UNHASHED_NOTE.splitlines(), *(f"# {line}" for line in unhashed)]
    return ("\n".join(kept) + "\n" if kept else ""), tuple(unhashed)


def pins(text: str) -> dict[str, str]:
    """Normalized name -> pinned version (or ``@url``) of each requirement in a lock text."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match and _starts_requirement(line):
            found[normalize(match.group(1))] = match.group(2) or f"@{match.group(3)}"
    return found


def conflicting_pins(locks: Mapping[str, str]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Packages pinned to more than one version across lock texts: name -> version -> files."""
    seen: dict[str, dict[str, list[str]]] = {}
    for file in sorted(locks):
        for name, version in pins(locks[file]).items():
            seen.setdefault(name, {}).setdefault(version, []).append(file)
    return {
        name: {version: tuple(files) for version, files in versions.items()}
        for name, versions in sorted(seen.items())
        if len(versions) > 1
    }


def _relocated(text: str, stage: str, req_dir: str) -> str:
    prefix = "" if req_dir.strip("/") in ("", ".") else req_dir.strip("/") + "/"
    return text.replace(f"{stage}/", prefix)


def _inputs(target: Path, inputs: Mapping[str, str] | None) -> dict[str, str]:
    if inputs is None:
        inputs = {
            in_name(g): (target / in_name(g)).read_text(encoding="utf-8")
            for g in GROUPS
            if (target / in_name(g)).is_file()
        }
    missing = [in_name(g) for g in GROUPS if in_name(g) not in inputs]
    if missing:
        raise InputError(
            f"cannot lock without {', '.join(missing)}", path=str(target), hint="run the split step first"
        )
    return dict(inputs)


def lock(
    project: Path,
    *,
    python_version: str,
    req_dir: str = "requirements",
    inputs: Mapping[str, str] | None = None,
    python_platform: str | None = "linux",
) -> Locked:
    """Lock the four sets of ``project``; returns the lock texts, writes nothing in ``req_dir``.

    ``inputs`` maps ``<group>.in`` to its text (default: the files in ``req_dir``). Existing locks in
    ``req_dir`` are kept as uv's starting point, so unchanged inputs keep their pins.
    """
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", python_version):
        raise ConfigError(f"python version {python_version!r} is not X.Y", hint="for example 3.11")
    root = project.resolve()
    target = root / req_dir
    texts = _inputs(target, inputs)
    uv = process.tool_path("uv") or "uv"
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".dockyard-lock-", dir=target.parent))
    staged = rel(stage, root)
    files: dict[str, str] = {}
    unhashed: dict[str, tuple[str, ...]] = {}
    try:
        for group in GROUPS:
            (stage / in_name(group)).write_text(texts[in_name(group)], encoding="utf-8")
            previous = target / lock_name(group)
            if previous.is_file():
                shutil.copyfile(previous, stage / lock_name(group))
            argv = lock_command(
                f"{staged}/{in_name(group)}",
                f"{staged}/{lock_name(group)}",
                python_version=python_version,
                python_platform=python_platform,
                emit_index=_INDEX_FLAGS.search(texts[in_name(group)]) is not None,
                uv=uv,
            )
            result = process.run(argv, cwd=root, hint=LOCK_HINT)
            text, aside = set_aside_unhashed(_relocated(result.stdout, staged, req_dir))
            (stage / lock_name(group)).write_text(text, encoding="utf-8")
            files[lock_name(group)] = text
            unhashed[group] = aside
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    _check_consistent(files)
    findings = tuple(
        Finding(
            level="warning",
            code="not-hash-locked",
            message=f"{group}.txt: {line} is locked without hashes; install it separately",
        )
        for group, lines in unhashed.items()
        for line in lines
    )
    return Locked(
        files=types.MappingProxyType(files), unhashed=types.MappingProxyType(unhashed), findings=findings
    )


def _check_consistent(files: Mapping[str, str]) -> None:
    conflicts = conflicting_pins(files)
    if conflicts:
        shown = "; ".join(
            f"{name}: " + ", ".join(f"{v} in {'/'.join(fs)}" for v, fs in versions.items())
            for name, versions in conflicts.items()
        )
        raise DockyardError(
            f"the locks disagree on versions ({shown})",
            hint="a user -c file or an index option may have let a layer escape its constraints; "
            "check the .in files",
        )


def all_hashed(text: str) -> bool:
    """Whether every requirement in a lock text carries a hash (the set-aside block is comments)."""
    return not set_aside_unhashed(text)[1]
