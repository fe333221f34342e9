"""Phase 4: caches that survive a fresh CI runner, and parallel builds with their timeline.

Each step takes a :class:`Phase4` context and returns a :class:`StepReport`; :data:`STEPS` lists them
in order, so a new step (base images, cache cleanup) joins with one line.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dockyard import dockerfile as dockerfile_mod
from dockyard import process
from dockyard.config import Settings
from dockyard.engine import BuildRequest, Engine
from dockyard.engine import cli as docker_cli
from dockyard.engine import timeline as tl
from dockyard.engine.cache import CACHE_MOUNTS_NOTE, build_with_cache, plan_cache
from dockyard.engine.parallel import TargetsResult, build_targets, compose_build, serial_targets
from dockyard.errors import DockyardError
from dockyard.phases.report import (
    FileResult,
    Finding,
    Level,
    Measurement,
    Progress,
    Status,
    StepReport,
    Table,
    no_progress,
)
from dockyard.render import templating
from dockyard.render.writer import GeneratedFile, apply, plan_writes

DOCKERFILE = "docker/Dockerfile"
COMPOSE_FILE = "docker/compose.yaml"
GUIDE = "docs/build-cache.md"
SOURCE = "dockyard phase4"
TARGETS = ("runtime", "test", "dev")
_COPY_IGNORE = (".git", ".dockyard", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache")


@dataclass(frozen=True, kw_only=True)
class Options:
    targets: tuple[str, ...] = TARGETS
    jobs: int = len(TARGETS)
    #: push the registry cache of each target
    export_cache: bool = True
    force: bool = False
    #: time serial against parallel builds of the targets on a scratch copy (three full builds)
    measure: bool = True


@dataclass(frozen=True, kw_only=True)
class Phase4:
    settings: Settings
    engine: Engine
    options: Options = field(default_factory=Options)
    progress: Progress = no_progress

    @property
    def dockerfile(self) -> Path:
        return self.settings.path(DOCKERFILE)

    @property
    def out_dir(self) -> Path:
        return self.settings.state_path / "phase4"

    def request(self, root: Path | None = None) -> BuildRequest:
        root = root or self.settings.project
        return BuildRequest(context=root, dockerfile=root / DOCKERFILE)


Step = Callable[[Phase4], StepReport]


# --- registry cache -------------------------------------------------------------------------------


def registry_cache(ctx: Phase4) -> StepReport:
    """Fill the registry cache of each target, so a fresh CI runner starts warm."""
    name = "registry cache"
    if not ctx.options.export_cache:
        return StepReport(name=name, status=Status.SKIPPED, summary="not asked (--no-cache-export)")
    parsed = dockerfile_mod.parse_file(ctx.dockerfile)
    rows: list[tuple[str, ...]] = []
    cache_from: dict[str, list[str]] = {}
    mode = ""
    for target in ctx.options.targets:
        plan = plan_cache(
            parsed,
            target,
            registry=ctx.settings.registry,
            project=ctx.settings.project.name,
            builder=ctx.engine.builder,
        )
        mode = plan.mode
        ctx.progress(f"registry cache: {target} ({len(plan.stages)} stage(s), {plan.mode})")
        request = replace(ctx.request(), tags=(f"{ctx.settings.project.name.lower()}-{target}:dockyard",))
        build_with_cache(ctx.engine, request, plan, export=True, label=f"cache-{target}")
        rows += [(target, *row) for row in plan.rows()]
        cache_from[target] = list(plan.cache_from())
    how = (
        "one registry cache per target, mode=max"
        if mode == "registry"
        else "each cache stage pushed as its own image with inline cache (this builder cannot export "
        "a cache: classic BuildKit, or buildx's docker driver)"
    )
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=f"pushed to {ctx.settings.registry}: {how}",
        tables=(Table.of("what a fresh runner imports", ["target", "stage", "cache", "ref"], rows),),
        findings=(Finding(level=Level.INFO, message=CACHE_MOUNTS_NOTE),),
        data={"mode": mode, "cache_from": cache_from},
    )


def cache_guide(ctx: Phase4) -> StepReport:
    """Write docs/build-cache.md: what a fresh runner imports, and why cache mounts are not enough."""
    parsed = dockerfile_mod.parse_file(ctx.dockerfile)
    plans = {
        t: plan_cache(
            parsed,
            t,
            registry=ctx.settings.registry,
            project=ctx.settings.project.name,
            builder=ctx.engine.builder,
        )
        for t in ctx.options.targets
    }
    text = (
        templating.environment()
        .get_template("build-cache.md.j2")
        .render(
            registry=ctx.settings.registry,
            mode=next(iter(plans.values())).mode,
            driver=getattr(ctx.engine.builder, "driver", ""),
            rows=[(t, *row) for t, plan in plans.items() for row in plan.rows()],
            cache_from={t: plan.cache_from() for t, plan in plans.items()},
            dockerfile=DOCKERFILE,
        )
    )
    files: dict[Path | str, GeneratedFile] = {GUIDE: GeneratedFile(text, source=SOURCE)}
    outcomes = apply(
        plan_writes(ctx.settings.project, files, force=ctx.options.force, state_dir=ctx.settings.state_dir)
    )
    return StepReport(
        name="cache guide",
        status=Status.DONE,
        summary=GUIDE,
        files=tuple(FileResult(path=str(o.path), action=str(o.action), message=o.message) for o in outcomes),
    )


# --- parallel targets -----------------------------------------------------------------------------


def busted_copy(project: Path, work: Path, token: str) -> Path:
    """A scratch copy whose Dockerfile's first stage carries ``token``: nothing in any cache matches it,
    yet cache mounts stay warm, so serial and parallel runs differ only in how they are scheduled."""
    root = work / token
    shutil.copytree(project, root, symlinks=True, ignore=shutil.ignore_patterns(*_COPY_IGNORE))
    dockerfile = root / DOCKERFILE
    lines = dockerfile.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    lines.insert(first + 1, f"ENV DOCKYARD_TIMING_TOKEN={token}")
    dockerfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def timeline_tables(line: tl.Timeline, title: str) -> tuple[Table, Table]:
    return (
        Table.of(f"{title}: steps over time", tl.HEADERS, tl.rows(line)),
        Table.of(f"{title}: summary", ["", ""], tl.summary(line)),
    )


def parallel_targets(ctx: Phase4) -> StepReport:
    """Build the targets together (bounded), and time that against building them one by one."""
    name = "parallel targets"
    targets = ctx.options.targets
    ctx.progress(f"building {', '.join(targets)} together (jobs={ctx.options.jobs})")
    built = build_targets(
        ctx.engine, ctx.request(), targets, jobs=ctx.options.jobs, name=ctx.settings.project.name.lower()
    )
    tables = [Table.of("targets built", ["target", "image", "cache hits"], _target_rows(built))]
    measurements: list[Measurement] = []
    data: dict[str, object] = {"how": built.how, "jobs": built.jobs}
    summary = f"{len(targets)} targets with {built.how} in {built.wall_s:.1f}s"
    if ctx.options.measure:
        serial, parallel = measure_serial_parallel(ctx)
        ratio = serial.wall_s / parallel.wall_s if parallel.wall_s else 0.0
        measurements += [
            Measurement(name="serial targets", value=round(serial.wall_s, 2), unit="s"),
            Measurement(
                name="parallel targets", value=round(parallel.wall_s, 2), unit="s", baseline=serial.wall_s
            ),
            Measurement(name="serial / parallel", value=round(ratio, 2), unit="x"),
        ]
        tables += timeline_tables(parallel.timeline, "parallel build")
        png = ctx.out_dir / "timeline.png"
        drawn = tl.chart_png(parallel.timeline, png, title=f"{', '.join(targets)} in parallel")
        data.update(
            serial_s=round(serial.wall_s, 2),
            parallel_s=round(parallel.wall_s, 2),
            ratio=round(ratio, 2),
            timeline_png=str(png) if drawn else None,
            critical_by_stage=parallel.timeline.critical_by_stage(),
        )
        summary += (
            f"; from scratch: serial {serial.wall_s:.1f}s, parallel {parallel.wall_s:.1f}s ({ratio:.2f}x)"
            + (f"; timeline chart {png}" if drawn else "; no chart (install dockyard[charts] for a PNG)")
        )
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=summary,
        tables=tuple(tables),
        measurements=tuple(measurements),
        data=data,
    )


def compose_services(ctx: Phase4) -> StepReport:
    """Build the compose file's services, in parallel up to the job bound, with their timeline."""
    name = "compose build"
    file = ctx.settings.path(COMPOSE_FILE)
    if not file.is_file():
        return StepReport(name=name, status=Status.SKIPPED, summary=f"no {COMPOSE_FILE} (phase 3 writes it)")
    ctx.progress(f"docker compose build (COMPOSE_PARALLEL_LIMIT={ctx.options.jobs})")
    wall, line = compose_build(ctx.engine, [file], jobs=ctx.options.jobs)
    services = sorted({s.target for s in line.spans if s.target})
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=f"{len(services)} service(s) ({', '.join(services) or '-'}) built in {wall:.1f}s; "
        f"compose builds services in parallel, at most {ctx.options.jobs} at once (COMPOSE_PARALLEL_LIMIT)",
        tables=timeline_tables(line, "compose build"),
        measurements=(Measurement(name="compose build", value=round(wall, 2), unit="s"),),
    )


