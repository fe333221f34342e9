"""Phase 1, preparation: branch, baseline, split and locked requirements, .dockerignore.

Each step plans first (what it would write, as a :class:`~dockyard.render.writer.WritePlan`, or
what it would run) and acts only when asked, so ``--dry`` shows the plan and the diffs and touches
nothing. Every step is idempotent: with nothing changed, a second run writes no byte and says so.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard import contract, dockerignore, process, requirements
from dockyard import dockerfile as dockerfile_mod
from dockyard.config import Settings
from dockyard.errors import InputError
from dockyard.render import writer
from dockyard.render.writer import GeneratedFile, WritePlan

GROUPS = ("base", "ml", "test", "dev")
Echo = Callable[[str], None]


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


def plan_requirements(settings: Settings, *, force: bool = False) -> RequirementsStep:
    project, req_dir = settings.project, settings.requirements_dir
    analysis = requirements.analyse(project, overrides=settings.classify, req_dir=req_dir)
    errors = [f for f in analysis.findings if f.level == "error"]
    if errors:
        raise InputError(
            "\n  ".join(str(f) for f in errors), hint="fix the requirements, then run phase1 again"
        )
    source = "the project's declared requirements"
    in_files: dict[Path | str, GeneratedFile] = {
        f"{req_dir}/{name}": GeneratedFile(text, source=source) for name, text in analysis.plan.files.items()
    }
    inputs = writer.plan_writes(project, in_files, force=force, state_dir=settings.state_dir)
    findings = tuple(str(f) for f in analysis.findings)
    if not inputs.writes_anything and _locks_current(project, req_dir):
        return RequirementsStep(inputs, None, (*findings, "locks are up to date with their inputs"))
    locked = requirements.lock(
        project, python_version=settings.python_version, req_dir=req_dir, inputs=analysis.plan.files
    )
    lock_files: dict[Path | str, GeneratedFile] = {
        f"{req_dir}/{name}": GeneratedFile(text, source=f"{req_dir}/{name.removesuffix('.txt')}.in by uv")
        for name, text in locked.files.items()
    }
    locks = writer.plan_writes(project, lock_files, force=force, state_dir=settings.state_dir)
    return RequirementsStep(inputs, locks, (*findings, *(str(f) for f in locked.findings)))


def _locks_current(project: Path, req_dir: str) -> bool:
    """Every lock exists and is dockyard's own, unedited, output."""
    for group in GROUPS:
        lock = project / req_dir / f"{group}.txt"
        source = project / req_dir / f"{group}.in"
        if source.is_file() and not (lock.is_file() and writer.is_generated(lock)):
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
    original = contract.locate(settings.project, settings.dockerfile) or settings.project / "Dockerfile"
    found = [original, settings.project / "docker" / "Dockerfile"]
    return [dockerfile_mod.parse_file(p) for p in found if p.is_file()]


def plan_dockerignore(settings: Settings, *, force: bool = False) -> DockerignoreStep:
    options = dockerignore.IgnoreOptions(include_tests=True, state_dir=settings.state_dir)
    existing = settings.project / ".dockerignore"
    # Once the file is dockyard's, "before" still means the project as it was: without one, and
    # without dockyard's own state directory (whose report would otherwise measure itself).
    ours = existing.is_file() and writer.is_generated(existing)
    mine = (".dockerignore",) if ours else dockerignore.read_dockerignore(existing)
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
        ".dockerignore": GeneratedFile(generated.text, source="dockyard's Python .dockerignore")
    }
    report = "\n".join(["# Build context before and after the generated .dockerignore", "", "```"])
    report += "\n" + "\n".join(dockerignore.report_lines(generated)) + "\n```\n"
    files[f"{settings.state_dir}/context-report.md"] = GeneratedFile(report, source=".dockerignore")
    return DockerignoreStep(
        writer.plan_writes(settings.project, files, force=force, state_dir=settings.state_dir), generated
    )


# --- baseline -----------------------------------------------------------------------------------------


def baseline_dir(settings: Settings) -> Path:
    return settings.state_path / "baseline"


def baseline_current(settings: Settings) -> bool:
    """A saved baseline exists, and it measured the Dockerfile the project has now."""
    folder = baseline_dir(settings)
    saved, result = folder / "Dockerfile", folder / "result.json"
    current = settings.project / "Dockerfile"
    return (
        saved.is_file()
        and result.is_file()
        and current.is_file()
        and saved.read_bytes() == current.read_bytes()
    )


def save_baseline(settings: Settings, doc: dict[str, object]) -> list[Path]:
    """The result and a copy of the Dockerfile it measured, so phase 5 can re-measure both."""
    folder = baseline_dir(settings)
    result, copy = folder / "result.json", folder / "Dockerfile"
    writer.atomic_write_text(result, json.dumps(doc, indent=2) + "\n")
    writer.atomic_write_bytes(copy, (settings.project / "Dockerfile").read_bytes())
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
            f"(commit or stash them yourself, then run `invoke phase1.branch`)",
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
