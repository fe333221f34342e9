"""Phase 4's base-image step: build each runtime candidate, measure it, smoke-test it, recommend one.

The recommendation is the smallest candidate that passes; it is applied only when the user accepts it
(the ``runtime_base`` setting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dockyard import candidates, process, ui
from dockyard.config import Settings
from dockyard.engine import BuildRequest, Engine
from dockyard.errors import ConfigError, DockyardError
from dockyard.phases.report import (
    FileResult,
    Measurement,
    Progress,
    Status,
    StepReport,
    Table,
    no_progress,
)
from dockyard.render.writer import atomic_write_text

#: Runs the image and says whether it works, and how it was judged.
Smoke = Callable[[str], tuple[bool, str]]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    kind: str
    image: str
    size: int
    build_s: float
    passed: bool
    smoke: str
    packages: int


def _packages(docker: str, image: str) -> int:
    result = process.run(candidates.package_count_argv(docker, image), check=False, echo=False)
    return int(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip().isdigit() else -1


def build_candidates(
    settings: Settings,
    engine: Engine,
    runtime_image: str,
    smoke: Smoke,
    *,
    from_plan: bool = False,
    progress: Progress = no_progress,
) -> list[Candidate]:
    """Each kind built and smoke-tested. ``from_plan``: from phase 2's Dockerfile rendered with each
    ``runtime_base`` (exactly what accepting one gives); else derived from ``runtime_image``."""
    if from_plan:
        return _from_plan(settings, engine, smoke, progress=progress)
    docker = engine.docker
    inspected = process.run([docker, "image", "inspect", "--format", "{{json .}}", runtime_image], echo=False)
    config = candidates.RuntimeConfig.from_inspect(inspected.stdout)
    size = int(
        process.run(
            [docker, "image", "inspect", "--format", "{{.Size}}", runtime_image], echo=False
        ).stdout.strip()
    )
    refused = distroless_refusal(settings)
    found: list[Candidate] = []
    for kind in candidates.KINDS:
        progress(f"base-image candidate: {kind}")
        if kind == "distroless" and refused:
            found.append(_refused(kind, refused))
            continue
        if kind == "slim":
            image, built_s, image_size = runtime_image, 0.0, size
        else:
            folder = settings.state_path / "candidates" / kind
            text = candidates.dockerfile_for(kind, runtime_image, config, packages=_apt_packages(settings))
            atomic_write_text(folder / "Dockerfile", text)
            tag = candidate_tag(settings, kind)
            built = engine.build(
                BuildRequest(context=folder, dockerfile=folder / "Dockerfile", tags=(tag,)),
                label=f"candidate-{kind}",
            )
            image, built_s, image_size = tag, built.wall_s, built.image_bytes
        found.append(_measured(docker, kind, image, built_s, image_size, smoke))
    return found


def _apt_packages(settings: Settings) -> tuple[str, ...]:
    """The runtime apt packages of the original (and the setting), for the distroless candidate."""
    from dockyard.phases import phase2_plan

    try:
        current = phase2_plan.original(settings)
    except DockyardError:
        current = None
    found = current.runtime_packages if current is not None else ()
    return tuple(dict.fromkeys((*found, *settings.runtime_packages)))


def candidate_tag(settings: Settings, kind: str) -> str:
    return f"{settings.project.name.lower()}:dockyard-{kind}"


def _measured(docker: str, kind: str, image: str, built_s: float, size: int, smoke: Smoke) -> Candidate:
    passed, how = smoke(image)
    return Candidate(
        kind=kind,
        image=image,
        size=size,
        build_s=built_s,
        passed=passed,
        smoke=how,
        packages=_packages(docker, image),
    )


def _refused(kind: str, why: str) -> Candidate:
    return Candidate(kind=kind, image="", size=0, build_s=0.0, passed=False, smoke=why, packages=-1)


def distroless_refusal(settings: Settings) -> str:
    """Why phase 2 would refuse ``runtime_base = "distroless"`` for this project (empty: it would not)."""
    from dockyard import runtime_base
    from dockyard.phases import phase2_plan

    try:
        current = phase2_plan.original(settings)
        command = phase2_plan.app_command(settings, current)
    except DockyardError:
        return ""
    from_original = current is not None and not settings.app_command
    needs = runtime_base.shell_needs(
        settings.project, current, command, from_original=from_original, target=settings.target
    )
    return "refused: needs a shell: " + "; ".join(str(n) for n in needs) if needs else ""


def _from_plan(settings: Settings, engine: Engine, smoke: Smoke, *, progress: Progress) -> list[Candidate]:
    from dockyard.phases import phase2

    found: list[Candidate] = []
    for kind in candidates.KINDS:
        progress(f"base-image candidate: {kind} (phase 2's Dockerfile with runtime_base = {kind!r})")
        try:
            files, _ = phase2.plan_files(replace(settings, runtime_base=kind), docker=engine.docker)
        except ConfigError as exc:
            found.append(_refused(kind, f"refused: {exc.message}"))
            continue
        folder = settings.state_path / "candidates" / kind
        atomic_write_text(folder / "Dockerfile", files.changes[0].new_text)
        tag = candidate_tag(settings, kind)
        request = BuildRequest(
            context=settings.project, dockerfile=folder / "Dockerfile", target="runtime", tags=(tag,)
        )
        built = engine.build(request, label=f"candidate-{kind}")
        found.append(_measured(engine.docker, kind, tag, built.wall_s, built.image_bytes, smoke))
    return found


def recommend(found: list[Candidate]) -> Candidate | None:
    passing = [c for c in found if c.passed]
    return min(passing, key=lambda c: c.size) if passing else None


def report(found: list[Candidate], *, applied: str, accepting: bool = False) -> StepReport:
    slim = next(c for c in found if c.kind == "slim")
    best = recommend(found)
    rows = [
        (
            c.kind,
            c.image or "-",
            ui.human_bytes(c.size) if c.image else "-",
            f"{(c.size - slim.size) / slim.size:+.0%}" if slim.size and c.image else "",
            ui.seconds(c.build_s),
            "pass" if c.passed else "FAIL",
            c.smoke if c.smoke.startswith("refused") else c.smoke[:60],
            c.packages if c.packages >= 0 else "?",
        )
        for c in found
    ]
    if best is None:
        summary = "no candidate passed the smoke test"
    elif best.kind == applied:
        summary = f"{best.kind} is the smallest that passes, and it is in use"
    else:
        size = ui.human_bytes(best.size)
        summary = f"recommended: {best.kind} ({size})"
        if not accepting:
            summary += (
                f'; `dockyard base.candidates --apply` sets runtime_base = "{best.kind}" in '
                "[tool.dockyard] (then `dockyard phase2`)"
            )
    return StepReport(
        name="base-images",
        status=Status.DONE if best else Status.FAILED,
        summary=summary,
        tables=(
            Table.of(
                "runtime base candidates",
                ["candidate", "image", "size", "vs slim", "extra build", "smoke", "how", "OS packages"],
                rows,
            ),
        ),
        measurements=tuple(Measurement(name=f"{c.kind}_bytes", value=c.size, unit="B") for c in found),
        data={"recommended": best.kind if best else None},
    )


def default_smoke(settings: Settings, engine: Engine) -> Smoke:
    """The smoke test ``dockyard verify`` runs: a command's --help, or a probe of the service's port."""
    from dockyard import smoke

    def run(image: str) -> tuple[bool, str]:
        result = smoke.smoke_test(engine, image, settings, timeout=60)
        return result.ok, result.summary

    return run


def accept(settings: Settings, found: list[Candidate], *, dry_run: bool = False) -> StepReport:
    """Accept the recommendation in one step: ``runtime_base`` written into ``[tool.dockyard]``."""
    from dockyard import pyproject_settings

    best = recommend(found)
    if best is None:
        return StepReport(name="apply", status=Status.SKIPPED, summary="no candidate passed: none to apply")
    edit = pyproject_settings.plan(settings.project, "runtime_base", best.kind)
    shadowed = settings.is_set("runtime_base") and settings.runtime_base != best.kind and not edit.changes
    where = pyproject_settings.PYPROJECT
    if not edit.changes:
        summary = f"{edit.line} is already in {where}"
        if shadowed:
            summary += f" (DOCKYARD_RUNTIME_BASE or a flag says {settings.runtime_base!r})"
        return StepReport(name="apply", status=Status.CURRENT, summary=summary)
    action = "update" if edit.old_text is not None else "create"
    if dry_run:
        return StepReport(
            name="apply",
            status=Status.PLANNED,
            summary=f"would write {edit.line} into [tool.dockyard] of {where}",
            files=(
                FileResult(path=where, action=action, message=f"would set {edit.line}", diff=edit.diff()),
            ),
        )
    pyproject_settings.apply(edit)
    return StepReport(
        name="apply",
        status=Status.DONE,
        summary=f"wrote {edit.line} into [tool.dockyard] of {where}; `dockyard phase2` regenerates "
        "docker/Dockerfile with it",
        files=(FileResult(path=where, action=action, message=f"set {edit.line}"),),
    )


def with_step(report: StepReport, step: StepReport) -> StepReport:
    failed = step.status is Status.FAILED
    return replace(
        report,
        summary=f"{report.summary}; {step.summary}",
        status=Status.FAILED if failed else report.status,
        steps=(*report.steps, step),
    )


def plan_available(settings: Settings) -> bool:
    """Phase 2's Dockerfile can be rendered here: dockyard wrote docker/Dockerfile (or there is none
    yet) and phase 1's locks exist. A hand-written docker/Dockerfile is derived from its image."""
    from dockyard import layout
    from dockyard.render import writer

    dockerfile = settings.path(layout.DOCKERFILE)
    if dockerfile.is_file() and not writer.is_generated(dockerfile):
        return False
    return (settings.project / settings.requirements_dir / "base.txt").is_file()


def run(
    settings: Settings,
    engine: Engine,
    *,
    image: str | None = None,
    apply: bool = False,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> StepReport:
    """``dockyard base.candidates``: build and compare the candidates, and with ``apply`` accept the
    recommendation. Without ``image``, from phase 2's Dockerfile when it can be rendered."""
    runtime = image or f"{settings.project.name.lower()}:dockyard"
    from_plan = image is None and plan_available(settings)
    inspected = process.run([engine.docker, "image", "inspect", runtime], check=False, echo=False)
    if not from_plan and inspected.returncode != 0:
        hint = "run `dockyard phase2` first"
        raise DockyardError(f"no image {runtime} to derive candidates from", hint=hint)
    smoke = default_smoke(settings, engine)
    found = build_candidates(settings, engine, runtime, smoke, from_plan=from_plan, progress=progress)
    done = report(found, applied=settings.runtime_base, accepting=apply)
    return with_step(done, accept(settings, found, dry_run=dry_run)) if apply else done