def measure_serial_parallel(ctx: Phase4) -> tuple[TargetsResult, TargetsResult]:
    """Serial, then parallel, each on a copy no cache knows; a first untimed copy warms cache mounts."""
    work = Path(tempfile.mkdtemp(prefix="dockyard-phase4-"))
    made: list[str] = []
    name = f"dockyard-timing-{uuid.uuid4().hex[:8]}"
    try:
        runs: list[TargetsResult] = []
        for label in ("warm-up", "serial", "parallel"):
            ctx.progress(f"timing the targets: {label} build on a fresh copy")
            root = busted_copy(ctx.settings.project, work, f"{label}-{uuid.uuid4().hex[:10]}")
            request = ctx.request(root)
            if label == "parallel":
                result = build_targets(
                    ctx.engine, request, ctx.options.targets, jobs=ctx.options.jobs, name=name
                )
            else:
                result = serial_targets(ctx.engine, request, ctx.options.targets, name=name)
            made += [r.image_id for r in result.results.values()]
            runs.append(result)
        return runs[1], runs[2]
    finally:
        docker_cli.remove_images(ctx.engine.docker, [f"{name}-{t}:dockyard" for t in ctx.options.targets])
        docker_cli.remove_dangling(ctx.engine.docker, made)
        shutil.rmtree(work, ignore_errors=True)


