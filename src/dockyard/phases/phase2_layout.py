"""Where the application's files go in the generated image, and how the project itself is installed.

The layout follows the original's COPY lines (a subdirectory copied to the WORKDIR stays there); a
project installed as a package gets an editable install keyed on its metadata files, so a code change
copies source files and nothing else, unless it compiles extensions (then a wheel is built).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from dockyard import contract, dockerignore, history
from dockyard import dockerfile as dockerfile_mod
from dockyard.errors import InputError
from dockyard.render.dockerfile import EditableInstall, FileCopy
from dockyard.requirements import dockerfile_installs
from dockyard.requirements.model import normalize

#: Top-level entries that never belong in the runtime image.
NOT_RUNTIME = {
    "tests", "test", "docs", "doc", "notebooks", "scripts", "examples", "benchmarks", "requirements",
    "docker", "build", "dist", "htmlcov", "node_modules", "Dockerfile", "compose.yaml", "compose.yml",
    "docker-compose.yml", "docker-compose.yaml", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini",
    "noxfile.py", "tasks.py", "conftest.py", "Makefile", "README.md", "README.rst", "LICENSE",
    "CHANGELOG.md", "requirements.txt", "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock", "venv",
    "pytest.ini", "mypy.ini", "mkdocs.yml", "codecov.yml", "CODEOWNERS",
}  # fmt: skip
#: Without git history: configuration changes least, then data, then code.
FALLBACK_RANK = {"config": 0, "conf": 0, "settings": 0, "static": 1, "templates": 1, "data": 1, "models": 1}
#: Files that only say what to install; the locks replace them.
_MANIFEST = re.compile(
    r"^(requirements.*\.(txt|in)|constraints.*\.txt|.*\.lock|Pipfile(\.lock)?|pyproject\.toml|setup\.(py|cfg))$"
)
METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
_COMPILED_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".pxd", ".rs", ".f90")
_COMPILING_BACKENDS = (
    "maturin",
    "scikit-build",
    "scikit_build",
    "meson-python",
    "mesonpy",
    "setuptools-rust",
)
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "build", "dist", "tests", "test", "docs", ".tox"}


def runtime_paths(project: Path) -> list[str]:
    """Top-level files and directories the running service may need, and the build context has: a
    path the project's .dockerignore leaves out would fail the COPY (``"/devel" not found``)."""
    ignore = project / ".dockerignore"
    ignored = dockerignore.Matcher(dockerignore.read_dockerignore(ignore)) if ignore.is_file() else None
    paths = []
    for entry in sorted(project.iterdir()):
        name = entry.name
        if ignored is not None and ignored.excluded(name) and not ignored.descend_into_excluded(name):
            continue
        if name.startswith(".") or name in NOT_RUNTIME or name.endswith((".md", ".rst", ".ipynb", ".txt")):
            continue
        if name.startswith(("Dockerfile", "test_", "requirements")) or name.endswith((".in", ".lock")):
            continue
        if name.endswith((".egg-info", ".dist-info")) or name in {"PKG-INFO", "MANIFEST.in"}:
            continue  # an sdist's build metadata: the install makes its own (.dockerignore drops it)
        if entry.is_dir() and not any(entry.rglob("*")):
            continue
        paths.append(name)
    return paths


def project_dir(current: contract.Contract | None) -> str:
    """Where the project's root lives in the image (the dev stage's copy of the context, an editable
    install): where the original copied the context root, else its WORKDIR, else /app. An original
    without WORKDIR still runs from ``/`` (``DockerfilePlan.runtime_workdir``)."""
    if current is not None:
        for copy in current.copies:
            if copy.source == "":
                return copy.dest
        if current.workdir and current.workdir != "/":
            return current.workdir
    return "/app"


def copies(
    project: Path,
    current: contract.Contract | None,
    *,
    counts: Counter[str],
    skip: Iterable[str] = (),
) -> tuple[FileCopy, ...]:
    """The runtime image's COPY lines: the original's, less tests, docs and dependency manifests,
    each top-level path of a ``COPY . DIR`` on its own line, least often changed first."""
    skipped = set(skip)
    root = project_dir(current)
    found: list[FileCopy] = []
    originals = current.copies if current is not None and current.copies else (contract.AppCopy(
        source="", dest=root, line=0
    ),)  # fmt: skip
    writable = set(current.writable_dirs) if current is not None else set()
    for original in originals:
        for source, dest in _expand(project, original):
            top = source.split("/")[0]
            if top in skipped or (source == top and _MANIFEST.match(top)):
                continue
            chown = original.chown or dest in writable
            found.append(FileCopy(source=source, dest=dest, chown=chown))
    if current is not None:
        found += _executables(project, current, found)
    order = history.order_by_stability(
        list(dict.fromkeys(c.source.split("/")[0] for c in found)), counts, fallback=FALLBACK_RANK
    )
    rank = {name: i for i, name in enumerate(order)}
    unique = list({(c.source, c.dest): c for c in found}.values())
    return tuple(sorted(unique, key=lambda c: (c.chmod is not None, rank[c.source.split("/")[0]])))


