"""Phase 2, the optimized build: render, lint, build, smoke-test, measure against the baseline.

The decisions live in :mod:`dockyard.phases.phase2_plan`; this module carries them out, each step
returning a report, after bringing phase 1's outputs up to date.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from dockyard import contract, layout, shared_libraries, ui, wheelhouse
from dockyard.bench import report as bench_report
from dockyard.bench import results, stats
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options
from dockyard.config import Settings
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.cli import remove_images
from dockyard.errors import InputError
from dockyard.phases import files as write_files
from dockyard.phases import phase1
from dockyard.phases import verify as verify_phase
from dockyard.phases.benchmark import run_benchmark
from dockyard.phases.build import build_report, measured_build
from dockyard.phases.phase2_plan import original, plan_dockerfile
from dockyard.phases.report import (
    Finding,
    Level,
    Measurement,
    Progress,
    Status,
    StepReport,
    Table,
    no_progress,
    phase_report,
)
from dockyard.render import dockerfile as render_dockerfile
from dockyard.render import writer
from dockyard.render.writer import GeneratedFile, WritePlan
from dockyard.scan import SCANNERS, ScanResult, at_or_above
from dockyard.wheelhouse import vcs

DOCKERFILE = layout.DOCKERFILE
RUNTIME_TARGET = layout.RUNTIME_TARGET


def plan_files(
    settings: Settings, *, force: bool = False, docker: str | None = None
) -> tuple[WritePlan, list[str]]:
    """The Dockerfile to write, and notes. With a current wheelhouse it installs from it, offline."""
    plan = plan_dockerfile(settings, docker=docker)
    notes: list[str] = list(plan.notes)
    if docker is not None and (settings.project / wheelhouse.DIRNAME).is_dir():
        # the Dockerfile picks the wheelhouse of the platform it is built for: every one must be current
        states = [
            wheelhouse.status(plan, settings.project, docker, platform)
            for platform in settings.platforms or (None,)
        ]
        where = ", ".join(f"{s.directory.relative_to(settings.project)}/" for s in states)
        if all(s.up_to_date and s.platform is not None for s in states):
            plan = wheelhouse.use(plan)
            notes.append(f"installing offline from {where} (its key matches the locks)")
        else:
            stale = ", ".join(sorted({w.name for s in states for w in s.stale}))
            notes.append(f"{where} is stale ({stale}): not used; `dockyard wheels` refreshes it")
    text = render_dockerfile.render(plan)
    files: dict[Path | str, GeneratedFile] = {
        DOCKERFILE: GeneratedFile(text, source="requirements/*.txt and [tool.dockyard] settings")
    }
    return writer.plan_writes(settings.project, files, force=force, state_dir=settings.state_dir), notes


@dataclass(frozen=True)
class LintReport:
    results: tuple[ScanResult, ...]

    @property
    def blocking(self) -> list[str]:
        """hadolint at warning or above, trivy at HIGH or above: the gate."""
        bad: list[str] = []
        for result in self.results:
            level = "warning" if result.tool == "hadolint" else "high"
            bad += [f.render() for f in at_or_above(result.findings, level)]
        return bad

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for r in self.results:
            if not r.ran:
                rows.append((r.tool, f"skipped: {r.skipped_because}"))
            else:
                rows.append((r.tool, f"{len(r.findings)} finding(s)" if r.findings else "clean"))
        return rows


def lint(settings: Settings, dockerfile: Path) -> LintReport:
    config = settings.project / layout.HADOLINT_CONFIG
    results = (
        SCANNERS["hadolint"].scan(dockerfile, config=config if config.is_file() else None),
        SCANNERS["trivy-config"].scan(dockerfile),
    )
    return LintReport(results)


def require_clean(report: LintReport, dockerfile: Path) -> None:
    if report.blocking:
        raise InputError(
            "the generated Dockerfile fails the lint gate:\n  " + "\n  ".join(report.blocking),
            path=str(dockerfile),
            hint="this is a dockyard bug if the file is unedited; otherwise fix the reported lines",
        )


def dockerfile_step(
    settings: Settings, *, dry: bool = False, force: bool = False, engine: Engine | None = None
) -> StepReport:
    """Render docker/Dockerfile from phase 1's locks and write it (skipped when current)."""
    if dry and not (settings.project / layout.requirements_lock(settings, "base")).is_file():
        return StepReport(
            name=DOCKERFILE,
            status=Status.SKIPPED,
            summary="rendered from phase 1's locks, which this dry run does not write; "
            "after `dockyard phase1`, `dockyard phase2 --dry-run` shows its diff",
        )
    plan, notes = plan_files(settings, force=force, docker=engine.docker if engine else None)
    files = write_files.write(plan, dry=dry)
    return StepReport(
        name=DOCKERFILE,
        status=Status(write_files.status_of(files, dry=dry)),
        files=files,
        findings=tuple(Finding(level=Level.INFO, message=note) for note in notes),
    )


