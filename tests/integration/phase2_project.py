"""A phase-2 project made by hand: the bundled example with split, locked requirements and the
generated multi-stage Dockerfile, as phases 1 and 2 leave it. Phase-3 tests start from here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dockyard import config
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render.dockerfile import render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inference-service"

REQUIREMENTS = {
    "base": "fastapi==0.165.0\nuvicorn==0.54.0\npydantic==2.14.4\nPyYAML==6.0.4\npython-dotenv==1.2.4\n",
    "ml": "-c base.txt\nnumpy==2.4.6\npandas==3.1.1\nscikit-learn==1.9.1\nscipy==1.17.1\njoblib==1.6.0\n",
    "test": "-c base.txt\n-c ml.txt\npytest==9.2.0\nhttpx==0.28.1\npytest-cov==7.1.0\n",
    "dev": "-c base.txt\n-c ml.txt\nruff==0.17.6\nmypy==2.4.1\n",
}
DOCKERIGNORE = ".git\n**/__pycache__\n.venv\nnotebooks\ndocs\n.env\n"


def uv() -> str:
    return str(Path(sys.executable).parent / "uv")


def make_phase2_project(target: Path) -> Path:
    """Copy the example to ``target`` and give it locks and the phase-2 Dockerfile; returns ``target``."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    requirements = target / "requirements"
    requirements.mkdir()
    for name, text in REQUIREMENTS.items():
        (requirements / f"{name}.in").write_text(text)
    for name in REQUIREMENTS:
        subprocess.run(
            [uv(), "pip", "compile", "-q", "--python-version", "3.11", "--generate-hashes", "--no-header",
             f"{name}.in", "-o", f"{name}.txt"],
            cwd=requirements,
            check=True,
            capture_output=True,
            timeout=300,
        )  # fmt: skip
    (target / ".dockerignore").write_text(DOCKERIGNORE)
    (target / "docker").mkdir()
    dockerfile = render(plan_dockerfile(config.load(target)))
    (target / "docker" / "Dockerfile").write_text(dockerfile)
    return target
