"""The .dockerignore phase: Docker's exact ignore semantics, a generated file, and its checks.

Three things live here:

* **Semantics.** :func:`read_patterns` reads a .dockerignore line by line as Docker's CLI does
  (moby ``ignorefile.ReadAll``) and :func:`context_files` walks a context as BuildKit's file sender
  does (``fsutil``), matching with docker-py's port of Docker's ``PatternMatcher``. Two docker-py
  shortcuts are corrected because Docker on Linux differs and the integration test proves it:
  docker-py matches case-insensitively and force-includes ``.dockerignore`` and the Dockerfile,
  while BuildKit matches case-sensitively and leaves them out of what ``COPY`` sees when excluded;
  and docker-py descends into an excluded directory when any exception merely starts with its
  name, while BuildKit descends only when an exception pattern lies inside it (``dir/...``).
  The Dockerfile and .dockerignore always reach the builder, but separately from the context.
* **Generation.** :func:`plan_groups` + :func:`render` produce a commented, deterministic
  .dockerignore for a Python project: junk (VCS, caches, virtualenvs, editors), what the runtime
  image does not need (tests, docs, notebooks, data and model directories found in the project
  unless the Dockerfile copies them or they live inside a Python package), and a secrets deny-list.
* **Checks.** Every path the Dockerfile takes from the context must still be sent (the generated
  file gets a ``!`` exception when not; the user's own file gets an error-level finding), and
  secret-looking files and symlinks leaving the context that would still be sent are reported.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, cast

from docker.utils import build as _dockerbuild
from docker.utils.fnmatch import fnmatchcase as _docker_fnmatchcase
from tabulate import tabulate

from dockyard.dockerfile import ContextPath, Dockerfile
from dockyard.errors import InputError

Level = Literal["error", "warning", "info"]
Kind = Literal["optional", "kept", "junk", "secret", "kept-late"]

DEFAULT_SIZE_THRESHOLD = 10 * 1024 * 1024
SECRET_SCAN_BYTES = 8192

#: Directory names that usually hold data or models; kept when they contain Python code.
DATA_DIR_NAMES: frozenset[str] = frozenset(
    {"data", "datasets", "dataset", "raw_data", "models", "weights", "checkpoints", "artifacts"}
)
#: Experiment trackers' output; code snapshots inside (wandb keeps some) do not make it code.
EXPERIMENT_DIR_NAMES: frozenset[str] = frozenset(
    {"mlruns", "wandb", "lightning_logs", "tensorboard", "outputs", "runs", "multirun"}
)
NOTEBOOK_DIR_NAMES: frozenset[str] = frozenset({"notebooks", "notebook"})
#: Wanted or dropped as a whole by the tests/docs options, so nothing inside is picked on its own.
_WHOLE_DIRS: frozenset[str] = frozenset({"tests", "test", "docs", "doc"})


# --- reading patterns exactly as Docker does ----------------------------------------------------


def read_patterns(text: str, *, source: str = ".dockerignore") -> tuple[str, ...]:
    """The patterns of a .dockerignore, as Docker's CLI reads them.

    Only a ``#`` in the first column starts a comment (``  # x`` is the pattern ``# x``); lines are
    trimmed; ``!`` may be followed by spaces; each pattern is cleaned like Go's ``filepath.Clean``
    and a leading ``/`` is dropped, so ``/foo``, ``./foo`` and ``foo/`` are all ``foo``.
    """
    patterns: list[str] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip()
            if not line:
                raise InputError(
                    "a lone `!` is not a valid pattern (Docker refuses to build)",
                    path=source,
                    line=number,
                    hint="write the path to re-include after the `!`, e.g. `!docs/index.md`",
                )
        pattern = go_clean(line)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
        _check_syntax(pattern, source, number)
        patterns.append(f"!{pattern}" if invert else pattern)
    return tuple(patterns)


def read_dockerignore(path: Path) -> tuple[str, ...]:
    """Patterns of the .dockerignore at ``path``; none when the file does not exist."""
    try:
        return read_patterns(path.read_text(encoding="utf-8"), source=str(path))
    except FileNotFoundError:
        return ()
    except UnicodeDecodeError as exc:
        raise InputError("is not UTF-8 text", path=str(path), hint="save it as UTF-8") from exc


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` for slash-separated paths (``normpath`` keeps a leading ``//``)."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _check_syntax(pattern: str, source: str, line: int) -> None:
    # Go's filepath.Match rejects these and `docker build` then fails before sending anything.
    body = re.sub(r"\[[^\]]*\]", "", pattern.replace("\\\\", ""))
    if "[" in body or pattern.endswith("\\"):
        raise InputError(
            f"`{pattern}` is not a valid pattern (unclosed `[` or trailing `\\`)",
            path=source,
            line=line,
            hint="close the character class or escape the bracket as `\\[`",
        )


# --- matching and the effective context ---------------------------------------------------------


class _Pattern(_dockerbuild.Pattern):
    """docker-py's pattern, matched case-sensitively as Docker does on Linux."""

    def match(self, filepath: str) -> bool:
        return _docker_fnmatchcase(str(filepath), self.cleaned_pattern)


