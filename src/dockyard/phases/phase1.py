"""Phase 1, preparation: branch, baseline, split and locked requirements, .dockerignore.

Each step plans, then acts unless it is a dry run, and returns a report; with nothing changed a
second run writes no byte and reports the step as current.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard import contract, dockerignore, layout, preinstalled, process, requirements
from dockyard import dockerfile as dockerfile_mod
from dockyard.atomic import atomic_write_bytes, atomic_write_text
from dockyard.bench import report as bench_report
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options, parse_scenarios
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.errors import InputError
from dockyard.phases import files as write_files
from dockyard.phases.benchmark import run_benchmark
from dockyard.phases.report import Finding, Level, Progress, Status, StepReport, no_progress, phase_report
from dockyard.render import writer
from dockyard.render.writer import GeneratedFile, WritePlan
from dockyard.requirements import dockerfile_installs

GROUPS = layout.REQUIREMENT_GROUPS


# --- requirements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementsStep:
    inputs: WritePlan
    locks: WritePlan | None  # None: inputs and locks are current, nothing to lock
    findings: tuple[str, ...]

    def plans(self) -> Iterator[WritePlan]:
        yield self.inputs
        if self.locks is not None:
            yield self.locks


def plan_requirements(settings: Settings, *, force: bool = False, dry: bool = False) -> RequirementsStep:
    project, req_dir = settings.project, settings.requirements_dir
    analysis = requirements.analyse(
        project, overrides=settings.classify, req_dir=req_dir, python_version=settings.python_version
    )
    errors = [f for f in analysis.findings if f.level == "error"]
    if errors:
        # the warnings found on the way are part of the message: nothing is printed before this fails
        others = [f for f in analysis.findings if f.level == "warning"]
        raise InputError(
            "\n  ".join(str(f) for f in (*errors, *others)),
            hint="fix the requirements, then run phase1 again",
        )
    source = "the project's declared requirements"
    in_files: dict[Path | str, GeneratedFile] = {
        f"{req_dir}/{name}": GeneratedFile(text, source=source) for name, text in analysis.plan.files.items()
    }
    inputs = writer.plan_writes(project, in_files, force=force, state_dir=settings.state_dir)
    findings = tuple(str(f) for f in analysis.findings)
    if not inputs.writes_anything and _locks_current(project, req_dir, settings.python_version):
        return RequirementsStep(inputs, None, (*findings, "locks are up to date with their inputs"))
    locked = requirements.lock(
        project,
        python_version=settings.python_version,
        req_dir=req_dir,
        analysis=analysis,
        preferred=_preinstalled(settings, save=not dry),
    )
    lock_files: dict[Path | str, GeneratedFile] = {
        f"{req_dir}/{name}": GeneratedFile(text, source=_lock_source(req_dir, settings.python_version))
        for name, text in locked.files.items()
    }
    locks = writer.plan_writes(project, lock_files, force=force, state_dir=settings.state_dir)
    return RequirementsStep(inputs, locks, (*findings, *(str(f) for f in locked.findings)))


def _preinstalled(settings: Settings, *, save: bool = True) -> dict[str, str]:
    """What the original's base image already has and its pip leaves as it is (see :mod:`preinstalled`),
    less what the original Dockerfile installs by name (``pip install --upgrade pip setuptools``)."""
    path = contract.locate(settings.project, settings.dockerfile)
    if path is None:
        return {}
    image = contract.base_image_for(settings.project, dockerfile=settings.dockerfile, target=settings.target)
    if image is None:
        return {}
    found = preinstalled.distributions(
        process.tool_path(settings.docker or "docker"), image, settings.state_path, save=save
    )
    if not found:
        return {}
    upgraded = _upgraded(path)
    return {name: version for name, version in found.items() if name not in upgraded}


def _upgraded(path: Path) -> set[str]:
    try:
        return dockerfile_installs.upgraded(dockerfile_installs.installs(dockerfile_mod.parse_file(path)))
    except InputError:
        return set()


_RESOLVED_FOR = "one resolution by uv for Python "


def _lock_source(req_dir: str, python_version: str) -> str:
    """The locks' generated-by source, which names the Python they were resolved for."""
    return f"{req_dir}/*.in, {_RESOLVED_FOR}{python_version}"


def _locks_current(project: Path, req_dir: str, python_version: str) -> bool:
    """Every lock exists, is dockyard's own unedited output, and was resolved for this Python (a
    base image of another Python version needs other pins: numpy 2.5 wants Python 3.12)."""
    wanted = _lock_source(req_dir, python_version)
    for group in GROUPS:
        lock = project / req_dir / f"{group}.txt"
        source = project / req_dir / f"{group}.in"
        if not source.is_file():
            continue
        if not (lock.is_file() and writer.is_generated(lock)):
            return False
        with lock.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
        # a lock from before the Python was recorded stays current: re-locking it would move pins
        if _RESOLVED_FOR in first and wanted not in first:
            return False
    return True


