"""The checks of ``dockyard verify``, as pure functions: the original image and the generated one
compared on their running contract, their installed distributions, their imports and smoke tests.
Each check is a :class:`Check` row with a cell per image, a verdict and the differences it found.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from dockyard import contract
from dockyard.engine.image_config import ImageConfig
from dockyard.requirements.model import normalize
from dockyard.smoke import SmokeResult

#: Set by the generated Dockerfile on purpose; listed, never a failure.
EXPECTED_ENV = frozenset(
    {
        "VIRTUAL_ENV",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "UV_COMPILE_BYTECODE",
        "UV_LINK_MODE",
        "UV_PYTHON_DOWNLOADS",
    }
)
#: Set by the Python base image itself: a newer patch release of the base changes them.
BASE_IMAGE_ENV = frozenset(
    {
        "PYTHON_VERSION", "PYTHON_SHA256", "GPG_KEY", "PYTHON_PIP_VERSION", "PYTHON_SETUPTOOLS_VERSION",
        "PYTHON_GET_PIP_URL", "PYTHON_GET_PIP_SHA256", "LANG",
    }
)  # fmt: skip
#: Installers, present or not depending on how an environment was made.
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "distribute"})
#: Tools that install a project's dependencies into the environment they live in themselves
#: (``pip install poetry && poetry install``): they and what only they require are the installer's,
#: not the application's, and the generated image installs from the locks without them.
INSTALLER_TOOLS = frozenset({"poetry", "pipenv", "pdm", "pip-tools", "hatch", "pipx", "virtualenv"})
#: Where Debian keeps the Python packages of its own (the stand-in base image's python3-pip).
SYSTEM_SITE = "/usr/lib/python3/dist-packages"
NOT_MODULES = frozenset(
    {"setup", "conftest", "noxfile", "tasks", "manage", "fabfile", "tests", "test", "docs"}
)


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    original: str
    generated: str
    ok: bool
    differences: tuple[str, ...] = ()  # what made it fail
    notes: tuple[str, ...] = ()  # expected differences, listed

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "original": self.original,
            "generated": self.generated,
            "ok": self.ok,
            "differences": list(self.differences),
            "notes": list(self.notes),
        }


def _cmd(argv: Sequence[str]) -> str:
    return json.dumps(list(argv)) if argv else "(none)"


# --- the running contract -------------------------------------------------------------------------------


def command_check(
    original: ImageConfig, generated: ImageConfig, *, command_set: bool = False, unnamed: bool = False
) -> Check:
    """``unnamed``: the original's Dockerfile names no command (its image runs the base image's), so
    the project runs it with one of its own (compose's ``command``, a Procfile): verify ran both
    images with the generated one."""

    def show(image: ImageConfig) -> str:
        return f"ENTRYPOINT {_cmd(image.entrypoint)} CMD {_cmd(image.cmd)}"

    same = (original.entrypoint, original.cmd) == (generated.entrypoint, generated.cmd)
    notes: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    entrypoint, cmd, runner = contract.without_runner(original.entrypoint or None, original.cmd or None)
    if not same and unnamed:
        base = shlex.join(original.argv) or "nothing"
        notes = (
            f"the original's Dockerfile names no command (its image runs the base image's {base}); "
            f"both images were run with {shlex.join(generated.argv)!r}",
        )
    elif not same and original.argv == generated.argv:
        notes = (f"split differently, the same command: {shlex.join(generated.argv)}",)
    elif not same and runner and (*(entrypoint or ()), *(cmd or ())) == generated.argv:
        notes = (
            f"the same command without `{runner}`: the venv is on PATH, the installer is not in the image",
        )
    elif not same and command_set:
        notes = ("app_command is set: the generated command is the configured one",)
    elif not same:
        differences = (f"runs {shlex.join(generated.argv)!r}, the original {shlex.join(original.argv)!r}",)
    return Check(
        name="entrypoint and command",
        original=show(original),
        generated=show(generated),
        ok=not differences,
        differences=differences,
        notes=notes,
    )


def path_entries(value: str) -> list[str]:
    return [p for p in value.split(":") if p]


def env_check(original: Mapping[str, str], generated: Mapping[str, str]) -> Check:
    differences: list[str] = []
    notes: list[str] = []
    for key, value in sorted(original.items()):
        if key == "PATH":
            missing = [p for p in path_entries(value) if p not in path_entries(generated.get("PATH", ""))]
            added = [p for p in path_entries(generated.get("PATH", "")) if p not in path_entries(value)]
            if missing:
                differences.append(f"PATH lacks {', '.join(missing)}")
            if added:
                notes.append(f"PATH adds {', '.join(added)} (the virtual environment)")
        elif key not in generated:
            (notes if key in BASE_IMAGE_ENV else differences).append(f"{key}={value} is missing")
        elif generated[key] != value:
            text = f"{key}={generated[key]}, the original {value}"
            (notes if key in BASE_IMAGE_ENV else differences).append(text)
    for key in sorted(set(generated) - set(original)):
        why = " (expected)" if key in EXPECTED_ENV else ""
        notes.append(f"adds {key}={generated[key]}{why}")
    return Check(
        name="environment",
        original=f"{len(original)} variables",
        generated=f"{len(generated)} variables",
        ok=not differences,
        differences=tuple(differences),
        notes=tuple(notes),
    )


def workdir_check(original: ImageConfig, generated: ImageConfig) -> Check:
    same = (original.workdir or "/") == (generated.workdir or "/")
    return Check(
        name="working directory",
        original=original.workdir or "/",
        generated=generated.workdir or "/",
        ok=same,
        differences=() if same else (f"{generated.workdir or '/'} instead of {original.workdir or '/'}",),
    )


def ports_check(original: ImageConfig, generated: ImageConfig) -> Check:
    want, have = {str(p) for p in original.ports}, {str(p) for p in generated.ports}
    missing, added = sorted(want - have), sorted(have - want)
    return Check(
        name="ports",
        original=", ".join(str(p) for p in original.ports) or "(none)",
        generated=", ".join(str(p) for p in generated.ports) or "(none)",
        ok=not missing and not added,
        differences=tuple(f"{p} not exposed" for p in missing)
        + tuple(f"{p} exposed in addition" for p in added),
    )


def volumes_check(original: ImageConfig, generated: ImageConfig) -> Check:
    missing = sorted(set(original.volumes) - set(generated.volumes))
    added = sorted(set(generated.volumes) - set(original.volumes))
    return Check(
        name="volumes",
        original=", ".join(original.volumes) or "(none)",
        generated=", ".join(generated.volumes) or "(none)",
        ok=not missing and not added,
        differences=tuple(f"VOLUME {v} is missing" for v in missing)
        + tuple(f"VOLUME {v} added" for v in added),
    )


def user_check(original: ImageConfig, generated: ImageConfig) -> Check:
    """The generated image runs as a non-root user, even when the original ran as root."""
    notes: tuple[str, ...] = ()
    if original.runs_as_root and not generated.runs_as_root:
        notes = (f"the original runs as root; the generated image as {generated.user}",)
    elif not generated.runs_as_root and original.user != generated.user:
        notes = (f"non-root in both, as {generated.user} instead of {original.user}",)
    return Check(
        name="user",
        original=original.user or "root",
        generated=generated.user or "root",
        ok=not generated.runs_as_root,
        differences=("the generated image runs as root",) if generated.runs_as_root else (),
        notes=notes,
    )


def contract_checks(
    original: ImageConfig, generated: ImageConfig, *, command_set: bool = False, unnamed: bool = False
) -> list[Check]:
    return [
        command_check(original, generated, command_set=command_set, unnamed=unnamed),
        env_check(original.env, generated.env),
        workdir_check(original, generated),
        ports_check(original, generated),
        volumes_check(original, generated),
        user_check(original, generated),
    ]


# --- installed distributions --------------------------------------------------------------------------------

#: Run inside an image by its own Python: every distribution it can import, with where it lives.
LIST_DISTRIBUTIONS = """\
import importlib.metadata as m, json, sys
found = [[d.metadata["Name"], d.version, str(getattr(d, "_path", "")), d.requires or []]
         for d in m.distributions() if d.metadata["Name"]]
print(json.dumps({"python": sys.version.split()[0], "executable": sys.executable, "distributions": found}))
"""


@dataclass(frozen=True, kw_only=True)
class Installed:
    python: str
    executable: str
    versions: Mapping[str, str]  # normalized name -> version, outside the system's own site
    #: normalized name -> the names its Requires-Dist lines name (extras' too), for those that list them
    requires: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    #: normalized name -> version in the system's own site: importable, not counted as the image's
    #: (Debian's python3-pip), except for a locked one the venv leaves to the base (include-system-site)
    system: Mapping[str, str] = dataclasses.field(default_factory=dict)


def parse_installed(text: str) -> Installed:
    """The last JSON line :data:`LIST_DISTRIBUTIONS` printed; Debian's own packages are left out."""
    line = [x for x in text.splitlines() if x.startswith("{")][-1]
    data = json.loads(line)
    versions: dict[str, str] = {}
    requires: dict[str, tuple[str, ...]] = {}
    system: dict[str, str] = {}
    for name, version, where, *rest in data["distributions"]:
        if str(where).startswith(SYSTEM_SITE):
            system.setdefault(normalize(name), version)
            continue
        versions[normalize(name)] = version
        if rest:
            requires[normalize(name)] = required_names(rest[0])
    return Installed(
        python=data["python"],
        executable=data["executable"],
        versions=versions,
        requires=requires,
        system=system,
    )


def required_names(lines: Sequence[str]) -> tuple[str, ...]:
    """The distributions ``Requires-Dist`` lines name, extras' included (an installer asks for its
    dependencies' extras: poetry for ``pbs-installer[download,install]``)."""
    names = []
    for text in lines:
        try:
            names.append(normalize(Requirement(text).name))
        except InvalidRequirement:
            continue
    return tuple(dict.fromkeys(names))


def installer_tree(installed: Installed, keep: Iterable[str]) -> frozenset[str]:
    """The installer tools in ``installed`` (:data:`INSTALLER_TOOLS`) and every distribution that only
    they need: what they require, transitively, less what ``keep`` (the runtime locks) holds."""
    kept = frozenset(keep)
    found: set[str] = set()
    todo = [name for name in INSTALLER_TOOLS if name in installed.versions]
    while todo:
        name = todo.pop()
        if name in found or name in kept or name not in installed.versions:
            continue
        found.add(name)
        todo += installed.requires.get(name, ())
    return frozenset(found)


def distributions_check(
    original: Installed | None,
    generated: Installed,
    *,
    runtime_locks: Mapping[str, str],
    dev_locks: Mapping[str, str],
    project: str = "",
) -> Check:
    """Every runtime distribution at its locked version; the original's runtime ones all present;
    no dev or test distribution in the generated image. ``project`` is the project's own
    distribution name: when the generated image runs it from source, its absence is listed only."""
    differences: list[str] = []
    notes: list[str] = []
    have = generated.versions
    for name, version in sorted(runtime_locks.items()):
        if name not in have and generated.system.get(name) == version:
            notes.append(f"{name}=={version}: the base image's own copy, which the venv sees")
        elif name not in have:
            differences.append(f"{name}=={version} (locked) is not installed")
        elif have[name] != version and not version.startswith("@"):  # "@url": a direct reference
            differences.append(f"{name} is {have[name]}, locked {version}")
    dev_only = set(dev_locks) - set(runtime_locks)
    for name in sorted(dev_only & set(have)):
        differences.append(f"{name} (a dev or test dependency) is installed")
    if original is not None:
        installer = installer_tree(original, {*runtime_locks, *dev_only})
        if installer:
            notes.append(
                f"dropped: installer tool ({', '.join(sorted(installer & INSTALLER_TOOLS))} and "
                f"{len(installer - INSTALLER_TOOLS)} distributions only it needs: "
                f"{', '.join(sorted(installer - INSTALLER_TOOLS)) or 'none'})"
            )
        for name, version in sorted(original.versions.items()):
            if name in TOOLING or name in dev_only or name in installer:
                continue
            if name not in have and name == normalize(project or "-"):
                notes.append(f"the project itself ({name}) is not installed: it runs from its source")
            elif name not in have:
                differences.append(f"{name}=={version} is in the original, not in the generated image")
            elif name in runtime_locks and version != runtime_locks[name]:
                notes.append(f"{name}: the original has {version}, the lock {runtime_locks[name]}")
    seen = {**generated.system, **have}
    locked = sum(
        1 for name, v in runtime_locks.items() if seen.get(name) == v or (v[:1] == "@" and name in have)
    )
    return Check(
        name="python distributions",
        original=f"{len(original.versions)} (Python {original.python})" if original else "n/a",
        generated=f"{len(have)} (Python {generated.python}), {locked}/{len(runtime_locks)} at the lock",
        ok=not differences,
        differences=tuple(differences),
        notes=tuple(notes),
    )


# --- the project's own modules -----------------------------------------------------------------------------

#: Run inside an image: import each module named on the command line, report errors by name.
IMPORT_MODULES = """\
import importlib, json, sys
result = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        result[name] = ""
    except BaseException as exc:
        result[name] = (type(exc).__name__ + ": " + str(exc))[:300]
print(json.dumps(result))
"""


def project_modules(project: Path) -> tuple[str, ...]:
    """Top-level packages and modules of the project (at its root or under ``src/``), leaving out
    tests, tool files and scripts that do their work at import time."""
    found: list[str] = []
    for root in (project, project / "src"):
        if not root.is_dir():
            continue
        for entry in sorted(root.iterdir()):
            name = entry.stem
            if entry.name.startswith((".", "_")) or name in NOT_MODULES or name.startswith("test"):
                continue
            if not name.isidentifier():
                continue
            package = entry.is_dir() and (entry / "__init__.py").is_file()
            if package or (entry.suffix == ".py" and not _runs_at_import(entry)):
                found.append(name)
    return tuple(dict.fromkeys(found))


def project_name(project: Path) -> str:
    """The project's distribution name from pyproject.toml (PEP 621 or Poetry), or ""."""
    path = project / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ""
    name = data.get("project", {}).get("name") or data.get("tool", {}).get("poetry", {}).get("name")
    return str(name or "")


def _runs_at_import(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return True
    return any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) for node in tree.body)


