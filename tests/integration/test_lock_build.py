"""Phase 1's one resolution and phase 2's Dockerfile on a few fixture kinds, built for real: what is
installed in the runtime image is exactly the resolution's runtime pins (base + ml), nothing more or less."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import BuildRequest, Engine
from dockyard.phases import phase1, phase2
from dockyard.render import writer
from dockyard.requirements import pins
from tests.unit.test_requirements_projects import PROJECTS, materialize

#: setup.py through the metadata hook; uv.lock with an ml layer (its own stage); the transitive numpy pin;
#: a monorepo whose editable library is installed in a layer of its own.
KINDS = ["setup-py-only", "uv-lock-groups", "transitive-pin", "monorepo-editable"]
#: Local libraries a kind installs besides its locked pins (no hash can pin them).
LOCAL = {"monorepo-editable": {"helper": "0.1.0"}}
#: What a virtual environment holds before anything is installed into it.
VENV_SEED = {"pip", "setuptools", "wheel"}
LIST = (
    "import importlib.metadata as m, json; "
    "names = {(d.metadata['Name'].lower().replace('_', '-'), d.version) for d in m.distributions()}; "
    "print(json.dumps(sorted(names)))"
)


@pytest.mark.parametrize("kind", KINDS)
def test_runtime_image_holds_exactly_the_runtime_pins(engine: Engine, kind: str, tmp_path: Path) -> None:
    project = materialize(PROJECTS / kind, tmp_path)
    settings = config.load(project, {"app_command": ("python", "-c", "print('ok')"), "app_port": 0})
    step = phase1.plan_requirements(settings)
    for plan in step.plans():
        writer.apply(plan)
    (project / ".dockerignore").write_text(".git\n**/__pycache__\n")
    dockerfile_plan, _notes = phase2.plan_files(settings)
    writer.apply(dockerfile_plan)
    requirements = project / "requirements"
    runtime = {**pins((requirements / "base.txt").read_text()), **pins((requirements / "ml.txt").read_text())}
    assert runtime, "no runtime pins"
    tag = f"dockyard-test/lock-build-{kind}:{uuid.uuid4().hex[:10]}"
    request = BuildRequest(
        context=project, dockerfile=project / "docker" / "Dockerfile", target="runtime", tags=(tag,)
    )
    engine.build(request, label=f"lock-build-{kind}")
    try:
        done = subprocess.run(
            [engine.docker, "run", "--rm", "--entrypoint", "python", tag, "-c", LIST],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    finally:
        subprocess.run([engine.docker, "image", "rm", "-f", tag], capture_output=True, check=False)
    installed = dict(json.loads(done.stdout))
    extra = {n: v for n, v in installed.items() if n not in runtime and n not in VENV_SEED}
    assert extra == LOCAL.get(kind, {}), "installed but not in the resolution"
    assert {n: installed.get(n) for n in runtime} == runtime, "the image differs from the resolution"
    if kind == "transitive-pin":
        assert installed["numpy"].startswith("1.26.")
    if kind == "uv-lock-groups":
        locked = step_locked_pins(project)
        assert {n: v for n, v in runtime.items() if n in locked} == {
            n: locked[n] for n in runtime if n in locked
        }


def step_locked_pins(project: Path) -> dict[str, str]:
    from dockyard.requirements.project_locks import read_lock

    found = read_lock(project, python_version="3.11")
    assert found is not None
    return dict(found.pins)
