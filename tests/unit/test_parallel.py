"""Several targets at once: the bake file, its command line, the job bound."""

from __future__ import annotations

from pathlib import Path

from dockyard.engine.builders import BuildRequest, Buildx
from dockyard.engine.parallel import bake_argv, bake_definition, batches, target_tags


def test_bake_definition_builds_each_target_of_one_dockerfile(tmp_path: Path) -> None:
    request = BuildRequest(
        context=tmp_path, dockerfile=tmp_path / "docker" / "Dockerfile", cache_from=("reg/x:stage-ml",)
    )
    tags = target_tags(request, ["runtime", "test"], "svc")
    assert tags == {"runtime": "svc-runtime:dockyard", "test": "svc-test:dockyard"}
    definition = bake_definition(request, ["runtime", "test"], tags)
    assert definition["group"] == {"default": {"targets": ["runtime", "test"]}}
    runtime = definition["target"]["runtime"]  # type: ignore[index]
    assert runtime == {
        "context": str(tmp_path),
        "dockerfile": str(tmp_path / "docker" / "Dockerfile"),
        "cache-from": ["reg/x:stage-ml"],
        "target": "runtime",
        "tags": ["svc-runtime:dockyard"],
    }


def test_bake_argv_loads_and_names_the_instance(tmp_path: Path) -> None:
    argv = bake_argv("docker", Buildx(instance="ci"), tmp_path / "b.json", ["a", "b"], tmp_path / "m.json")
    assert argv == [
        "docker", "buildx", "bake", "--file", str(tmp_path / "b.json"), "--progress=plain", "--load",
        "--builder", "ci", "--metadata-file", str(tmp_path / "m.json"), "a", "b",
    ]  # fmt: skip


def test_job_bound_splits_targets_into_batches() -> None:
    assert batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert batches(["a", "b", "c"], 3) == [["a", "b", "c"]]
    assert batches(["a", "b", "c"], 1) == [["a"], ["b"], ["c"]]


def test_target_tags_follow_the_requested_tag(tmp_path: Path) -> None:
    request = BuildRequest(context=tmp_path, tags=("localhost:5000/app:1.2",))
    assert target_tags(request, ["dev"], "x") == {"dev": "localhost:5000/app-dev:1.2"}
    assert target_tags(BuildRequest(context=tmp_path, tags=("localhost:5000/app",)), ["dev"], "x") == {
        "dev": "localhost:5000/app-dev:latest"
    }


def test_compose_builds_every_service_bounded(tmp_path: Path) -> None:
    from dockyard.engine.parallel import compose_build_argv, compose_build_env

    argv = compose_build_argv("docker", [tmp_path / "compose.yaml"])
    assert argv == [
        "docker",
        "compose",
        "--file",
        str(tmp_path / "compose.yaml"),
        "--progress",
        "plain",
        "build",
    ]
    assert compose_build_env(2)["COMPOSE_PARALLEL_LIMIT"] == "2"


def test_compose_progress_gives_a_timeline_per_service(data_dir: Path) -> None:
    from dockyard.engine.progress import ProgressParser
    from dockyard.engine.timeline import spans_of, timeline

    parser = ProgressParser()
    for index, log_line in enumerate((data_dir / "engine" / "compose-cold.log").read_text().splitlines()):
        parser.feed(log_line, at=index * 0.1)
    line = timeline(spans_of(parser.records()))
    assert {s.target for s in line.spans} == {"app"} and line.critical
