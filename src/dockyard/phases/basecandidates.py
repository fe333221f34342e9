"""Phase 4's base-image step: build each runtime candidate, measure it, smoke-test it, recommend one.

The recommendation is the smallest candidate that passes; it is applied only when the user accepts it
(the ``runtime_base`` setting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dockyard import candidates, process, ui
from dockyard.config import Settings
from dockyard.engine import BuildRequest, Engine
from dockyard.phases.report import Measurement, Progress, Status, StepReport, Table, no_progress
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
    settings: Settings, engine: Engine, runtime_image: str, smoke: Smoke, *, progress: Progress = no_progress
) -> list[Candidate]:
    docker = engine.docker
    inspected = process.run([docker, "image", "inspect", "--format", "{{json .}}", runtime_image], echo=False)
    config = candidates.RuntimeConfig.from_inspect(inspected.stdout)
    size = int(
        process.run(
            [docker, "image", "inspect", "--format", "{{.Size}}", runtime_image], echo=False
        ).stdout.strip()
    )
    found: list[Candidate] = []
    for kind in candidates.KINDS:
        progress(f"base-image candidate: {kind}")
        if kind == "slim":
            image, built_s, image_size = runtime_image, 0.0, size
        else:
            folder = settings.state_path / "candidates" / kind
            atomic_write_text(folder / "Dockerfile", candidates.dockerfile_for(kind, runtime_image, config))
            tag = f"{settings.project.name.lower()}:dockyard-{kind}"
            built = engine.build(
                BuildRequest(context=folder, dockerfile=folder / "Dockerfile", tags=(tag,)),
                label=f"candidate-{kind}",
            )
            image, built_s, image_size = tag, built.wall_s, built.image_bytes
        passed, how = smoke(image)
        found.append(
            Candidate(
                kind=kind,
                image=image,
                size=image_size,
                build_s=built_s,
                passed=passed,
                smoke=how,
                packages=_packages(docker, image),
            )
        )
    return found


def recommend(found: list[Candidate]) -> Candidate | None:
    passing = [c for c in found if c.passed]
    return min(passing, key=lambda c: c.size) if passing else None


def report(found: list[Candidate], *, applied: str) -> StepReport:
    slim = next(c for c in found if c.kind == "slim")
    best = recommend(found)
    rows = [
        (
            c.kind,
            c.image,
            ui.human_bytes(c.size),
            f"{(c.size - slim.size) / slim.size:+.0%}" if slim.size else "",
            ui.seconds(c.build_s),
            "pass" if c.passed else "FAIL",
            c.smoke[:60],
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
        summary = f'recommended: {best.kind} ({size}); set runtime_base = "{best.kind}" to use it'
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