def _expand(project: Path, original: contract.AppCopy) -> list[tuple[str, str]]:
    dest = PurePosixPath(original.dest)
    if original.source == "":
        return [(name, str(dest / name)) for name in runtime_paths(project)]
    if re.search(r"[*?\[]", original.source):
        return [(m, str(dest.parent / PurePosixPath(m).name)) for m in _glob(project, original.source)]
    path = project / original.source
    if not path.exists():
        return []
    if path.is_dir() and original.source.split("/")[0] in NOT_RUNTIME:
        return []
    return [(original.source, str(dest))]


def _glob(project: Path, pattern: str) -> list[str]:
    """Context paths a COPY wildcard matches, component by component (``*`` never crosses ``/``)."""
    parts = pattern.split("/")
    found = [""]
    for part in parts:
        found = [
            f"{base}/{entry.name}".lstrip("/")
            for base in found
            if (project / base).is_dir()
            for entry in sorted((project / base).iterdir())
            if fnmatch.fnmatchcase(entry.name, part)
        ]
    return found


def _executables(project: Path, current: contract.Contract, found: Sequence[FileCopy]) -> list[FileCopy]:
    """Files the original made executable, or that its command names, copied with their mode."""
    named = [w for w in current.command for w in w.split() if w.startswith(("/", "./")) or "/" in w]
    wanted = [*current.executables, *(str(PurePosixPath(current.workdir or "/", w)) for w in named)]
    extra: list[FileCopy] = []
    for path in dict.fromkeys(wanted):
        for copy in current.copies:
            source = _source_of(path, copy)
            if source is None or not (project / source).is_file():
                continue
            executable = path in current.executables
            if executable or not any(c.source == source or source.startswith(c.source + "/") for c in found):
                extra.append(FileCopy(source=source, dest=path, chmod="0755" if executable else None))
            break
    return extra


def _source_of(path: str, copy: contract.AppCopy) -> str | None:
    dest = PurePosixPath(copy.dest)
    target = PurePosixPath(path)
    if target == dest and copy.source:
        return copy.source
    if dest in target.parents:
        return str(PurePosixPath(copy.source or ".", target.relative_to(dest))).removeprefix("./")
    return None


# --- the project as a package ---------------------------------------------------------------------


def _pyproject(project: Path) -> dict[str, object]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"cannot read TOML: {exc}", path=str(path)) from exc


def installs_project(project: Path, current: contract.Contract | None = None) -> bool:
    """Installed as a package: a pyproject with [project] and [build-system], or a project with a
    build system of another kind (Poetry's ``[tool.poetry]``, setup.py/setup.cfg) whose original
    Dockerfile installs it (``pip install .``, ``-e .``, ``pip install /src``, ``setup.py install``),
    or a setup.py/setup.cfg project whose requirements file names the project itself (``-e .``, ``.``)."""
    data = _pyproject(project)
    if "project" in data and "build-system" in data:
        return True
    if (
        "build-system" in data
        and current is not None
        and (current.installs_itself or _installs_own_release(data, current))
    ):
        return True
    if not any((project / name).is_file() for name in ("setup.py", "setup.cfg")):
        return False
    return (current is not None and current.installs_itself) or requirements_name_project(project)


def _installs_own_release(data: dict[str, object], current: contract.Contract) -> bool:
    """The original installs the project's own distribution from the index by name (sherlock's
    ``pip install sherlock-project==$VERSION_TAG``): built from the source instead, it is the same
    program at the version being worked on."""
    tool = data.get("tool")
    tables = [data.get("project"), tool.get("poetry") if isinstance(tool, dict) else None]
    names = {normalize(str(t["name"])) for t in tables if isinstance(t, dict) and t.get("name")}
    if not names:
        return False
    installed = dockerfile_installs.installs(dockerfile_mod.parse_file(current.dockerfile))
    return any(
        i.kind == "package" and normalize(re.split(r"[<>=!~\[;@ ]", i.path, maxsplit=1)[0]) in names
        for i in installed
    )


#: ``-e .``, ``--editable=./``, ``.``, ``file:.``, ``.[extra]``: a requirements line naming its own directory.
_SELF_LINE = re.compile(r"^(?:(?:-e|--editable)[\s=]+)?(?:file:)?\.(?:/)?(?:\[[^\]]*\])?\s*(?:[;#].*)?$")


