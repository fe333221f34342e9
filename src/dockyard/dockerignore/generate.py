"""Generation: a commented, deterministic .dockerignore for a Python project, and the plan that
carries it with its before/after report and checks.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard import layout
from dockyard.dockerfile import Dockerfile
from dockyard.dockerignore.checks import (
    NeedCheck,
    _needs,
    check_needs,
    current_file_findings,
    expand_source,
    normalize_source,
    secret_findings,
    symlink_findings,
)
from dockyard.dockerignore.model import (
    _DOCKER_FILES,
    _EDITORS,
    _ENVS_AND_BUILDS,
    _PY_CACHES,
    _SECRETS,
    _TOOLING,
    _VCS,
    _WHOLE_DIRS,
    DATA_DIR_NAMES,
    EXPERIMENT_DIR_NAMES,
    NOTEBOOK_DIR_NAMES,
    Finding,
    FoundDir,
    IgnoreGroup,
    IgnoreOptions,
    ProjectScan,
    junk_patterns,
)
from dockyard.dockerignore.report import ContextReport, context_report, format_reports, human_size
from dockyard.dockerignore.semantics import (
    ContextFile,
    Matcher,
    context_files,
    read_dockerignore,
    read_patterns,
)


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
        current = read_dockerignore(project / layout.DOCKERIGNORE)
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