def vcs_step(
    settings: Settings, *, dry: bool = False, force: bool = False, progress: Progress = no_progress
) -> StepReport | None:
    """The runtime locks' git requirements built into wheels on the host, each at its locked commit, with
    their hashed requirements file (the image installs them without git). None: the locks have none."""
    project, reqs = settings.project, settings.requirements_dir
    found = vcs.find(project, (f"{reqs}/base.txt", f"{reqs}/ml.txt"))
    if not found:
        return None
    name = "VCS wheels"
    if dry:
        shown = ", ".join(r.shown for r in found)
        return StepReport(
            name=name, status=Status.PLANNED, summary=f"would build wheels on the host: {shown}"
        )
    listing = project / vcs.DIRNAME / vcs.REQUIREMENTS
    previous = vcs.recorded(listing.read_text(encoding="utf-8")) if listing.is_file() else {}
    built = vcs.build(project, found, previous=previous, progress=progress)
    plan = writer.plan_writes(
        project,
        {
            f"{vcs.DIRNAME}/{vcs.REQUIREMENTS}": GeneratedFile(
                vcs.requirements_text(built), source="the git requirements of the runtime locks"
            )
        },
        force=force,
        state_dir=settings.state_dir,
    )
    files = write_files.write(plan, dry=False)
    findings = tuple(
        Finding(
            level=Level.INFO,
            message=f"{b.requirement.name} @ {b.requirement.shown} ({b.requirement.lock}): "
            + (f"{b.wheel} is current (same commit)" if b.reused else f"built {b.wheel} on the host")
            + "; installed from it hash-checked and non-editable, no git in the image",
        )
        for b in built
    )
    changed = any(not b.reused for b in built) or write_files.status_of(files, dry=False) == "done"
    return StepReport(
        name=name,
        status=Status.DONE if changed else Status.CURRENT,
        summary=f"{len(built)} git requirement(s) as wheels in {vcs.DIRNAME}/",
        files=files,
        findings=findings,
    )


def outputs(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    branch: bool = True,
    measure_baseline: bool = True,
    engine: Engine | None = None,
    progress: Progress = no_progress,
) -> list[StepReport]:
    """Phase 1's outputs, then the Dockerfile: what later phases build on, each skipped when current."""
    first = phase1.run(
        settings, dry=dry, force=force, branch=branch, measure_baseline=measure_baseline, progress=progress
    )
    steps = [first]
    progress("phase 2: VCS wheels")
    wheels = vcs_step(settings, dry=dry, force=force, progress=progress)
    if wheels is not None:
        steps.append(wheels)
    progress(f"phase 2: {DOCKERFILE}")
    return [*steps, dockerfile_step(settings, dry=dry, force=force, engine=engine)]


def libraries_step(
    settings: Settings, engine: Engine, *, progress: Progress = no_progress
) -> StepReport | None:
    """When the original ran on the full python image: build the builder stage, find the system
    libraries its environment links against that the slim runtime lacks, and remember them (the
    Dockerfile is then rendered again with them). None when there is nothing to look for."""
    plan = plan_dockerfile(settings, docker=engine.docker)
    if plan.library_probe is None:
        return None
    progress("phase 2: the system libraries the environment links against (builder stage)")
    tag = f"{settings.project.name.lower()}:dockyard-builder"
    request = BuildRequest(
        context=settings.project, dockerfile=settings.project / DOCKERFILE, target="builder", tags=(tag,)
    )
    measured_build(engine, request, label="phase2 builder", progress=progress)
    try:
        current = original(settings)
        found = shared_libraries.probe(
            engine.docker,
            builder=tag,
            runtime_base=plan.base_image,
            original_base=current.base_image if current else None,
        )
    finally:
        remove_images(engine.docker, [tag])
    shared_libraries.save(settings.state_path, plan.library_probe, found)
    return StepReport(
        name="system libraries",
        status=Status.DONE,
        summary=(
            f"the runtime gets {', '.join(found)} (linked by the environment, missing in {plan.base_image})"
            if found
            else f"the environment links against nothing {plan.base_image} lacks"
        ),
    )


def lint_step(settings: Settings) -> StepReport:
    """hadolint and trivy on the Dockerfile; raises InputError when it fails the gate."""
    dockerfile = settings.project / DOCKERFILE
    checked = lint(settings, dockerfile)
    require_clean(checked, dockerfile)
    rows = checked.rows()
    return StepReport(
        name="lint",
        status=Status.DONE,
        summary="; ".join(f"{tool}: {result}" for tool, result in rows),
        tables=(Table.of("", ["check", "result"], rows),),
    )


