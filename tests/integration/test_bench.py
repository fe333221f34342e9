"""The benchmark engine on a real engine: a regression caught, the user's tree left alone."""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from dockyard.engine import Engine
from tests.integration.conftest import dockyard_cli

FAST = """FROM python:3.11-slim
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt
COPY app /app/app
"""
SLOW = FAST + "RUN sleep 3\n"


def tiny_project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("print('hello')\n")
    (root / "requirements.txt").write_text("# nothing pinned yet\n")
    (root / "Dockerfile").write_text(FAST)
    (root / "Dockerfile.slow").write_text(SLOW)
    return root


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".dockyard" not in p.relative_to(root).parts
    }


def bench(project: Path, variant: str, out: Path, *extra: str) -> dict[str, Any]:
    result = dockyard_cli(
        "bench", "--project", str(project), "--variant", variant, "--scenario", "noop,code", "--runs", "2",
        "--json", str(out), *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_compare_fails_on_a_real_regression_and_passes_on_the_same_variant(
    engine: Engine, tmp_path: Path
) -> None:
    project = tiny_project(tmp_path / "proj")
    baseline = tmp_path / "baseline.json"
    doc = bench(project, "app=Dockerfile", baseline)
    [variant] = doc["variants"]  # type: ignore[misc]
    assert variant["name"] == "app"

    same = tmp_path / "same.json"
    bench(project, "app=Dockerfile", same)
    ok = dockyard_cli(
        "bench.compare", "--project", str(project), "--baseline", str(baseline), "--result", str(same)
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "no regression" in ok.stdout

    slower = tmp_path / "slower.json"
    bench(project, "app=Dockerfile.slow", slower)
    bad = dockyard_cli(
        "bench.compare", "--project", str(project), "--baseline", str(baseline), "--result", str(slower)
    )
    assert bad.returncode == 9, bad.stdout + bad.stderr
    assert "code" in bad.stderr and "Traceback" not in bad.stderr


def test_benchmark_leaves_the_users_tree_byte_identical(engine: Engine, tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "proj")
    before = tree_digest(project)
    out = tmp_path / "r.json"
    result = dockyard_cli(
        "bench", "--project", str(project), "--variant", "a=Dockerfile", "--variant", "b=Dockerfile.slow",
        "--scenario", "noop,code,deps", "--runs", "1", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert tree_digest(project) == before
    added = {p.relative_to(project).parts[0] for p in project.rglob("*")} - {p.split("/")[0] for p in before}
    assert added == {".dockyard"}  # only the state directory: latest result and history
    doc = json.loads(out.read_text())
    by_name = {v["name"]: v for v in doc["variants"]}
    # the code change reran the COPY of the app (and b's sleep); noop ran nothing
    assert any("COPY app" in s for s in by_name["a"]["scenarios"]["code"]["executed"])
    assert by_name["a"]["scenarios"]["noop"]["executed"] == []
    assert any("pip install" in s for s in by_name["b"]["scenarios"]["deps"]["executed"])
    assert by_name["a"]["floor"]["median"] > 0
    assert (
        by_name["a"]["context"]["files"] == 5
    )  # app/__init__.py, app/main.py, requirements.txt, 2 Dockerfiles


def test_benchmark_leaves_each_variants_last_image_and_no_dangling_one(
    engine: Engine, docker: str, tmp_path: Path
) -> None:
    def dangling() -> set[str]:
        out = subprocess.run(
            [docker, "images", "--filter", "dangling=true", "--quiet", "--no-trunc"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return set(out.stdout.split())

    def image_id(ref: str) -> str:
        out = subprocess.run(
            [docker, "image", "inspect", "--format", "{{.Id}}", ref],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    project = tiny_project(tmp_path / "benchimages")
    tag = "dockyard-bench/benchimages:a"
    first = bench(project, "a=Dockerfile", tmp_path / "1.json")
    assert first["variants"]
    mine = f"dockyard-test-mine:{uuid.uuid4().hex[:10]}"
    subprocess.run([docker, "tag", tag, mine], check=True)  # a person's tag on the bench's last image
    try:
        kept = image_id(mine)
        before = dangling()
        bench(project, "a=Dockerfile", tmp_path / "2.json")
        # two code changes made two images, and moved the tag off `kept`: only the last one is left
        assert dangling() <= before
        assert image_id(tag) != kept
        assert image_id(mine) == kept  # a tagged image is never removed
    finally:
        subprocess.run([docker, "image", "rm", mine], capture_output=True, check=False)
        subprocess.run([docker, "image", "rm", tag], capture_output=True, check=False)


def test_cold_scenario_refuses_without_permission(engine: Engine, tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "proj")
    result = dockyard_cli("bench", "--project", str(project), "--scenario", "cold", "--runs", "1")
    assert result.returncode == 2
    assert "--allow-prune" in result.stderr


@pytest.mark.parametrize("spec", ["nodockerfile", "x=missing/Dockerfile"])
def test_bad_variant_is_a_clear_error(engine: Engine, tmp_path: Path, spec: str) -> None:
    project = tiny_project(tmp_path / "proj")
    result = dockyard_cli(
        "bench", "--project", str(project), "--variant", spec, "--scenario", "noop", "--runs", "1"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