class Matcher(_dockerbuild.PatternMatcher):
    """docker-py's ``PatternMatcher`` without its implicit ``!.dockerignore``.

    ``..`` patterns never match anything in Docker (paths in the context never start with ``..``);
    docker-py would silently strip the ``..``, so they are dropped here.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        kept = [p for p in patterns if not _escapes(p)]
        self.patterns = [p for p in map(_Pattern, kept) if p.dirs]

    def excluded(self, path: str) -> bool:
        # The stub says PathLike; the implementation works on (and Docker passes) plain strings.
        return self.matches(cast("os.PathLike[str]", path))

    @property
    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def descend_into_excluded(self, directory: str) -> bool:
        """BuildKit walks an excluded directory only if an exception pattern lies inside it."""
        prefix = directory + "/"
        return any(p.exclusion and (p.cleaned_pattern + "/").startswith(prefix) for p in self.patterns)


def _escapes(pattern: str) -> bool:
    body = pattern.removeprefix("!")
    return body == ".." or body.startswith("../")


@dataclass(frozen=True)
class ContextFile:
    """A regular file or symlink the build context holds (directories are implied)."""

    path: str
    size: int
    symlink: bool = False


def context_files(root: Path, patterns: Sequence[str]) -> tuple[ContextFile, ...]:
    """Files and symlinks BuildKit sends for ``COPY`` when the context is ``root``, sorted."""
    matcher = Matcher(patterns)
    return tuple(sorted(_walk(root, "", matcher), key=lambda f: f.path))


def _walk(root: Path, prefix: str, matcher: Matcher) -> Iterator[ContextFile]:
    try:
        entries = sorted(os.scandir(root / prefix), key=lambda e: e.name)
    except (PermissionError, FileNotFoundError):
        return
    for entry in entries:
        rel = f"{prefix}/{entry.name}" if prefix else entry.name
        excluded = matcher.excluded(rel)
        if entry.is_dir(follow_symlinks=False):
            if not excluded or (matcher.has_exceptions and matcher.descend_into_excluded(rel)):
                yield from _walk(root, rel, matcher)
        elif not excluded and (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
            yield ContextFile(rel, entry.stat(follow_symlinks=False).st_size, entry.is_symlink())


# --- the size report ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContextReport:
    """What a context holds. ``largest`` aggregates by top-level entry (a directory ends in ``/``):
    that is the level a .dockerignore line acts on, and one big file deep inside still shows up
    as the size of its top-level directory."""

    label: str
    files: int
    bytes: int
    largest: tuple[tuple[str, int], ...]


def context_report(files: Sequence[ContextFile], *, label: str, top: int = 10) -> ContextReport:
    sizes: dict[str, int] = defaultdict(int)
    for f in files:
        head, sep, _ = f.path.partition("/")
        sizes[head + ("/" if sep else "")] += f.size
    largest = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ContextReport(
        label=label, files=len(files), bytes=sum(f.size for f in files), largest=tuple(largest)
    )


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _change(before: int, after: int) -> str:
    if before == 0:
        return "n/a"
    return f"{(after - before) / before * 100:+.1f}%"


def format_reports(before: ContextReport, after: ContextReport) -> str:
    """Before/after totals, then the largest top-level paths of either side."""
    totals = tabulate(
        [
            ["files", f"{before.files:,}", f"{after.files:,}", _change(before.files, after.files)],
            ["size", human_size(before.bytes), human_size(after.bytes), _change(before.bytes, after.bytes)],
        ],
        headers=["context", before.label, after.label, "change"],
        colalign=("left", "right", "right", "right"),
    )
    before_sizes, after_sizes = dict(before.largest), dict(after.largest)
    paths = sorted(
        set(before_sizes) | set(after_sizes),
        key=lambda p: (-max(before_sizes.get(p, 0), after_sizes.get(p, 0)), p),
    )
    rows = [[p, _size_or_dash(before_sizes.get(p)), _size_or_dash(after_sizes.get(p))] for p in paths]
    largest = tabulate(
        rows,
        headers=["largest top-level paths", before.label, after.label],
        colalign=("left", "right", "right"),
    )
    return f"{totals}\n\n{largest}"


def _size_or_dash(size: int | None) -> str:
    return "-" if size is None else human_size(size)


# --- generation ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IgnoreOptions:
    """``include_tests``: the build has a stage that runs the tests, so tests/ must be sent."""

    include_tests: bool = False
    include_docs: bool = False
    size_threshold: int = DEFAULT_SIZE_THRESHOLD
    state_dir: str = ".dockyard"


@dataclass(frozen=True, kw_only=True)
class IgnoreGroup:
    title: str
    why: str
    kind: Kind
    patterns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FoundDir:
    """A directory of the project the runtime image does not need, and why it was picked."""

    path: str
    size: int
    reason: str
    group: Literal["notebooks", "data"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    level: Level
    path: str
    message: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{self.level}: {where}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class ProjectScan:
    found: tuple[FoundDir, ...]
    packages: tuple[str, ...]
    findings: tuple[Finding, ...] = ()


_VCS = ("**/.git", ".hg", ".svn", ".gitignore", ".gitattributes", ".gitmodules")
_PY_CACHES = (
    "**/__pycache__", "**/*.py[cod]", "**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache",
    "**/.hypothesis", ".coverage", ".coverage.*", "coverage.xml", "htmlcov", ".dmypy.json", ".pyre",
    ".pytype",
)  # fmt: skip
_ENVS_AND_BUILDS = (
    ".venv", "venv", "env", ".nox", ".tox", "build", "dist", "**/*.egg-info", ".eggs", "pip-wheel-metadata",
)  # fmt: skip
_EDITORS = ("**/.idea", "**/.vscode", "**/*.swp", "**/*.swo", "**/*~", "**/.DS_Store", "**/Thumbs.db")
_TOOLING = (".github", ".gitlab-ci.yml", ".pre-commit-config.yaml", ".editorconfig", "noxfile.py", "tox.ini")
_DOCKER_FILES = ("Dockerfile*", "*.Dockerfile", ".dockerignore", "docker-compose*.y*ml", "compose*.y*ml")
_SECRETS = (
    "**/.env", "**/.env.*", "!**/.env.example", "!**/.env.sample", "!**/.env.template",
    "**/*.pem", "**/*.key", "**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*",
    "**/*.p12", "**/*.pfx", "**/*.jks", "**/.ssh", "**/.aws", "**/.gnupg", "**/.kube",
    "**/.pypirc", "**/pip.conf", "**/.netrc", "**/.npmrc", "**/.git-credentials",
    "**/credentials.json", "**/.docker/config.json",
)  # fmt: skip


def junk_patterns(options: IgnoreOptions) -> tuple[str, ...]:
    """Patterns for files no image needs (the COPY check does not count them as needed)."""
    return (*_VCS, *_PY_CACHES, *_ENVS_AND_BUILDS, *_EDITORS, *_TOOLING, options.state_dir, *_DOCKER_FILES)


def secret_patterns() -> tuple[str, ...]:
    return _SECRETS


def plan_groups(
    scan: ProjectScan,
    options: IgnoreOptions,
    *,
    kept: Sequence[str] = (),
    kept_late: Sequence[str] = (),
) -> tuple[IgnoreGroup, ...]:
    """The groups of the generated file, in file order.

    Order matters because the last matching line wins: what the runtime may not need comes first,
    then ``!`` exceptions for what the Dockerfile copies, then junk (so an exception for a copied
    directory does not re-include its caches), then secrets, then exceptions for junk or secrets
    the Dockerfile names explicitly.
    """
    notebooks = ("**/.ipynb_checkpoints", *(d.path for d in scan.found if d.group == "notebooks"))
    not_runtime = (
        *(() if options.include_tests else ("tests",)),
        *(() if options.include_docs else ("docs",)),
    )
    data = tuple(d.path for d in scan.found if d.group == "data")
    groups = [
        IgnoreGroup(
            title="Notebooks",
            why="exploration, not the service; checkpoints are editor state",
            kind="optional",
            patterns=notebooks,
        ),
        IgnoreGroup(
            title="Tests and docs",
            why="the runtime image does not run or serve them",
            kind="optional",
            patterns=not_runtime,
        ),
        IgnoreGroup(
            title="Data, models and experiment output found in this project",
            why="large and not code; data inside a Python package and paths the Dockerfile copies stay",
            kind="optional",
            patterns=data,
        ),
        IgnoreGroup(
            title="Kept for the Dockerfile",
            why="COPY/ADD/RUN --mount read these, so they must reach the builder",
            kind="kept",
            patterns=tuple(f"!{p}" for p in kept),
        ),
        IgnoreGroup(
            title="Version control",
            why="history and metadata never belong in an image",
            kind="junk",
            patterns=_VCS,
        ),
        IgnoreGroup(
            title="Python caches and tool state",
            why="rebuilt on demand; they only bust the layer cache",
            kind="junk",
            patterns=_PY_CACHES,
        ),
        IgnoreGroup(
            title="Virtual environments and build output",
            why="host-specific; the image builds its own",
            kind="junk",
            patterns=_ENVS_AND_BUILDS,
        ),
        IgnoreGroup(
            title="Editors and operating systems", why="personal files", kind="junk", patterns=_EDITORS
        ),
        IgnoreGroup(
            title="CI, tooling and dockyard state",
            why="used on the host, not in the image",
            kind="junk",
            patterns=(*_TOOLING, options.state_dir),
        ),
        IgnoreGroup(
            title="Docker build files",
            why="the builder receives the Dockerfile separately; copying them only busts the cache",
            kind="junk",
            patterns=_DOCKER_FILES,
        ),
        IgnoreGroup(
            title="Secrets",
            why="anything sent can end up in a layer; pass secrets with RUN --mount=type=secret",
            kind="secret",
            patterns=_SECRETS,
        ),
        IgnoreGroup(
            title="Named by the Dockerfile although listed above",
            why="the Dockerfile copies these explicitly; check they really belong in the image",
            kind="kept-late",
            patterns=tuple(f"!{p}" for p in kept_late),
        ),
    ]
    trimmed = (_drop_packages(g, scan.packages) for g in groups)
    return tuple(g for g in trimmed if g.patterns)


def _drop_packages(group: IgnoreGroup, packages: Sequence[str]) -> IgnoreGroup:
    # `env` or `build` may be a real Python package in some projects: never drop code as junk.
    # (tests/ and docs/ are often packages too; whether they go is the caller's option.)
    if group.kind != "junk":
        return group
    return replace(group, patterns=tuple(p for p in group.patterns if p not in packages))


HEADER = (
    "What `docker build` leaves out of the build context.",
    "Docker reads it top to bottom and the LAST matching line wins; `!` re-includes a path.",
    "Patterns are anchored at the context root (unlike .gitignore): `*.pyc` matches only at the top,",
    "`**/*.pyc` matches at any depth.",
)


def render(groups: Sequence[IgnoreGroup]) -> str:
    """The .dockerignore text: a pure function of the groups."""
    lines = [f"# {line}" for line in HEADER]
    for group in groups:
        lines += ["", f"# {group.title}: {group.why}.", *group.patterns]
    return "\n".join(lines) + "\n"


def scan_project(root: Path, dockerfiles: Sequence[Dockerfile], options: IgnoreOptions) -> ProjectScan:
    """Find notebook, data and model directories and oversized non-code directories.

    A directory stays when it is (or lies inside) a Python package, or when the Dockerfile copies
    it or a directory above it. Paths the Dockerfile copies from *inside* one are handled later by
    ``!`` exceptions, so the rest of the directory is still left out.
    """
    packages = top_level_packages(root)
    skip = Matcher(p for p in junk_patterns(options) if p not in packages)
    copied = _copied_paths(root, dockerfiles)
    found: list[FoundDir] = []
    findings: list[Finding] = []

    def visit(rel: str, in_package: bool) -> tuple[int, bool]:
        """Size of ``rel`` and whether it holds Python code; records picks on the way."""
        path = root / rel if rel else root
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return 0, False
        is_package = bool(rel) and (path / "__init__.py").is_file()
        size, has_code, children = 0, False, []
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                # Hidden directories are tool state or scratch space (often git-ignored, so they
                # differ between checkouts): never a reason to add a line to a generated file.
                if not skip.excluded(child) and not entry.name.startswith("."):
                    children.append(child)
                continue
            if entry.is_file(follow_symlinks=False):
                size += entry.stat(follow_symlinks=False).st_size
                has_code = has_code or entry.name.endswith(".py")
        picks_before = len(found)
        inside = in_package or is_package or rel in _WHOLE_DIRS
        sub = [(child, *visit(child, inside)) for child in children]
        size += sum(s for _, s, _ in sub)
        has_code = has_code or any(c for _, _, c in sub)
        if rel and not in_package and not is_package and rel not in _WHOLE_DIRS:
            pick = _pick(rel, size, has_code, options)
            if pick is None and has_code and posixpath.basename(rel).lower() in DATA_DIR_NAMES:
                findings.append(Finding(level="info", path=rel, message="kept: it holds Python code"))
            elif pick is not None and _is_copied(rel, copied):
                findings.append(Finding(level="info", path=rel, message="kept: the Dockerfile copies it"))
            elif pick is not None:
                del found[picks_before:]  # one line for the outermost directory is enough
                found.append(pick)
        return size, has_code

    visit("", False)
    return ProjectScan(
        found=tuple(sorted(found, key=lambda d: d.path)), packages=packages, findings=tuple(findings)
    )


def top_level_packages(root: Path) -> tuple[str, ...]:
    """Top-level directories that are Python packages: never excluded, whatever their name."""
    names = (e.name for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
    return tuple(sorted(n for n in names if (root / n / "__init__.py").is_file()))


def _pick(rel: str, size: int, has_code: bool, options: IgnoreOptions) -> FoundDir | None:
    name = posixpath.basename(rel).lower()
    if name in NOTEBOOK_DIR_NAMES:
        return FoundDir(path=rel, size=size, reason="notebooks", group="notebooks")
    if name in EXPERIMENT_DIR_NAMES:
        return FoundDir(path=rel, size=size, reason="experiment tracking output", group="data")
    if name in DATA_DIR_NAMES and not has_code:
        return FoundDir(path=rel, size=size, reason="named like a data or model directory", group="data")
    if size >= options.size_threshold and not has_code:
        limit = human_size(options.size_threshold)
        return FoundDir(path=rel, size=size, reason=f"over {limit} and holds no Python code", group="data")
    return None


def _copied_paths(root: Path, dockerfiles: Sequence[Dockerfile]) -> set[str]:
    everything = {f.path for f in context_files(root, ())} | _all_dirs(root)
    return {p for need in _needs(dockerfiles) for p in expand_source(need.path, everything)}


def _is_copied(rel: str, copied: set[str]) -> bool:
    return any(rel == c or rel.startswith(c + "/") for c in copied)


def _all_dirs(root: Path) -> set[str]:
    found: set[str] = set()
    for dirpath, dirnames, _ in os.walk(root):
        base = Path(dirpath).relative_to(root).as_posix()
        found.update(d if base == "." else f"{base}/{d}" for d in dirnames)
    return found


# --- what the Dockerfile needs from the context -------------------------------------------------


def _needs(dockerfiles: Sequence[Dockerfile]) -> list[ContextPath]:
    return [need for _, need in _labelled_needs(dockerfiles)]


def _labelled_needs(
    dockerfiles: Sequence[Dockerfile], root: Path | None = None
) -> list[tuple[str, ContextPath]]:
    """Context paths the Dockerfiles read, each with the Dockerfile's name for messages.

    Sources with unresolved build args and the context root itself (``COPY . .``) are skipped:
    neither names a path that could go missing.
    """
    return [
        (dockerfile_label(df, root), p)
        for df in dockerfiles
        for p in df.context_paths
        if p.resolved and normalize_source(p.path) != ""
    ]


def dockerfile_label(df: Dockerfile, root: Path | None = None) -> str:
    if df.path is None:
        return "Dockerfile"
    if root is not None and df.path.resolve().is_relative_to(root.resolve()):
        return df.path.resolve().relative_to(root.resolve()).as_posix()
    return str(df.path)


def normalize_source(source: str) -> str:
    """A COPY source as a context-relative path: ``/app/``, ``./app`` and ``app/`` are ``app``;
    the context root itself is ``""``."""
    cleaned = go_clean("/" + source).lstrip("/")
    return cleaned


_GLOB = re.compile(r"[*?\[]")


def expand_source(source: str, paths: Iterable[str]) -> tuple[str, ...]:
    """Context paths a COPY source names: itself, or what its wildcards match component by
    component (``*`` never crosses ``/`` in COPY, unlike in .dockerignore)."""
    target = normalize_source(source)
    known = set(paths)
    if not _GLOB.search(target):
        return (target,) if target in known or any(p.startswith(target + "/") for p in known) else ()
    parts = target.split("/")
    matched = []
    for path in sorted(known):
        pieces = path.split("/")
        if len(pieces) == len(parts) and all(
            fnmatch.fnmatchcase(piece, part.replace("[^", "[!"))
            for piece, part in zip(pieces, parts, strict=True)
        ):
            matched.append(path)
    return tuple(matched)


def _under(path: str, files: Iterable[str]) -> set[str]:
    return {f for f in files if f == path or f.startswith(path + "/")}


@dataclass(frozen=True, kw_only=True)
class NeedCheck:
    """How one context path the Dockerfile reads fares against a set of patterns."""

    need: ContextPath
    dockerfile: str
    paths: tuple[str, ...]
    needed: frozenset[str]
    missing: frozenset[str]
    explicit_junk: bool
    withheld_secrets: frozenset[str] = field(default_factory=frozenset)


def check_needs(
    raw: Sequence[ContextFile],
    sent: Sequence[ContextFile],
    dockerfiles: Sequence[Dockerfile],
    options: IgnoreOptions,
    *,
    root: Path | None = None,
) -> tuple[NeedCheck, ...]:
    """For every COPY/ADD/bind-mount source: which of its files must be sent, and which are not.

    Needed are the files under the source, minus junk and secrets, unless the source itself is
    junk or a secret (``COPY .git .git``, ``COPY .env .``): naming it is asking for it.
    """
    raw_paths = {f.path for f in raw}
    sent_paths = {f.path for f in sent}
    junk, secrets = Matcher(junk_patterns(options)), Matcher(secret_patterns())
    checks = []
    for label, need in _labelled_needs(dockerfiles, root):
        paths = expand_source(need.path, raw_paths | _parents(raw_paths))
        needed: set[str] = set()
        withheld: set[str] = set()
        explicit = False
        for path in paths:
            under = _under(path, raw_paths)
            if junk.excluded(path) or secrets.excluded(path):
                explicit = True
                needed |= under
                continue
            withheld |= {f for f in under if secrets.excluded(f)}
            needed |= {f for f in under if not junk.excluded(f) and not secrets.excluded(f)}
        checks.append(
            NeedCheck(
                need=need,
                dockerfile=label,
                paths=paths,
                needed=frozenset(needed),
                missing=frozenset(needed - sent_paths),
                explicit_junk=explicit,
                withheld_secrets=frozenset(withheld),
            )
        )
    return tuple(checks)


def _parents(paths: Iterable[str]) -> set[str]:
    return {p.rsplit("/", i)[0] for p in paths for i in range(1, p.count("/") + 1)}


def current_file_findings(
    checks: Sequence[NeedCheck], *, source: str = ".dockerignore"
) -> tuple[Finding, ...]:
    """What the project's own .dockerignore does to the paths the Dockerfile reads."""
    findings = []
    # Docker accepts a wildcard source that matches nothing when another source of the same
    # instruction matches (`COPY pyproject.toml poetry.lock* ./`).
    matched = {(c.dockerfile, c.need.stage, c.need.line) for c in checks if c.paths}
    for check in checks:
        need, dockerfile = check.need, check.dockerfile
        if not check.paths and _GLOB.search(need.path) and (dockerfile, need.stage, need.line) in matched:
            continue
        if not check.paths:
            findings.append(
                Finding(
                    level="error",
                    path=dockerfile,
                    line=need.line,
                    message=f"{need.keyword} source `{need.path}` does not exist in the build context",
                )
            )
        elif check.missing and check.missing == check.needed:
            findings.append(
                Finding(
                    level="error",
                    path=source,
                    message=f"excludes `{need.path}`, which {dockerfile}:{need.line} ({need.keyword}) needs;"
                    " the build will fail or miss files",
                )
            )
        elif check.missing:
            shown = ", ".join(sorted(check.missing)[:3])
            findings.append(
                Finding(
                    level="warning",
                    path=source,
                    message=f"excludes {len(check.missing)} file(s) under `{need.path}` that "
                    f"{dockerfile}:{need.line} copies (e.g. {shown})",
                )
            )
    return tuple(findings)


