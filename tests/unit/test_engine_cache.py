"""The registry cache plan: which stages carry a target's cache, and the build arguments for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import dockerfile
from dockyard.engine.builders import BuildRequest, Buildx, ClassicBuildKit
from dockyard.engine.cache import (
    INLINE_STAGES,
    REGISTRY,
    cache_repository,
    cache_stages,
    plan_cache,
)

GENERATED = Path(__file__).resolve().parents[1] / "data" / "dockerfiles" / "generated-example.Dockerfile"


@pytest.fixture
def generated() -> dockerfile.Dockerfile:
    return dockerfile.parse_file(GENERATED)


@pytest.mark.parametrize(
    ("target", "stages"),
    [
        # runtime copies from builder and ml; base and tools are inside those images already
        ("runtime", ["builder", "ml", "runtime"]),
        (None, ["builder", "ml", "runtime"]),
        # test is FROM dev FROM builder: builder's layers are in test's image; ml is copied
        ("test", ["ml", "test"]),
        ("dev", ["ml", "dev"]),
        ("base", ["base"]),
    ],
)
def test_cache_stages_cover_every_layer_a_target_needs(
    generated: dockerfile.Dockerfile, target: str | None, stages: list[str]
) -> None:
    assert [s.ref for s in cache_stages(generated, target)] == stages


def test_classic_pushes_each_stage_with_inline_cache_and_imports_them_all(
    generated: dockerfile.Dockerfile, tmp_path: Path
) -> None:
    plan = plan_cache(
        generated,
        "runtime",
        registry="localhost:5000",
        project="Inference Service",
        builder=ClassicBuildKit(),
    )
    repo = "localhost:5000/dockyard-cache/inference-service"
    assert plan.mode == INLINE_STAGES
    assert plan.cache_from() == (f"{repo}:stage-builder", f"{repo}:stage-ml", f"{repo}:stage-runtime")
    assert plan.pushes() == plan.cache_from()
    request = BuildRequest(context=tmp_path, dockerfile=GENERATED, tags=("app:1",))
    exports = plan.export_requests(request)
    assert [r.target for r in exports] == ["builder", "ml", "runtime"]
    assert exports[0].tags == (f"{repo}:stage-builder",)
    assert exports[-1].tags == (f"{repo}:stage-runtime", "app:1")
    argv = ClassicBuildKit().argv("docker", exports[1])
    assert argv.count("--cache-from") == 3
    assert argv[argv.index("BUILDKIT_INLINE_CACHE=1") - 1 :][:2] == ["--build-arg", "BUILDKIT_INLINE_CACHE=1"]
    # buildx's docker driver cannot export a cache either: the same plan, with --cache-to type=inline
    docker_driver = Buildx(driver="docker")
    assert (
        plan_cache(
            generated,
            "runtime",
            registry="localhost:5000",
            project="inference-service",
            builder=docker_driver,
        )
        == plan
    )
    assert "type=inline" in docker_driver.argv("docker", exports[0])


def test_buildx_with_an_exporting_driver_writes_one_registry_cache_mode_max(
    generated: dockerfile.Dockerfile, tmp_path: Path
) -> None:
    builder = Buildx(instance="ci", driver="docker-container")
    plan = plan_cache(generated, "test", registry="reg.example:5000/", project="svc", builder=builder)
    assert plan.mode == REGISTRY and plan.pushes() == ()
    [export] = plan.export_requests(BuildRequest(context=tmp_path))
    argv = builder.argv("docker", export)
    ref = "reg.example:5000/dockyard-cache/svc:cache-test"
    assert argv[argv.index("--cache-to") + 1] == f"type=registry,ref={ref},mode=max"
    assert argv[argv.index("--cache-from") + 1] == f"type=registry,ref={ref}"
    assert export.target == "test"


def test_unknown_target_names_the_stages(generated: dockerfile.Dockerfile) -> None:
    from dockyard.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        cache_stages(generated, "nope")
    assert "runtime" in (caught.value.hint or "")


def test_cache_repository_is_a_valid_name() -> None:
    assert cache_repository("localhost:5000", "My_Project!") == "localhost:5000/dockyard-cache/my_project"


def test_evicting_a_token_takes_its_records_and_their_descendants_leaves_first(data_dir: Path) -> None:
    from dockyard.engine.cli import parse_build_cache, records_to_evict

    records = parse_build_cache((data_dir / "engine" / "build-cache-df.json").read_text())
    assert len(records) == 4 and records[0].description == "fileop target"
    # the middle record's description names nothing; take the chain from its parent down
    ids = records_to_evict(records, "fileop target")
    assert ids == ["g51goz3yvoya0nnn7eae0b75x", "s8cid1jyp57jd161nsittrcaf", "14dfmo3xljyjz2kmwn9idagqe"]
    assert records_to_evict(records, "pip install '.[dev]'") == ["g51goz3yvoya0nnn7eae0b75x"]
    assert records_to_evict(records, "not there") == []
    assert parse_build_cache("null") == [] and parse_build_cache("") == []