def requirements_name_project(project: Path) -> bool:
    """A requirements file in the project root installs the project itself (``-e .``)."""
    for path in sorted(project.glob("*requirements*.txt")):
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if any(_SELF_LINE.match(line.strip()) for line in lines):
            return True
    return False


def compiled_reason(project: Path) -> str | None:
    """Why the project needs a wheel build (compiled extensions), or None."""
    data = _pyproject(project)
    system = data.get("build-system")
    requires = system.get("requires", []) if isinstance(system, dict) else []
    backend = next(
        (r for r in requires if isinstance(r, str) and r.lower().startswith(_COMPILING_BACKENDS)), None
    )
    if backend:
        return f"its build backend ({backend}) compiles extensions"
    setup = project / "setup.py"
    if setup.is_file() and re.search(r"ext_modules|Extension\(|cythonize", setup.read_text(errors="replace")):
        return "setup.py declares ext_modules"
    tool = data.get("tool")
    if (
        isinstance(tool, dict)
        and isinstance(tool.get("setuptools"), dict)
        and "ext-modules" in tool["setuptools"]
    ):
        return "[tool.setuptools] declares ext-modules"
    for path in _sources(project):
        if path.suffix in _COMPILED_SUFFIXES:
            return f"it has compiled sources ({path.relative_to(project).as_posix()})"
    return None


def _sources(project: Path) -> Iterable[Path]:
    for entry in sorted(project.iterdir()):
        if entry.name in _SKIP_DIRS or entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from (p for p in entry.rglob("*") if p.is_file() and not set(p.parts) & _SKIP_DIRS)
        else:
            yield entry


def packages(project: Path) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The source root (``src`` or ``""``), its top-level packages and its top-level modules."""
    root = "src" if (project / "src").is_dir() else ""
    base = project / root
    pkgs = tuple(
        e.name
        for e in sorted(base.iterdir())
        if e.is_dir() and (e / "__init__.py").is_file() and (root or e.name not in NOT_RUNTIME)
    )
    modules = tuple(
        e.name
        for e in sorted(base.iterdir())
        if e.is_file() and e.suffix == ".py" and e.name not in NOT_RUNTIME and e.name not in METADATA_FILES
        and not e.name.startswith("test_")
    )  # fmt: skip
    return root, pkgs, modules


def editable_install(project: Path, target: str) -> EditableInstall:
    """Metadata files, what they read (readme, license, version files, ``__init__.py`` of each
    package), and empty stand-ins for the top-level modules, for an editable install at ``target``."""
    root, pkgs, modules = packages(project)
    text = "\n".join(
        (project / n).read_text(errors="replace") for n in METADATA_FILES if (project / n).is_file()
    )
    files = [n for n in METADATA_FILES if (project / n).is_file()]
    # Files next to the metadata that it names (README.md, LICENSE, VERSION, requirements.txt).
    files += [
        e.name
        for e in sorted(project.iterdir())
        if e.is_file() and e.name not in files and not e.name.startswith(".") and e.name in text
    ]
    files += [str(PurePosixPath(root, p, "__init__.py")) for p in pkgs]
    files += [
        str(PurePosixPath(p.relative_to(project).as_posix()))
        for match in re.findall(r"""(?:path|file|attr)\s*[=:]\s*["']?([\w./-]+)""", text)
        for p in _version_files(project, root, match)
    ]
    # A file of a package the metadata names by its name alone (datasette's setup.py reads
    # os.path.join(here, "datasette", "version.py")).
    quoted = set(re.findall(r"""["']([\w.-]+\.(?:py|txt|json|cfg|toml))["']""", text))
    files += [
        str(PurePosixPath(root, p, name))
        for p in pkgs
        for name in sorted(quoted)
        if (project / root / p / name).is_file()
    ]
    # A relative path the metadata names (sherlock's Poetry ``readme = "docs/pyproject/README.md"``):
    # the build backend reads it while it makes the editable install.
    named = re.findall(r"""["']((?:[\w.-]+/)+[\w.-]+\.(?:md|rst|txt|toml|cfg|json|py|in))["']""", text)
    files += [path for path in named if ".." not in path.split("/") and (project / path).is_file()]
    stubs = [str(PurePosixPath(target, root, m)) for m in modules]
    return EditableInstall(project_dir=target, files=tuple(dict.fromkeys(files)), stubs=tuple(stubs))


def _version_files(project: Path, root: str, reference: str) -> list[Path]:
    """The file a dynamic version names: a path (hatch, setuptools ``file:``) or ``pkg.mod.attr``."""
    candidates = [project / reference]
    if "." in reference and "/" not in reference:
        parts = reference.split(".")[:-1]
        for base in {project, project / root}:
            candidates += [base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")]
    return [c for c in candidates if c.is_file() and c.suffix == ".py"]
