"""Lock the four sets with one ``uv pip compile --generate-hashes`` and split the result into layers.

All four ``.in`` files are compiled together, once, so constraints that cross sets hold (see
:mod:`.resolve`); the pinned set is then split into ``base.txt``, ``ml.txt``, ``test.txt`` and ``dev.txt``,
each package in the earliest layer that needs it, each still hash-locked. A project's own lock
(``uv.lock``, ``poetry.lock``, ``pdm.lock``, ``Pipfile.lock``) enters as a constraints file of its pins,
so the resolution keeps its versions exactly. uv runs in the project root, like pip would.

Reproducible output: ``--no-header``, the lock's ``# via`` comments are kept, and the existing locks are
handed to uv as its output file, so uv keeps their pins unless the input asks for something else. The
files are compiled in a temporary directory beside the requirements directory (same depth, so relative
paths resolve alike); a failure is explained with the user's files (:mod:`.lock_errors`).

Editable installs, VCS checkouts and local directories cannot be hash-locked: uv resolves them (their
dependencies are pinned and hashed like any other) but prints them without ``--hash``, and pip refuses
a file that mixes hashed and unhashed lines. So such lines are moved to a commented block at the end of
their layer, and returned in :attr:`Locked.unhashed`: install them after the lock, with ``--no-deps``.
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
from dockyard.requirements import lock_errors, resolve
from dockyard.requirements.model import GROUPS, Finding, Group, Locked, normalize
from dockyard.requirements.requirements_txt import rel
from dockyard.requirements.split import in_name, lock_name

LOCK_HINT = "all sets are resolved together; see the lines named above"
RESOLUTION = "resolution.in"
#: The line a lock carries when it needs an index whose URL holds credentials (phase 2 reads it from a
#: BuildKit secret of this id); the URL itself is never written.
PRIVATE_INDEX = "# dockyard: private index ({flag}) from the BuildKit secret " + "dockyard_index"
PINS = "project-lock-pins.txt"
COMPILED = "resolution.txt"
UNHASHED_NOTE = (
    "# dockyard: not hash-locked (editable install, VCS checkout or local path); their dependencies are\n"
    "# pinned above. Install them after this file, without dependencies: pip install --no-deps <line>"
)
_VCS = re.compile(r"@\s*(git|hg|svn|bzr)\+")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;\\]+)|@\s*(\S+))")


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


_LAYER_CONSTRAINT = re.compile(r"^-c\s+(base|ml|test|dev)\.txt\s*$")


def _is_option(line: str) -> bool:
    return line.startswith("-") and not line.startswith(("-e ", "--editable", "-c ", "-r "))


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


def resolve_command(
    sources: list[str],
    out_file: str,
    *,
    python_version: str,
    python_platform: str | None = "linux",
    uv: str = "uv",
) -> list[str]:
    """The one ``uv pip compile`` of every set together."""
    argv = [uv, "pip", "compile", "--generate-hashes"]
    argv += ["--python-version", python_version]
    if python_platform:
        argv += ["--python-platform", python_platform]
    argv += ["--no-header", *sources, "-o", out_file]
    return argv


def staged_inputs(
    texts: Mapping[str, str], *, constraints: str, private_options: tuple[str, ...]
) -> tuple[dict[str, str], list[str]]:
    """What the one resolution reads: ``resolution.in`` (options once, the project lock's pins) and the
    four ``.in`` texts without option lines or the old layered ``-c <group>.txt`` lines; and the public
    option lines every layer file repeats."""
    options: list[str] = []
    staged: dict[str, str] = {}
    for group in GROUPS:
        kept = []
        for line in texts[in_name(group)].splitlines():
            if _LAYER_CONSTRAINT.match(line.strip()):
                continue
            if _is_option(line.strip()):
                if line.strip() not in options:
                    options.append(line.strip())
                continue
            kept.append(line)
        staged[in_name(group)] = "\n".join(kept) + "\n"
    head = [*options, *private_options]
    if constraints:
        staged[PINS] = constraints
        head.append(f"-c {PINS}")
    staged[RESOLUTION] = "\n".join(["# every set, resolved once", *head]) + "\n"
    return staged, options


def lock_sets(
    project: Path,
    *,
    python_version: str,
    req_dir: str = "requirements",
    inputs: Mapping[str, str] | None = None,
    python_platform: str | None = "linux",
    direct: Mapping[str, Group] | None = None,
    constraints: str = "",
    private_options: tuple[str, ...] = (),
    origins: Mapping[str, tuple[str, ...]] | None = None,
    findings_before: tuple[str, ...] = (),
    preferred: Mapping[str, str] | None = None,
) -> Locked:
    """Lock the four sets of ``project`` in one resolution; returns the layer texts, writes nothing.

    ``inputs`` maps ``<group>.in`` to its text (default: the files in ``req_dir``); ``direct`` maps each
    direct dependency to its group; ``constraints`` holds the pins of the project's own lock;
    ``private_options`` are index options that must not reach a generated file (credentials);
    ``preferred`` versions seed the resolution like the previous locks do (uv keeps a version from its
    output file when it still satisfies): what the base image already has, as pip would leave it.
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
    staged_texts, options = staged_inputs(texts, constraints=constraints, private_options=private_options)
    previous = "".join(p.read_text(encoding="utf-8") for p in _previous(target))
    locked_before = pins(previous)
    fresh = {name: version for name, version in (preferred or {}).items() if name not in locked_before}
    try:
        for name, text in staged_texts.items():
            (stage / name).write_text(text, encoding="utf-8")
        seed = previous + "".join(f"{name}=={version}\n" for name, version in fresh.items())
        if seed:
            (stage / COMPILED).write_text(seed, encoding="utf-8")
        argv = resolve_command(
            [f"{staged}/{RESOLUTION}", *(f"{staged}/{in_name(g)}" for g in GROUPS)],
            f"{staged}/{COMPILED}",
            python_version=python_version,
            python_platform=python_platform,
            uv=uv,
        )
        result = process.run(argv, cwd=root, check=False, hint=LOCK_HINT)
        if result.returncode != 0:
            raise lock_errors.explain(
                argv,
                result.returncode,
                result.stderr or result.stdout,
                staged=staged,
                req_dir=req_dir,
                origins=origins or {},
                findings=findings_before,
            )
        compiled = _relocated(result.stdout, staged, req_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    split = resolve.split_resolution(compiled, files={in_name(g): g for g in GROUPS}, direct=direct or {})
    flags = sorted({line.split()[0] for line in private_options if line.startswith("--")})
    marks = [
        PRIVATE_INDEX.format(flag=flag) for flag in flags if flag in ("--index-url", "--extra-index-url")
    ]
    for group in GROUPS:
        _head, found = split[group]
        body = [line for block in found for line in block.lines]
        text, aside = set_aside_unhashed("\n".join([*marks, *options, *body]) + "\n")
        files[lock_name(group)] = text
        unhashed[group] = aside
    _check_consistent(files)
    findings = tuple(
        Finding(
            level="warning",
            code="not-hash-locked",
            message=f"{group}.txt: {line} is locked without hashes; "
            + (
                "the runtime image does not install it (a test or dev layer)"
                if group not in ("base", "ml")
                else "phase 2 builds it into a hash-checked wheel on the host"
                if _VCS.search(line)
                else "phase 2 installs it in a layer of its own"
            ),
        )
        for group, lines in unhashed.items()
        for line in lines
    )
    resolved = pins("".join(files.values()))
    findings += tuple(
        Finding(
            level="info",
            code="kept-preinstalled",
            package=name,
            message=f"{name}=={version}: the version the original's base image already has, kept as its "
            "pip keeps a requirement that is already satisfied",
        )
        for name, version in sorted(fresh.items())
        if resolved.get(name) == version
    )
    return Locked(
        files=types.MappingProxyType(files), unhashed=types.MappingProxyType(unhashed), findings=findings
    )


def _previous(target: Path) -> list[Path]:
    return [target / lock_name(g) for g in GROUPS if (target / lock_name(g)).is_file()]


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


def unhashed_lines(text: str) -> tuple[str, ...]:
    """The lines a lock text lists in its set-aside block (:data:`UNHASHED_NOTE`)."""
    lines = text.splitlines()
    note = UNHASHED_NOTE.splitlines()
    for index in range(len(lines) - len(note) + 1):
        if lines[index : index + len(note)] == note:
            return tuple(
                line.removeprefix("# ") for line in lines[index + len(note) :] if line.startswith("# ")
            )
    return ()


def all_hashed(text: str) -> bool:
    """Whether every requirement in a lock text carries a hash (the set-aside block is comments)."""
    return not set_aside_unhashed(text)[1]
