"""The developer guide (docs/developer-guide.md), generated from the project's real state.

:func:`collect` reads what the phases left in the project into a :class:`Guide`; :func:`render` turns
it into Markdown with links relative to docs/, and :func:`broken_links` checks every one exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dockyard import ci, ui
from dockyard import dockerfile as dockerfile_mod
from dockyard.bench import report, results, stats
from dockyard.bench.results import BenchResult
from dockyard.config import Settings
from dockyard.errors import DockyardError
from dockyard.render import writer
from dockyard.render.templating import environment

GUIDE = "docs/developer-guide.md"
CHART = "docs/build-benchmark.png"
SCAN_REPORT = "scan/latest.json"  # inside the state directory: the JSON `dockyard scan` leaves
LATEST_BENCH = "bench/latest.json"
BASELINE = "baseline/result.json"
DOCKERFILE = "docker/Dockerfile"
GROUPS = ("base", "ml", "test", "dev")
GROUP_ROLES = {
    "base": "what the service imports at run time; the only group in the runtime image",
    "ml": "large scientific and ML packages (numpy, scikit-learn, torch, ...), built in a stage of their "
    "own so a change elsewhere does not reinstall them",
    "test": "what the tests need (pytest and plugins); only in the test and dev stages",
    "dev": "tools for development (linters, type checkers, the reloading server's extras); dev stage only",
}
MAX_FINDINGS = 20
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@dataclass(frozen=True, kw_only=True)
class FileState:
    path: str  # relative to the project, posix
    state: str  # generated, edited, yours, missing
    note: str = ""
    made_by: str = ""  # the command that writes it, when that is not the phase's own

    @property
    def exists(self) -> bool:
        return self.state != "missing"


@dataclass(frozen=True, kw_only=True)
class Phase:
    number: int
    title: str
    summary: str
    files: tuple[FileState, ...]
    command: str


@dataclass(frozen=True, kw_only=True)
class Group:
    name: str
    input: FileState
    lock: FileState
    packages: int
    stages: tuple[str, ...]
    role: str


@dataclass(frozen=True, kw_only=True)
class TaskInfo:
    name: str
    summary: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ScanSummary:
    source: str
    counts: tuple[tuple[str, int], ...]  # severity, count; most severe first
    tools: tuple[tuple[str, int], ...]
    findings: tuple[tuple[str, str, str, str, str], ...]  # severity, tool, rule, location, message
    total: int


@dataclass(frozen=True, kw_only=True)
class Guide:
    project: str
    settings: Settings
    phases: tuple[Phase, ...]
    stages: tuple[str, ...]
    cache_mounts: int
    groups: tuple[Group, ...]
    declared: tuple[str, ...]
    bench_source: str | None
    bench: BenchResult | None
    chart: str | None  # the chart, relative to the project, when there is one
    tasks: tuple[TaskInfo, ...]
    pipeline: ci.Pipeline
    ci_files: tuple[FileState, ...]
    scan: ScanSummary | None
    new_files: tuple[str, ...]
    #: (path, digest) of every file the guide describes: a change to any of them makes it stale
    sources: tuple[tuple[str, str], ...]


# --- reading the project ------------------------------------------------------------------------------


def file_state(root: Path, rel: str, note: str = "", made_by: str = "") -> FileState:
    """Whether ``rel`` is there, and whether it is dockyard's unedited output (files with a header)."""
    path = root / rel
    if not path.exists():
        return FileState(path=rel, state="missing", note=note, made_by=made_by)
    state = "generated"
    if path.is_file() and _has_header_format(rel):
        fmt = writer.format_for(rel)
        if not writer.is_generated(path, fmt=fmt):
            text = path.read_text(encoding="utf-8", errors="replace")
            state = "edited" if writer.strip_header(text, fmt)[1] is not None else "yours"
    return FileState(path=rel, state=state, note=note, made_by=made_by)


def _has_header_format(rel: str) -> bool:
    try:
        return writer.format_for(rel) is not writer.Format.JSON
    except ValueError:
        return False


