"""Produce the lock files and build-backend METADATA of the fixture projects with the real tools.

Run once after changing a fixture (it needs network access to PyPI), then commit what it wrote:

    python -m venv /tmp/tools && /tmp/tools/bin/pip install poetry pdm 'hishel>=1.4,<2' pipenv uv build
    PATH=/tmp/tools/bin:$PATH python tests/data/projects/make_locks.py [CASE ...]

Each case's ``tool.json`` names the tool that locks it (``uv lock``, ``poetry lock``, ``pdm lock``,
``pipenv lock``); the lock is written into the case's ``project/`` directory. Cases whose dependencies
only the build backend knows (setup.py, setup.cfg) get ``metadata/<dir>.METADATA``, read through the same
PEP 517 hook dockyard uses, so the unit tests can replay it without running a backend.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMANDS = {
    "uv": [["uv", "lock", "--python", "3.11"]],
    "poetry": [["poetry", "lock"]],
    "pdm": [["pdm", "lock", "--python", "3.11"]],
    "pipenv": [["pipenv", "lock", "--python", sys.executable]],
}
LOCK_FILE = {"uv": "uv.lock", "poetry": "poetry.lock", "pdm": "pdm.lock", "pipenv": "Pipfile.lock"}


def materialize(case: Path, into: Path) -> Path:
    project = into / "project"
    shutil.copytree(case / "project", project)
    for source in sorted(project.rglob("*.py.src")):
        source.rename(source.with_name(source.name.removesuffix(".src")))
    return project


def make(case: Path) -> None:
    settings = json.loads((case / "tool.json").read_text()) if (case / "tool.json").is_file() else {}
    with tempfile.TemporaryDirectory() as tmp:
        project = materialize(case, Path(tmp))
        tool = settings.get("lock")
        if tool:
            env = {**__import__("os").environ, "PIPENV_VENV_IN_PROJECT": "1", "PDM_IGNORE_SAVED_PYTHON": "1"}
            for argv in COMMANDS[tool]:
                subprocess.run(argv, cwd=project, check=True, env=env, timeout=900)
            shutil.copyfile(project / LOCK_FILE[tool], case / "project" / LOCK_FILE[tool])
            print(f"{case.name}: {LOCK_FILE[tool]} by {tool}")
        for directory in settings.get("metadata", []):
            from dockyard.requirements.metadata import read_metadata

            text = read_metadata(project / directory)
            out = case / "metadata" / f"{'root' if directory == '.' else directory.replace('/', '_')}.METADATA"
            out.parent.mkdir(exist_ok=True)
            out.write_text(text)
            print(f"{case.name}: {out.relative_to(HERE)}")


def main(names: list[str]) -> None:
    cases = [HERE / n for n in names] if names else sorted(p for p in HERE.iterdir() if (p / "project").is_dir())
    for case in cases:
        make(case)


if __name__ == "__main__":
    main(sys.argv[1:])