# --- .dockerignore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerignoreStep:
    plan: WritePlan
    generated: dockerignore.DockerignorePlan

    def report(self) -> list[str]:
        return list(dockerignore.report_lines(self.generated))


def project_dockerfiles(settings: Settings) -> list[dockerfile_mod.Dockerfile]:
    original = (
        contract.locate(settings.project, settings.dockerfile)
        or settings.project / layout.BASELINE_DOCKERFILE
    )
    found = [original, settings.project / layout.DOCKERFILE]
    return [dockerfile_mod.parse_file(p) for p in found if p.is_file()]


def plan_dockerignore(settings: Settings, *, force: bool = False) -> DockerignoreStep:
    options = dockerignore.IgnoreOptions(include_tests=True, state_dir=settings.state_dir)
    existing = settings.project / layout.DOCKERIGNORE
    # Once the file is dockyard's, "before" still means the project as it was: without one, and
    # without dockyard's own state directory (whose report would otherwise measure itself).
    ours = existing.is_file() and writer.is_generated(existing)
    mine = (layout.DOCKERIGNORE,) if ours else dockerignore.read_dockerignore(existing)
    current = (*mine, settings.state_dir)
    generated = dockerignore.generate(
        settings.project, project_dockerfiles(settings), options, current=current
    )
    if generated.errors:
        raise InputError(
            "\n  ".join(f.render() for f in generated.errors),
            hint="the Dockerfile reads paths the build context does not send; fix the COPY or .dockerignore",
        )
    files: dict[Path | str, GeneratedFile] = {
        layout.DOCKERIGNORE: GeneratedFile(generated.text, source="dockyard's Python .dockerignore")
    }
    report = "\n".join(["# Build context before and after the generated .dockerignore", "", "```"])
    report += "\n" + "\n".join(dockerignore.report_lines(generated)) + "\n```\n"
    files[layout.context_report(settings)] = GeneratedFile(report, source=layout.DOCKERIGNORE)
    return DockerignoreStep(
        writer.plan_writes(settings.project, files, force=force, state_dir=settings.state_dir), generated
    )


# --- baseline -----------------------------------------------------------------------------------------


def baseline_dir(settings: Settings) -> Path:
    return layout.baseline_dir(settings)


def baseline_current(settings: Settings) -> bool:
    """A saved baseline exists, and it measured the Dockerfile the project has now."""
    saved, result = layout.baseline_copy(settings), layout.baseline_result(settings)
    current = settings.project / layout.BASELINE_DOCKERFILE
    return (
        saved.is_file()
        and result.is_file()
        and current.is_file()
        and saved.read_bytes() == current.read_bytes()
    )


def save_baseline(settings: Settings, doc: dict[str, object]) -> list[Path]:
    """The result and a copy of the Dockerfile it measured, so phase 5 can re-measure both."""
    result, copy = layout.baseline_result(settings), layout.baseline_copy(settings)
    atomic_write_text(result, json.dumps(doc, indent=2) + "\n")
    atomic_write_bytes(copy, (settings.project / layout.BASELINE_DOCKERFILE).read_bytes())
    return [result, copy]


# --- branch ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchDecision:
    action: str  # "none", "create", "switch", "stay"
    message: str