def _target_rows(built: TargetsResult) -> list[tuple[str, ...]]:
    from dockyard.ui import human_bytes

    return [
        (target, f"{r.image_id[:19]} ({human_bytes(r.image_bytes)})", f"{r.cache_hit_ratio:.0%}")
        for target, r in built.results.items()
    ]


#: Phase 4's steps, in order.
STEPS: tuple[Step, ...] = (registry_cache, cache_guide, parallel_targets, compose_services)


def run(ctx: Phase4, steps: tuple[Step, ...] = STEPS) -> StepReport:
    """Run each step; a step that fails is reported and the others still run."""
    reports: list[StepReport] = []
    for step in steps:
        try:
            reports.append(step(ctx))
        except DockyardError as exc:
            hint = (Finding(level=Level.ERROR, message=exc.hint),) if exc.hint else ()
            name = step.__name__.replace("_", " ")
            reports.append(StepReport(name=name, status=Status.FAILED, summary=exc.message, findings=hint))
    failed = [r for r in reports if r.status is Status.FAILED]
    return StepReport(
        name="phase4",
        status=Status.FAILED if failed else Status.DONE,
        summary=f"{len(reports) - len(failed)}/{len(reports)} steps done",
        steps=tuple(reports),
    )


def targets_report(built: TargetsResult, *, png: Path | None = None) -> StepReport:
    """``dockyard build`` with several targets: what was built, and the timeline."""
    tables = [Table.of("targets built", ["target", "image", "cache hits"], _target_rows(built))]
    tables += timeline_tables(built.timeline, "build")
    drawn = png is not None and tl.chart_png(built.timeline, png)
    summary = f"{len(built.results)} targets with {built.how} (jobs={built.jobs}) in {built.wall_s:.1f}s"
    if png is not None:
        summary += f"; timeline chart {png}" if drawn else "; no chart (install dockyard[charts] for a PNG)"
    return StepReport(
        name="build",
        status=Status.DONE,
        summary=summary,
        tables=tuple(tables),
        measurements=(Measurement(name="wall", value=round(built.wall_s, 2), unit="s"),),
        data={
            "targets": {t: r.as_json() for t, r in built.results.items()},
            "critical_by_stage": built.timeline.critical_by_stage(),
        },
    )