def parse_imports(text: str) -> dict[str, str]:
    line = [x for x in text.splitlines() if x.startswith("{")][-1]
    return {str(k): str(v) for k, v in json.loads(line).items()}


def imports_check(
    modules: Sequence[str], original: Mapping[str, str] | None, generated: Mapping[str, str]
) -> Check:
    """Each module imports in the generated image; one that fails in the original too is listed."""

    def cell(result: Mapping[str, str]) -> str:
        good = sum(1 for m in modules if result.get(m) == "")
        return f"{good}/{len(modules)} import"

    failing = [m for m in modules if generated.get(m) != ""]
    both = [m for m in failing if original is not None and original.get(m)]
    differences = tuple(f"{m}: {generated.get(m) or 'not tried'}" for m in failing if m not in both)
    notes = tuple(f"{m} fails in the original too: {original[m]}" for m in both if original)
    return Check(
        name="project modules import",
        original=cell(original) if original is not None else "n/a",
        generated=cell(generated) if modules else "(no modules found)",
        ok=not differences,
        differences=differences,
        notes=notes,
    )


# --- smoke tests ---------------------------------------------------------------------------------------


def smoke_check(original: SmokeResult | None, generated: SmokeResult) -> Check:
    """A command's exit code and output must match the original's; a service must answer."""
    differences: list[str] = []
    notes: list[str] = []
    if generated.probe.kind == "command" and original is not None and original.probe.kind == "command":
        if original.exit_code != generated.exit_code:
            differences.append(f"exit code {generated.exit_code}, the original {original.exit_code}")
        first = first_difference(original.output, generated.output)
        if first:
            differences.append(f"output differs: {first}")
        if not original.ok and not differences:
            notes.append("the original fails the same way")
    elif not generated.ok:
        differences.append(generated.summary)
        differences.extend(_log_tail(generated.output))
        if _PERMISSION.search(generated.output):
            notes.append(
                "the generated image runs as a non-root user: where the application writes outside the "
                "directories made for it, add them to the `writable_dirs` setting, or point the "
                "application at a writable path (its environment)"
            )
    if original is not None and not original.ok and generated.probe.kind != "command":
        notes.append(f"the original fails: {original.summary}")
        last = _last_error(generated.output)
        if not generated.ok and last and last == _last_error(original.output):
            notes.append(
                f"both fail the same way ({last}): neither starts with what dockyard knows of its "
                "environment, so this check cannot tell them apart"
            )
    return Check(
        name="smoke test",
        original=original.summary if original else "n/a",
        generated=generated.summary,
        ok=not differences,
        differences=tuple(differences),
        notes=tuple(notes),
    )