def decide_branch(settings: Settings) -> BranchDecision:
    branch = settings.branch
    if shutil.which("git") is None:
        return BranchDecision("none", "git is not installed: no branch made")
    top = process.run(
        ["git", "-C", str(settings.project), "rev-parse", "--show-toplevel"], check=False, echo=False
    )
    if top.returncode != 0:
        return BranchDecision("none", "not a git repository: no branch made")
    current = process.run(
        ["git", "-C", str(settings.project), "symbolic-ref", "--quiet", "--short", "HEAD"],
        check=False,
        echo=False,
    ).stdout.strip()
    if current == branch:
        return BranchDecision("stay", f"already on {branch}")
    dirty = process.run(
        ["git", "-C", str(settings.project), "status", "--porcelain", "--untracked-files=no"],
        check=False,
        echo=False,
    ).stdout.strip()
    if dirty:
        return BranchDecision(
            "stay",
            f"the working tree has uncommitted changes: staying on {current or 'a detached HEAD'} "
            f"(commit or stash them yourself, then run `dockyard phase1.branch`)",
        )
    exists = process.run(
        ["git", "-C", str(settings.project), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        check=False,
        echo=False,
    )
    if exists.returncode == 0:
        return BranchDecision("switch", f"switching to the existing branch {branch}")
    return BranchDecision("create", f"creating branch {branch} from {current or 'HEAD'}")


def branch_argv(settings: Settings, decision: BranchDecision) -> list[str] | None:
    if decision.action == "create":
        return ["git", "-C", str(settings.project), "switch", "--create", settings.branch]
    if decision.action == "switch":
        return ["git", "-C", str(settings.project), "switch", settings.branch]
    return None


# --- the steps, as reports -----------------------------------------------------------------------------


def _plans_report(name: str, plans: list[WritePlan], *, dry: bool, findings: tuple[str, ...]) -> StepReport:
    files = tuple(f for plan in plans for f in write_files.write(plan, dry=dry))
    return StepReport(
        name=name,
        status=Status(write_files.status_of(files, dry=dry)),
        files=files,
        findings=tuple(_finding(line) for line in findings),
    )


def _finding(line: str) -> Finding:
    level, _, rest = line.partition(": ")
    if level in ("error", "warning", "info"):
        return Finding(level=Level(level), message=rest)
    return Finding(level=Level.INFO, message=line)


def requirements_step(settings: Settings, *, dry: bool = False, force: bool = False) -> StepReport:
    """Split requirements into base/ml/test/dev .in files and lock them with hashes."""
    step = plan_requirements(settings, force=force, dry=dry)
    return _plans_report("requirements", list(step.plans()), dry=dry, findings=step.findings)


def dockerignore_step(settings: Settings, *, dry: bool = False, force: bool = False) -> StepReport:
    """Write .dockerignore and the before/after report of the build context."""
    step = plan_dockerignore(settings, force=force)
    done = _plans_report(layout.DOCKERIGNORE, [step.plan], dry=dry, findings=())
    return dataclasses.replace(done, text="\n".join(step.report()))


def baseline_step(
    settings: Settings,
    *,
    dry: bool = False,
    scenario: str | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    measure: bool = True,
    progress: Progress = no_progress,
) -> StepReport:
    """Benchmark the project's current Dockerfile and save it as the baseline (once per Dockerfile)."""
    name = "baseline"
    where = baseline_dir(settings).relative_to(settings.project).as_posix()
    if not (settings.project / layout.BASELINE_DOCKERFILE).is_file():
        return StepReport(
            name=name, status=Status.SKIPPED, summary="no Dockerfile in the project: nothing to measure"
        )
    if baseline_current(settings) and not rebaseline:
        return StepReport(
            name=name,
            status=Status.CURRENT,
            summary=f"{where} measured this Dockerfile (--rebaseline to measure again)",
        )
    if not measure:
        return StepReport(
            name=name,
            status=Status.SKIPPED,
            summary="not needed here; `dockyard phase1.baseline` measures it",
        )
    chosen = scenario or ("cold,noop,code,deps" if allow_prune else "noop,code,deps")
    if not scenario and not (settings.project / "requirements.txt").is_file():
        # the deps scenario edits a requirements file; without one it measures the others only
        chosen = chosen.replace(",deps", "")
    options = Options(
        scenarios=parse_scenarios(chosen),
        runs=settings.bench_runs,
        allow_prune=allow_prune,
        requirements_dir=settings.requirements_dir,
    )
    if dry:
        return StepReport(
            name=name,
            status=Status.PLANNED,
            summary=f"would benchmark Dockerfile ({chosen}, {settings.bench_runs} runs), save it in {where}",
        )
    variants = [Variant(name="baseline", dockerfile=layout.BASELINE_DOCKERFILE)]
    doc, note = run_benchmark(Engine.connect(settings), variants, options, progress=progress)
    saved = save_baseline(settings, doc)
    return StepReport(
        name=name,
        status=Status.DONE,
        summary=f"saved in {where}",
        findings=(Finding(level=Level.INFO, message=f"build cache: {note}"),) if note else (),
        text=bench_report.table(doc),
        data={"written": [p.relative_to(settings.project).as_posix() for p in saved]},
    )


def branch_step(settings: Settings, *, dry: bool = False) -> StepReport:
    """Create or switch to the docker-optimization branch (never stashes or discards work)."""
    decision = decide_branch(settings)
    argv = branch_argv(settings, decision)
    if argv is None:
        status = Status.CURRENT if decision.action == "stay" else Status.SKIPPED
    elif dry:
        status = Status.PLANNED
    else:
        process.run(argv)
        status = Status.DONE
    return StepReport(name="branch", status=status, summary=decision.message)


def run(
    settings: Settings,
    *,
    dry: bool = False,
    force: bool = False,
    branch: bool = True,
    scenario: str | None = None,
    allow_prune: bool = False,
    rebaseline: bool = False,
    measure_baseline: bool = True,
    progress: Progress = no_progress,
) -> StepReport:
    """Every phase-1 step; each is skipped when current, so later phases call this first."""
    steps: list[StepReport] = []
    if branch:
        progress("phase 1: branch")
        steps.append(branch_step(settings, dry=dry))
    progress("phase 1: baseline")
    steps.append(
        baseline_step(
            settings,
            dry=dry,
            scenario=scenario,
            allow_prune=allow_prune,
            rebaseline=rebaseline,
            measure=measure_baseline,
            progress=progress,
        )
    )
    progress("phase 1: requirements")
    steps.append(requirements_step(settings, dry=dry, force=force))
    progress("phase 1: .dockerignore")
    steps.append(dockerignore_step(settings, dry=dry, force=force))
    return phase_report("phase1", steps, dry=dry)
