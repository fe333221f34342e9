"""cache.prune on a real daemon: it frees only what its policy selects."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from dockyard import config
from dockyard.housekeeping import prune, usage
from dockyard.phases import cleanup
from tests.integration.conftest import dockyard_cli


def _build(docker: str, context: Path, tag: str, marker: str) -> None:
    (context / "Dockerfile").write_text(f"FROM python:3.11-slim\nRUN echo {marker} > /marker\n")
    subprocess.run(
        [docker, "build", "-q", "-t", tag, str(context)],
        check=True,
        capture_output=True,
        env={"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"},
    )


def _refs(docker: str) -> set[str]:
    out = subprocess.run(
        [docker, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_prune_removes_dockyards_image_and_keeps_a_users(docker: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:10]
    ours, users = f"dockyard-bench/prune-{run}:after", f"someones-app-{run}:latest"
    for tag, name in ((ours, "ours"), (users, "users")):
        (tmp_path / name).mkdir()
        _build(docker, tmp_path / name, tag, f"{name}-{run}")
    try:
        args = ["cache.prune", "--project", str(tmp_path), "--no-cache", "--only", f"*{run}*"]
        dry = dockyard_cli(*args, "--dry-run", "--json", "-", "--docker", docker)
        assert dry.returncode == 0, dry.stderr
        planned = json.loads(dry.stdout)
        assert planned["status"] == "planned"
        selected = [row[1] for row in planned["tables"][0]["rows"]]
        assert selected == [ours]  # the user's image is not even a candidate
        assert ours in _refs(docker)  # a dry run removes nothing
        done = dockyard_cli(*args, "--docker", docker)
        assert done.returncode == 0, done.stderr + done.stdout
        left = _refs(docker)
        assert ours not in left
        assert users in left
    finally:
        subprocess.run([docker, "image", "rm", ours, users], capture_output=True, check=False)


def test_cache_prune_frees_exactly_the_records_its_policy_selects(docker: str, tmp_path: Path) -> None:
    """Another project's fresh cache survives an age policy; whatever is removed was in the plan."""
    run = uuid.uuid4().hex[:10]
    tag = f"another-project-{run}:latest"
    _build(docker, tmp_path, tag, f"another-{run}")
    settings = config.load(tmp_path, {"docker": docker})
    try:
        before = cleanup.measure(settings, docker)
        fresh = {r.id for r in before.cache if f"another-{run}" in r.description}
        assert fresh, "the other project's build left no cache record to protect"
        policy = prune.Policy(older_than=prune.parse_duration("1h"), images=False)
        chosen = prune.plan(before, policy, now=usage.now())
        assert not fresh & {r.id for r in chosen.records}
        report = cleanup.cache_prune(settings, docker, policy, dry_run=False)
        after = {r.id for r in cleanup.measure(settings, docker).cache}
        assert fresh <= after  # the other project's cache survived
        removed = {r.id for r in before.cache} - after
        assert removed <= {r.id for r in chosen.records}  # nothing outside the policy went
        assert report.status == "done"
    finally:
        subprocess.run([docker, "image", "rm", tag], capture_output=True, check=False)