# --- secrets and symlinks -----------------------------------------------------------------------

_SECRET_NAMES = (
    ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "credentials.json",
    "*.p12", "*.pfx", "*.jks", ".pypirc", ".netrc", ".git-credentials", ".npmrc", "service-account*.json",
)  # fmt: skip
_NOT_SECRET = (".env.example", ".env.sample", ".env.template", "*.pub")
_SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg"})
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")


def secret_findings(root: Path, files: Sequence[ContextFile]) -> tuple[Finding, ...]:
    """Secret-looking files among ``files``: by name, by directory, or by a private key inside."""
    findings = []
    for f in files:
        if f.symlink:
            continue
        name = posixpath.basename(f.path)
        reason = None
        if any(fnmatch.fnmatchcase(name, p) for p in _NOT_SECRET):
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in _SECRET_NAMES):
            reason = "its name marks it as a secret"
        elif _SECRET_DIRS & set(f.path.split("/")[:-1]):
            reason = "it sits in a credentials directory"
        elif _has_private_key(root / f.path):
            reason = "it contains a private key"
        if reason:
            findings.append(
                Finding(
                    level="warning",
                    path=f.path,
                    message=f"would be sent to the builder and {reason}; exclude it and pass it with "
                    "RUN --mount=type=secret if the build needs it",
                )
            )
    return tuple(findings)