def verify_step(
    settings: Settings, engine: Engine, image: str, *, progress: Progress = no_progress
) -> StepReport:
    """``dockyard verify`` on the image just built: the contract, the packages, the smoke test on both."""
    located = contract.locate(settings.project, settings.dockerfile)
    return verify_phase.verify(
        settings,
        engine,
        generated=None if located else image,
        original_dockerfile=str(located.relative_to(settings.project)) if located else "Dockerfile",
        original_target=settings.target or None,
        progress=progress,
    )


def quick_bench_step(
    settings: Settings, engine: Engine, *, runs: int, progress: Progress = no_progress
) -> StepReport:
    """The code-change rebuild, baseline against optimized, ``runs`` times each."""
    name = "quick benchmark"
    if not (settings.project / layout.BASELINE_DOCKERFILE).is_file():
        return StepReport(name=name, status=Status.SKIPPED, summary="no baseline Dockerfile to compare with")
    variants = [
        Variant(name="baseline", dockerfile=layout.BASELINE_DOCKERFILE),
        Variant(name="optimized", dockerfile=DOCKERFILE, target=RUNTIME_TARGET),
    ]
    doc, _note = run_benchmark(engine, variants, Options(scenarios=("code",), runs=runs), progress=progress)
    result = results.from_document(doc)
    before, after = result.variant("baseline"), result.variant("optimized")
    code_before = before.scenarios["code"].summary.median
    code_after = after.scenarios["code"].summary.median
    speed = stats.speedup(code_before, code_after)
    measured = [
        Measurement(
            name="image size",
            value=float(after.image_bytes or 0),
            unit="B",
            baseline=float(before.image_bytes or 0),
        ),
        Measurement(name="code-change rebuild (median)", value=code_after, unit="s", baseline=code_before),
    ]
    if speed:
        measured.append(Measurement(name="code-change speedup", value=speed, unit="x"))
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=f"code-change rebuild, {runs} runs, baseline vs optimized",
        measurements=tuple(measured),
        text=bench_report.table(result),
    )


def _summary_rows(steps: list[StepReport]) -> list[tuple[str, str]]:
    rows = [("generated", DOCKERFILE)]
    for step in steps:
        if step.name in ("lint", "verify"):
            rows.append((step.name, step.summary if step.status is Status.DONE else str(step.status)))
        elif step.name == "build":
            rows.append(("this build", step.summary))
        elif step.name == "quick benchmark" and step.status is Status.DONE:
            for m in step.measurements:
                if m.unit == "B" and m.baseline is not None:
                    rows.append((m.name, f"{ui.human_bytes(m.baseline)} -> {ui.human_bytes(m.value)}"))
                elif m.unit == "s" and m.baseline is not None:
                    speed = next((x.value for x in step.measurements if x.unit == "x"), None)
                    faster = f" ({bench_report.speed_text(speed)})" if speed else ""
                    rows.append((m.name, f"{ui.seconds(m.baseline)} -> {ui.seconds(m.value)}{faster}"))
    return rows


def run(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    runs: int = 2,
    bench: bool = True,
    smoke: bool = True,
    branch: bool = True,
    engine: Engine | None = None,
    progress: Progress = no_progress,
) -> StepReport:
    """Phase 1's outputs, then the Dockerfile written, linted, built, smoke-tested and measured."""
    if engine is None and not dry:
        engine = Engine.connect(settings)
    # the baseline is measured for the quick benchmark; without it, phase 2 does not wait for it
    steps = outputs(
        settings,
        dry=dry,
        force=force,
        branch=branch,
        measure_baseline=bench,
        engine=engine,
        progress=progress,
    )
    if engine is None:
        steps.append(
            StepReport(name="lint, build, smoke test, benchmark", status=Status.SKIPPED, summary="dry run")
        )
        return phase_report("phase2", steps, dry=True)
    libraries = libraries_step(settings, engine, progress=progress)
    if libraries is not None:
        steps += [libraries, dockerfile_step(settings, force=force, engine=engine)]
    progress("phase 2: lint")
    steps.append(lint_step(settings))
    tag = f"{settings.project.name.lower()}:dockyard"
    request = BuildRequest(
        context=settings.project, dockerfile=settings.project / DOCKERFILE, target=RUNTIME_TARGET, tags=(tag,)
    )
    built = measured_build(engine, request, label="phase2", progress=progress)
    steps.append(build_report(built))
    if smoke:
        progress("phase 2: verify against the original image")
        steps.append(verify_step(settings, engine, tag, progress=progress))
    if bench:
        steps.append(quick_bench_step(settings, engine, runs=runs, progress=progress))
    done = phase_report("phase2", steps, dry=False)
    return dataclasses.replace(done, tables=(Table.of("phase 2 summary", ["", ""], _summary_rows(steps)),))