def _count_pins(path: Path) -> int:
    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return sum(1 for line in lines if re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==", line))


def _dockerfile(root: Path) -> dockerfile_mod.Dockerfile | None:
    path = root / DOCKERFILE
    if not path.is_file():
        return None
    try:
        return dockerfile_mod.parse_file(path)
    except DockyardError:
        return None


def _stages_using(parsed: dockerfile_mod.Dockerfile | None, rel: str) -> tuple[str, ...]:
    if parsed is None:
        return ()
    return tuple(
        stage.ref for stage in parsed.stages if any(rel in ins.original for ins in stage.instructions)
    )


def _cache_mounts(parsed: dockerfile_mod.Dockerfile | None) -> int:
    if parsed is None:
        return 0
    return sum(
        1 for stage in parsed.stages for run in stage.runs for m in run.mounts if m.get("type") == "cache"
    )


def _phases(s: Settings, state_dir: str) -> tuple[Phase, ...]:
    root, req = s.project, s.requirements_dir
    lock_files = [
        f"{req}/{g}.{ext}" for g in GROUPS for ext in ("in", "txt") if (root / req / f"{g}.{ext}").exists()
    ]
    return (
        Phase(
            number=1,
            title="Preparation",
            summary=f"Requirements split by role and locked with hashes; a `.dockerignore`; the baseline "
            f"benchmark of the original Dockerfile; the `{s.branch}` branch",
            files=(
                *(file_state(root, rel) for rel in lock_files or [f"{req}/base.txt"]),
                file_state(root, ".dockerignore"),
                file_state(root, f"{state_dir}/context-report.md", "the build context before and after"),
                file_state(root, f"{state_dir}/{BASELINE}", "the baseline measurement"),
            ),
            command="dockyard phase1",
        ),
        Phase(
            number=2,
            title="The optimized Dockerfile",
            summary="Multi-stage, BuildKit cache mounts, locked layers ordered from least to most often "
            "changed, a non-root slim runtime; linted, built, smoke-tested and measured",
            files=(file_state(root, DOCKERFILE),),
            command="dockyard phase2",
        ),
        Phase(
            number=3,
            title="Development with Docker Compose",
            summary="A production-like stack and a development override whose `develop.watch` carries "
            "edits into the running container",
            files=tuple(
                file_state(root, rel)
                for rel in ("docker/compose.yaml", "docker/compose.dev.yaml", "docs/development.md")
            ),
            command="dockyard phase3",
        ),
        Phase(
            number=5,
            title="Proof and documentation",
            summary="CI pipelines, the security scan, the build-time trend and this guide",
            files=(
                file_state(root, ci.GITHUB_FILE),
                file_state(root, ci.GITLAB_FILE),
                file_state(root, f"{state_dir}/{SCAN_REPORT}", "the latest scan", "dockyard scan"),
                file_state(
                    root, f"{state_dir}/bench/history.jsonl", "every benchmark so far", "dockyard bench"
                ),
            ),
            command="dockyard phase5",
        ),
    )


def _groups(s: Settings, parsed: dockerfile_mod.Dockerfile | None) -> tuple[Group, ...]:
    root, req = s.project, s.requirements_dir
    found = []
    for name in GROUPS:
        lock = f"{req}/{name}.txt"
        if not (root / lock).is_file() and not (root / req / f"{name}.in").is_file():
            continue
        found.append(
            Group(
                name=name,
                input=file_state(root, f"{req}/{name}.in"),
                lock=file_state(root, lock),
                packages=_count_pins(root / lock),
                stages=_stages_using(parsed, lock),
                role=GROUP_ROLES[name],
            )
        )
    return tuple(found)


def _declared(root: Path) -> tuple[str, ...]:
    from dockyard.requirements.discover import discover

    try:
        return tuple(discover(root).files)
    except DockyardError:
        return ()


def _bench(s: Settings) -> tuple[str | None, BenchResult | None]:
    for rel in (LATEST_BENCH, BASELINE):
        path = s.state_path / rel
        if path.is_file():
            return f"{s.state_dir}/{rel}", results.read_result(path)
    return None, None


def read_scan(path: Path, source: str) -> ScanSummary | None:
    """A scan report: a JSON object whose ``findings`` list holds objects with a ``severity``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    items = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return None
    order = ("critical", "high", "medium", "low", "info", "unknown")
    rows = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        severity = str(item.get("severity") or item.get("level") or "unknown").lower()
        rows.append(
            (
                severity if severity in order else "unknown",
                str(item.get("tool") or ""),
                str(item.get("rule") or item.get("id") or ""),
                str(item.get("location") or item.get("where") or item.get("path") or ""),
                " ".join(str(item.get("message") or "").split())[:160],
            )
        )
    rows.sort(key=lambda r: (order.index(r[0]), r[1], r[2], r[3], r[4]))
    counts = tuple((sev, n) for sev in order if (n := sum(1 for r in rows if r[0] == sev)))
    tools = sorted({r[1] for r in rows if r[1]})
    return ScanSummary(
        source=source,
        counts=counts,
        tools=tuple((t, sum(1 for r in rows if r[1] == t)) for t in tools),
        findings=tuple(rows[:MAX_FINDINGS]),
        total=len(rows),
    )


def _new_files(s: Settings, phases: Iterable[Phase]) -> tuple[str, ...]:
    candidates = {f.path for phase in phases for f in phase.files} | {GUIDE}
    req = s.project / s.requirements_dir
    if req.is_dir():
        candidates |= {f"{s.requirements_dir}/{p.name.removesuffix('.new')}" for p in req.glob("*.new")}
    return tuple(sorted(rel + ".new" for rel in candidates if (s.project / (rel + ".new")).is_file()))


def _sources(s: Settings, phases: Iterable[Phase], *extra: str | None) -> tuple[tuple[str, str], ...]:
    paths = {f.path for phase in phases for f in phase.files} | {rel for rel in extra if rel}
    found = []
    for rel in sorted(paths):
        path = s.project / rel
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            found.append((rel, writer.content_digest(text)[:16]))
    return tuple(found)


def introspect_tasks(collection: Any = None) -> tuple[TaskInfo, ...]:
    """Every task of the invoke collection (default: dockyard's), with its docstring's first line."""
    if collection is None:
        from dockyard.tasks import namespace

        collection = namespace
    infos = []
    for name, aliases in sorted(collection.task_names.items()):
        task = collection[name]
        doc = (getattr(task, "__doc__", None) or "").strip().splitlines()
        infos.append(TaskInfo(name=name, summary=doc[0] if doc else "", aliases=tuple(sorted(aliases))))
    return tuple(infos)


def collect(s: Settings, *, tasks: Sequence[TaskInfo] | None = None, chart: bool = True) -> Guide:
    """What the guide says; ``chart`` False: link the chart only if one is already there."""
    parsed = _dockerfile(s.project)
    phases = _phases(s, s.state_dir)
    bench_source, bench = _bench(s)
    scan_path = s.state_path / SCAN_REPORT
    scan_source = f"{s.state_dir}/{SCAN_REPORT}"
    has_chart = bench is not None and (chart or (s.project / CHART).is_file())
    return Guide(
        project=s.project.name,
        settings=s,
        phases=phases,
        stages=tuple(stage.ref for stage in parsed.stages) if parsed else (),
        cache_mounts=_cache_mounts(parsed),
        groups=_groups(s, parsed),
        declared=_declared(s.project),
        bench_source=bench_source,
        bench=bench,
        chart=CHART if has_chart else None,
        tasks=tuple(tasks) if tasks is not None else introspect_tasks(),
        pipeline=ci.pipeline(s),
        ci_files=(file_state(s.project, ci.GITHUB_FILE), file_state(s.project, ci.GITLAB_FILE)),
        scan=read_scan(scan_path, scan_source) if scan_path.is_file() else None,
        new_files=_new_files(s, phases),
        sources=_sources(s, phases, bench_source, scan_source),
    )


# --- rendering ----------------------------------------------------------------------------------------


def link(rel: str) -> str:
    """A Markdown link from docs/ to a project file."""
    target = PurePosixPath("..", rel).as_posix()
    return f"[`{rel}`]({target})"


def measured_rows(result: BenchResult) -> tuple[list[str], list[list[str]]]:
    """Scenario by variant medians, each against the first variant, and the image sizes."""
    base = result.baseline
    headers = ["scenario", *(v.name for v in result.variants)]
    rows = []
    for scenario in result.scenarios:
        cells = [report.SCENARIO_TITLES.get(scenario, scenario)]
        first = base.scenarios.get(scenario)
        for variant in result.variants:
            measured = variant.scenarios.get(scenario)
            if measured is None:
                cells.append("n/a")
            elif variant is base or first is None:
                cells.append(ui.seconds(measured.summary.median))
            else:
                ratio = report.ratio_text(first.summary, measured.summary)
                cells.append(f"{ui.seconds(measured.summary.median)} ({ratio})")
        rows.append(cells)
    if any(v.image_bytes for v in result.variants):
        sizes = ["runtime image"]
        for variant in result.variants:
            size = "n/a" if variant.image_bytes is None else ui.human_bytes(variant.image_bytes)
            if variant is not base and variant.image_bytes is not None:
                size += f" ({report.size_change_text(base.image_bytes, variant.image_bytes)})"
            sizes.append(size)
        rows.append(sizes)
    return headers, rows


def _executed(result: BenchResult) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (v.name, scenario, measured.executed)
        for scenario in result.scenarios
        if scenario != "cold"
        for v in result.variants
        if (measured := v.scenarios.get(scenario)) and measured.executed
    ]


def render(g: Guide) -> str:
    env = environment()
    env.globals.update(link=link, md_table=_md_table)
    return env.get_template("developer-guide.md.j2").render(
        g=g,
        s=g.settings,
        ci=ci,
        measured=measured_rows(g.bench) if g.bench else None,
        executed=_executed(g.bench) if g.bench else [],
        noisy=any(stats.is_noisy(sc.summary) for v in g.bench.variants for sc in v.scenarios.values())
        if g.bench
        else False,
        guide=GUIDE,
        scan_report=f"{g.settings.state_dir}/{SCAN_REPORT}",
        test_command=" ".join(g.settings.test_command),
    )


def _md_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    return ui.table(rows, headers, fmt="github")


def broken_links(text: str, root: Path, *, doc: str = GUIDE, also: Iterable[str] = ()) -> list[str]:
    """Relative links of ``text`` (written at ``doc``) that name no file; ``also`` will exist."""
    base = PurePosixPath(doc).parent
    coming = set(also)
    broken = []
    for match in _LINK.finditer(text):
        target = match["target"].split("#", 1)[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        rel = PurePosixPath(*(base / target).parts)
        normal = Path(str(root / rel)).resolve()
        inside = (
            normal.relative_to(root.resolve()).as_posix() if normal.is_relative_to(root.resolve()) else None
        )
        if inside in coming:
            continue
        if not normal.exists():
            broken.append(match["target"])
    return broken