def _has_private_key(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_PRIVATE_KEY.search(handle.read(SECRET_SCAN_BYTES)))
    except OSError:
        return False


def symlink_findings(root: Path, files: Sequence[ContextFile]) -> tuple[Finding, ...]:
    """Symlinks that point outside the context: Docker sends the link, not what it points to."""
    base = root.resolve()
    findings = []
    for f in files:
        if not f.symlink:
            continue
        link = root / f.path
        target = link.readlink()
        resolved = (link.parent / target).resolve()
        if resolved != base and base not in resolved.parents:
            findings.append(
                Finding(
                    level="warning",
                    path=f.path,
                    message=f"is a symlink to {target}, outside the build context; the image gets a dangling "
                    "link. Copy the file into the project or mount it at run time",
                )
            )
    return tuple(findings)


# --- the phase in one call ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DockerignorePlan:
    text: str
    groups: tuple[IgnoreGroup, ...]
    found: tuple[FoundDir, ...]
    kept: tuple[str, ...]
    before: ContextReport
    after: ContextReport
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")


def generate(
    project: Path,
    dockerfiles: Sequence[Dockerfile],
    options: IgnoreOptions | None = None,
    *,
    current: Sequence[str] | None = None,
) -> DockerignorePlan:
    """Plan the generated .dockerignore for ``project`` and measure it against the current one.

    ``current`` are the patterns in use now (default: read ``project/.dockerignore``).
    Nothing is written; the text is for the render writer.
    """
    options = options or IgnoreOptions()
    if current is None:
        current = read_dockerignore(project / ".dockerignore")
    raw = context_files(project, ())
    before_files = context_files(project, current)
    findings = list(current_file_findings(check_needs(raw, before_files, dockerfiles, options, root=project)))
    scan = scan_project(project, dockerfiles, options)
    findings += scan.findings
    kept, kept_late = _exceptions(project, raw, scan, dockerfiles, options)
    groups = plan_groups(scan, options, kept=kept, kept_late=kept_late)
    text = render(groups)
    after_files = context_files(project, read_patterns(text))
    for check in check_needs(raw, after_files, dockerfiles, options, root=project):
        findings += _generated_findings(check, kept, kept_late)
    findings += secret_findings(project, after_files)
    findings += symlink_findings(project, after_files)
    label = "current .dockerignore" if current else "no .dockerignore"
    findings = list(dict.fromkeys(findings))
    return DockerignorePlan(
        text=text,
        groups=groups,
        found=scan.found,
        kept=(*kept, *kept_late),
        before=context_report(before_files, label=label),
        after=context_report(after_files, label="generated"),
        findings=tuple(findings),
    )