def run_phase(
    settings: Settings,
    *,
    options: Options | None = None,
    engine: Engine | None = None,
    progress: Progress = no_progress,
) -> StepReport:
    """Phase 2's outputs brought up to date (each step skipped when current), then phase 4's steps,
    then the housekeeping steps: disk use, base-image candidates and GC settings."""
    from dockyard.phases import basecandidates, cleanup, phase2
    from dockyard.render import writer

    engine = engine or Engine.connect(settings)
    steps: list[StepReport] = []
    dockerfile = settings.path(DOCKERFILE)
    # A docker/Dockerfile written by hand is the user's: phase 4 works on it as it is. Otherwise
    # phase 2's outputs are brought up to date first (each step skipped when current).
    if not dockerfile.is_file() or writer.is_generated(dockerfile):
        earlier = phase2.run(
            settings, engine=engine, bench=False, smoke=False, branch=False, progress=progress
        )
        if earlier.failed:
            return StepReport(name="phase4", status=Status.FAILED, summary="phase 2 failed", steps=(earlier,))
        steps.append(
            StepReport(
                name="phase 2 outputs", status=Status.CURRENT, summary="up to date", steps=earlier.steps
            )
        )
    ctx = Phase4(settings=settings, engine=engine, options=options or Options(), progress=progress)
    done = run(ctx)
    steps += done.steps
    runtime = f"{settings.project.name.lower()}:dockyard"
    if process.run([engine.docker, "image", "inspect", runtime], check=False, echo=False).returncode != 0:
        steps.append(
            StepReport(
                name="base-images",
                status=Status.SKIPPED,
                summary=f"no {runtime} image (phase 2 builds it) to derive candidates from",
            )
        )
    else:
        progress("phase 4: base-image candidates")
        try:
            found = basecandidates.build_candidates(
                settings,
                engine,
                runtime,
                basecandidates.default_smoke(settings, engine),
                from_plan=basecandidates.plan_available(settings),
                progress=progress,
            )
            steps.append(basecandidates.report(found, applied=settings.runtime_base))
        except DockyardError as exc:
            steps.append(StepReport(name="base-images", status=Status.FAILED, summary=exc.message))
    steps.append(cleanup.cache_df(settings, engine.docker, builder=engine.buildx_instance))
    steps.append(cleanup.gc_settings(settings, engine.docker, builder=engine.buildx_instance))
    failed = [s for s in steps if s.status is Status.FAILED]
    return StepReport(
        name="phase4",
        status=Status.FAILED if failed else Status.DONE,
        summary=f"{len(steps) - len(failed)}/{len(steps)} steps done",
        steps=tuple(steps),
    )
