"""Which builder a benchmark runs on, and whose cache its cold scenario empties."""

from __future__ import annotations

from pathlib import Path

from dockyard import config
from dockyard.bench.runner import BENCH_BUILDER, bench_engine
from dockyard.engine import Engine
from dockyard.engine.builders import BuildRequest, Buildx, ClassicBuildKit
from dockyard.engine.probe import Capabilities
from tests.unit.conftest import FakeProcess


def engine(tmp_path: Path, builder: Buildx | ClassicBuildKit) -> Engine:
    caps = Capabilities(
        docker="docker",
        docker_path="/usr/bin/docker",
        client_version="28.0.0",
        server_version="28.0.0",
        daemon_error=None,
        buildx_version="0.20.0" if isinstance(builder, Buildx) else None,
        native_buildkit=False,
        compose_version=None,
        hadolint_version=None,
        builder=builder.name,
    )
    return Engine(config.load(tmp_path), caps, builder)


def test_buildx_gets_a_builder_instance_of_its_own_created_once(
    tmp_path: Path, fake_process: FakeProcess
) -> None:
    fake_process.on(
        ["/usr/bin/docker", "buildx", "inspect", "--bootstrap", BENCH_BUILDER],
        returncode=1,
        stderr="no builder",
    )
    fake_process.on(["/usr/bin/docker", "buildx", "rm"], returncode=1, stderr="no builder")
    fake_process.on(["/usr/bin/docker", "buildx", "create"])
    chosen, note = bench_engine(engine(tmp_path, Buildx()))
    assert fake_process.calls[-1] == (
        "/usr/bin/docker", "buildx", "create", "--name", BENCH_BUILDER, "--driver", "docker-container",
        "--bootstrap",
    )  # fmt: skip
    assert "created now" in note and "only its cache" in note
    argv = chosen.builder.argv(chosen.docker, BuildRequest(context=tmp_path))
    assert argv[:6] == ["/usr/bin/docker", "buildx", "build", "--load", "--builder", BENCH_BUILDER]
    assert chosen.builder.exports_cache

    fake_process.on(["/usr/bin/docker", "buildx", "inspect", "--bootstrap", BENCH_BUILDER])
    _, again = bench_engine(engine(tmp_path, Buildx()))
    assert "reused" in again
    assert len([c for c in fake_process.calls if c[2] == "create"]) == 1


# What buildx 0.13.1 printed here when the moby/buildkit image could not be pulled.
PULL_FAILED = (
    'ERROR: Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: '
    "lookup registry-1.docker.io on 10.255.255.53:53: no such host"
)


def test_docker_container_driver_that_cannot_start_falls_back_to_the_docker_driver(
    tmp_path: Path, fake_process: FakeProcess
) -> None:
    fake_process.on(
        ["/usr/bin/docker", "buildx", "inspect", "--bootstrap"], returncode=1, stderr="no builder"
    )
    fake_process.on(["/usr/bin/docker", "buildx", "rm"])
    fake_process.on(["/usr/bin/docker", "buildx", "create"], returncode=1, stderr=PULL_FAILED)
    default = engine(tmp_path, Buildx())
    chosen, note = bench_engine(default)
    assert chosen is default and not chosen.builder.exports_cache
    assert "could not start" in note and "registry-1.docker.io" in note
    assert "falling back to buildx's docker driver" in note and "whole build cache" in note
    # the half-made instance is removed, so the next run does not find a builder that cannot boot
    assert fake_process.calls[-1] == ("/usr/bin/docker", "buildx", "rm", BENCH_BUILDER)
    argv = chosen.builder.argv(chosen.docker, BuildRequest(context=tmp_path))
    assert "--builder" not in argv


def test_an_instance_the_user_chose_is_kept(tmp_path: Path, fake_process: FakeProcess) -> None:
    mine = engine(tmp_path, Buildx(instance="mine"))
    chosen, note = bench_engine(mine)
    assert chosen is mine and fake_process.calls == []
    assert "'mine'" in note


def test_classic_client_says_the_whole_daemon_cache_goes(tmp_path: Path, fake_process: FakeProcess) -> None:
    classic = engine(tmp_path, ClassicBuildKit())
    chosen, note = bench_engine(classic)
    assert chosen is classic and fake_process.calls == []
    assert "daemon's BuildKit cache" in note and "images are kept" in note
