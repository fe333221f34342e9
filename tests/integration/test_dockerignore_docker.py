"""dockyard's effective build context against what Docker's BuildKit really sends.

Each test exports the context with ``COPY . /`` in a ``FROM scratch`` stage to a local directory
(``--output type=local``), so no image is created and nothing needs cleaning up in the engine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import dockerignore as di
from dockyard import process
from dockyard.dockerfile import parse_file, parse_text
from dockyard.engine import Engine
from tests.integration.conftest import EXAMPLE
from tests.unit.test_dockerignore import DATA, make_tree, make_tricky, ml_project

pytestmark = pytest.mark.integration

EXPORT_DOCKERFILE = "FROM scratch\nCOPY . /\n"


def export_argv(engine: Engine, context: Path, dockerfile: Path, dest: Path) -> list[str]:
    build = (
        [engine.docker, "buildx", "build"] if engine.builder.name == "buildx" else [engine.docker, "build"]
    )
    return [*build, "--quiet", "--file", str(dockerfile), "--output", f"type=local,dest={dest}", str(context)]


def docker_sent(
    engine: Engine, context: Path, tmp_path: Path, *, dockerfile: Path | None = None
) -> list[str]:
    """Every file and symlink Docker put in the exported context, sorted."""
    if dockerfile is None:
        dockerfile = tmp_path / "export" / "Dockerfile"
        dockerfile.parent.mkdir(parents=True)
        dockerfile.write_text(EXPORT_DOCKERFILE)
    dest = tmp_path / "out"
    process.run(export_argv(engine, context, dockerfile, dest), env=engine.builder.env())
    found = []
    for dirpath, dirnames, filenames in os.walk(dest):
        base = Path(dirpath).relative_to(dest)
        found += [(base / n).as_posix() for n in filenames]
        found += [(base / n).as_posix() for n in dirnames if (Path(dirpath) / n).is_symlink()]
    return sorted(found)


def dockyard_sent(context: Path, patterns: tuple[str, ...]) -> list[str]:
    return [f.path for f in di.context_files(context, patterns)]


def test_tricky_patterns_match_docker(engine: Engine, tmp_path: Path) -> None:
    context = make_tricky(tmp_path / "ctx")
    actual = docker_sent(engine, context, tmp_path, dockerfile=context / "Dockerfile")
    patterns = di.read_dockerignore(context / ".dockerignore")
    assert dockyard_sent(context, patterns) == actual
    # The golden file the unit test uses is still what Docker does.
    assert actual == (DATA / "tricky" / "expected.txt").read_text().split("\n")[:-1]


def test_generated_dockerignore_matches_docker(engine: Engine, tmp_path: Path) -> None:
    project = ml_project(tmp_path / "project")
    make_tree(
        project, ["data/model.pkl", "app/__pycache__/x.pyc", "deploy/nginx.conf"], {"hosts": "/etc/hosts"}
    )
    df = parse_text(
        "FROM scratch AS test\nCOPY tests/ /src/tests/\n"
        "FROM scratch\nCOPY app/ /app/\nCOPY data/model.pkl /models/\nCOPY deploy/ /deploy/\nCOPY .git /git\n"
    )
    plan = di.generate(project, [df], di.IgnoreOptions(size_threshold=1000))
    (project / ".dockerignore").write_text(plan.text)
    actual = docker_sent(engine, project, tmp_path)
    assert dockyard_sent(project, di.read_patterns(plan.text)) == actual
    assert plan.after.files == len(actual)
    assert {"data/model.pkl", "tests/test_app.py", ".git/HEAD", "hosts"} <= set(actual)
    assert not {"data/raw/big.csv", ".env", "deploy/server.key", "app/__pycache__/x.pyc"} & set(actual)
    assert any(f.path == "hosts" and "outside the build context" in f.message for f in plan.findings)


@pytest.mark.skipif(not (EXAMPLE / "Dockerfile").is_file(), reason="the example project is not there")
def test_example_project_context_matches_docker(engine: Engine, example_copy: Path, tmp_path: Path) -> None:
    before = docker_sent(engine, example_copy, tmp_path / "before")
    plan = di.generate(example_copy, [parse_file(example_copy / "Dockerfile")])
    assert dockyard_sent(example_copy, di.read_dockerignore(example_copy / ".dockerignore")) == before
    assert plan.before.files == len(before)
    (example_copy / ".dockerignore").write_text(plan.text)
    after = docker_sent(engine, example_copy, tmp_path / "after")
    assert dockyard_sent(example_copy, di.read_patterns(plan.text)) == after
    assert plan.after.files == len(after)
    assert "inference_service/data/training.csv" in after