def render_dockerignore(
    project: Path, dockerfiles: Sequence[Dockerfile], options: IgnoreOptions | None = None
) -> str:
    """Just the text of the generated .dockerignore (it reads the project, writes nothing)."""
    return generate(project, dockerfiles, options, current=()).text


def _exceptions(
    project: Path,
    raw: Sequence[ContextFile],
    scan: ProjectScan,
    dockerfiles: Sequence[Dockerfile],
    options: IgnoreOptions,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``!`` lines needed so every COPY source is sent: early ones, and ones after junk/secrets."""
    patterns = read_patterns(render(plan_groups(scan, options)))
    sent = context_files(project, patterns)
    kept: list[str] = []
    kept_late: list[str] = []
    for check in check_needs(raw, sent, dockerfiles, options):
        if not check.missing:
            continue
        line = normalize_source(check.need.path)
        bucket = kept_late if check.explicit_junk else kept
        if line not in bucket:
            bucket.append(line)
    return tuple(sorted(kept)), tuple(sorted(kept_late))


def _generated_findings(check: NeedCheck, kept: Sequence[str], kept_late: Sequence[str]) -> list[Finding]:
    need = check.need
    where = f"{check.dockerfile}:{need.line}"
    source = normalize_source(need.path)
    findings: list[Finding] = []
    if check.missing:
        findings.append(
            Finding(
                level="error",
                path=".dockerignore",
                message=f"the generated file still leaves out {len(check.missing)} file(s) {where} needs",
            )
        )
    if source in kept:
        findings.append(
            Finding(
                level="info",
                path=".dockerignore",
                message=f"added `!{source}`: {where} ({need.keyword}) reads it",
            )
        )
    if source in kept_late:
        findings.append(
            Finding(
                level="warning",
                path=".dockerignore",
                message=f"added `!{source}` after the junk/secret lines because {where} ({need.keyword})"
                " names it; make sure it belongs in the image",
            )
        )
    for secret in sorted(check.withheld_secrets):
        findings.append(
            Finding(
                level="warning",
                path=secret,
                message=f"left out as a secret although {where} copies `{need.path}`; if the app needs it, "
                "mount it at run time or add `!" + secret + "` to .dockerignore",
            )
        )
    return findings


def report_lines(plan: DockerignorePlan) -> Iterator[str]:
    """Human lines for the task to print: the size table, then findings."""
    yield format_reports(plan.before, plan.after)
    for finding in plan.findings:
        yield finding.render()
