"""Phase 2 end to end on every kind of fixture project (tests/data/projects, locks made by the real
uv, poetry, pdm and pipenv): phase 1 locks, phase 2 renders, lints, builds and runs ``verify``; the
runtime image then holds exactly the resolution's runtime pins, and where the project has a lock,
each pin is that lock's.

Each build shares the base and tools stages with the others (same base image, same user, same
installer) and each fixture's dependencies are a few small wheels, so all twelve run every day
(about 90 s here, warm).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import Engine
from dockyard.phases import phase2
from dockyard.phases import verify as verify_phase
from dockyard.phases.report import Status, StepReport
from dockyard.requirements import pins
from dockyard.requirements.project_locks import read_lock
from tests.integration.test_lock_projects import KINDS as LOCK_KINDS

PROJECTS = Path(__file__).resolve().parents[1] / "data" / "projects"
#: The issue's eleven kinds, and transitive-pin (not one of them: a numpy pin that crosses layers, base
#: and ml resolved together); the locking test also reads dockerfile-pip-install, which phase 2 needs not.
KINDS = [kind for kind in LOCK_KINDS if kind != "dockerfile-pip-install"]
#: Distributions a kind has besides its locked pins: the project itself, its local libraries.
OWN = {
    "setup-cfg-only": set(),
    "hatch": {"hatch-svc"},
    "requirements-e-dot": {"edot-svc"},
    "monorepo-editable": {"helper"},
}
#: Packages with no Dockerfile, console script or ``__main__``: nothing says how they start.
START: dict[str, dict[str, object]] = {
    "hatch": {"app_command": ("python", "-c", "import hatch_svc"), "app_port": 0},
    "requirements-e-dot": {"app_command": ("python", "-c", "import edot_svc"), "app_port": 0},
}
#: What a virtual environment holds before anything is installed into it.
VENV_SEED = {"pip", "setuptools", "wheel"}
LIST = (
    "import importlib.metadata as m, json; "
    "print(json.dumps(sorted({(d.metadata['Name'].lower().replace('_', '-').replace('.', '-'), d.version)"
    " for d in m.distributions()})))"
)


def materialize(kind: str, into: Path) -> Path:
    """A copy of the fixture under a unique name (verify tags its images after the directory)."""
    project = into / f"kind-{kind}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(PROJECTS / kind / "project", project)
    for source in sorted(project.rglob("*.py.src")):
        source.rename(source.with_name(source.name.removesuffix(".src")))
    (project / ".dockerignore").write_text(".git\n**/__pycache__\n")
    return project


def unhashed(text: str) -> list[str]:
    """Requirement lines of a lock that carry no ``--hash`` (on their continuation lines)."""
    found: list[str] = []
    current: str | None = None
    for line in [*text.splitlines(), ""]:
        if line.startswith(" "):
            if current is not None and "--hash=sha256:" in line:
                current = None
            continue
        if current is not None:
            found.append(current)
        current = line if line and not line.startswith(("#", "-")) else None
    return found


def _step(report: StepReport, name: str) -> StepReport:
    return next(s for s in report.steps if s.name == name)


@pytest.mark.parametrize("kind", KINDS)
def test_phase2_builds_and_verifies(engine: Engine, kind: str, tmp_path: Path) -> None:
    project = materialize(kind, tmp_path)
    settings = config.load(project, START.get(kind, {}))
    tag = f"{project.name.lower()}:dockyard"
    original_tag, generated_tag = verify_phase.image_tags(project)
    try:
        report = phase2.run(settings, engine=engine, bench=False, branch=False)
        failed = [
            f"{s.name}: {s.summary} {[f.message for f in s.findings]}"
            for s in report.steps
            if s.status is Status.FAILED
        ]
        assert report.status is not Status.FAILED, failed
        assert _step(report, "verify").status is Status.DONE
        listed = subprocess.run(
            [engine.docker, "run", "--rm", "--network", "none", "--entrypoint", "python", tag, "-c", LIST],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    finally:
        for image in (tag, original_tag, generated_tag):
            subprocess.run([engine.docker, "image", "rm", "-f", image], capture_output=True, check=False)
    requirements = project / settings.requirements_dir
    runtime: dict[str, str] = {}
    for name in ("base", "ml", "test", "dev"):
        text = (requirements / f"{name}.txt").read_text()
        assert unhashed(text) == [], f"{name}.txt has requirements without a hash"
        if name in ("base", "ml"):
            runtime.update(pins(text))
    assert runtime, "no runtime pins"
    installed = dict(json.loads(listed.stdout))
    extra = {n for n in installed if n not in runtime and n not in VENV_SEED}
    assert extra == OWN.get(kind, set()), "installed but not in the resolution"
    assert {n: installed.get(n) for n in runtime} == runtime, "the image differs from the resolution"
    found = read_lock(project, python_version=settings.python_version)
    if found is not None:
        assert {n: found.pins.get(n) for n in runtime} == runtime, f"not pin for pin with {found.path}"
    if kind == "transitive-pin":
        assert installed["numpy"].startswith("1.26.")