_PERMISSION = re.compile(
    r"Permission denied|EACCES|Read-only file system|unable to open database file|Operation not permitted"
)


def _last_error(output: str) -> str:
    """The last line of a failure's log (a traceback's exception), with container-specific numbers
    (ports, addresses, ids) left as they are: the same error in both images reads the same."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _log_tail(output: str, lines: int = 3) -> list[str]:
    """The container's last non-blank log lines, each as ``log: LINE``, for a service that failed."""
    # Python's traceback underlines (^^^^, ~~~~) say nothing out of context
    kept = [line.strip() for line in output.splitlines() if line.strip().strip("^~ ")]
    return [f"log: {line[:200]}" for line in kept[-lines:]]


#: Where an installer puts packages: a venv, /usr/local (the official image), /usr (Debian's Python).
_PACKAGES_DIR = re.compile(r"/[^\s\"']*?/(?:site|dist)-packages/")


def _comparable(text: str) -> list[str]:
    """Lines with trailing blanks dropped and package paths made alike: the same traceback from
    ``/usr/local/lib/python3.11/site-packages`` and from ``/opt/venv/lib/...`` is the same failure."""
    return [_PACKAGES_DIR.sub("<packages>/", line.rstrip()) for line in text.strip().splitlines()]


def first_difference(before: str, after: str) -> str:
    """The first line that differs (trailing blanks and package directories ignored), or ""."""
    a = _comparable(before)
    b = _comparable(after)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"line {i + 1}: {y!r}, the original {x!r}"
    if len(a) != len(b):
        return f"{len(b)} lines, the original {len(a)}"
    return ""
