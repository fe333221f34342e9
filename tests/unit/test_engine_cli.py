"""Docker CLI command builders and JSON parsers, against saved real outputs."""

from __future__ import annotations

from pathlib import Path

from dockyard.engine import cli
from dockyard.engine.builders import BUILDERS, BuildRequest, Buildx, ClassicBuildKit
from tests.unit.conftest import FakeProcess


def test_parse_versions_both_clients(data_dir: Path) -> None:
    debian = cli.parse_versions((data_dir / "engine" / "version-20.10.json").read_text())
    assert debian.client == "20.10.24+dfsg1" and debian.client_major == 20
    assert debian.server == "20.10.24+dfsg1"
    modern = cli.parse_versions((data_dir / "engine" / "version-28-client.json").read_text())
    assert modern.client_major == 28
    assert modern.server == "20.10.24+dfsg1"


def test_parse_versions_daemon_down(data_dir: Path) -> None:
    down = cli.parse_versions((data_dir / "engine" / "version-daemon-down.json").read_text())
    assert down.client_major == 20
    assert down.server is None


def test_parse_image(data_dir: Path) -> None:
    image = cli.parse_image((data_dir / "engine" / "image-inspect.json").read_text())
    assert image.id.startswith("sha256:")
    assert image.size > 100_000_000
    assert image.cmd == ("python3", "/app/app.py")


def test_parse_port() -> None:
    assert cli.parse_port("127.0.0.1:49153\n[::1]:49153\n") == 49153


def test_classic_builder_argv() -> None:
    request = BuildRequest(
        context=Path("/p"),
        dockerfile=Path("/p/Dockerfile"),
        target="runtime",
        tags=("a:b",),
        build_args={"Z": "1", "A": "2"},
        cache_from=("localhost:5000/x:cache",),
        cache_to="inline",
        iidfile=Path("/tmp/iid"),
    )
    argv = ClassicBuildKit().argv("docker", request)
    assert argv == [
        "docker", "build", "--progress=plain",
        "--file", "/p/Dockerfile",
        "--target", "runtime",
        "--tag", "a:b",
        "--build-arg", "A=2",
        "--build-arg", "Z=1",
        "--cache-from", "localhost:5000/x:cache",
        "--iidfile", "/tmp/iid",
        "--build-arg", "BUILDKIT_INLINE_CACHE=1",
        "/p",
    ]  # fmt: skip
    assert ClassicBuildKit().env() == {"DOCKER_BUILDKIT": "1"}


def test_buildx_argv_with_registry_cache_and_instance() -> None:
    request = BuildRequest(context=Path("/p"), cache_to="registry:localhost:5000/x:cache")
    argv = Buildx(instance="dockyard-bench").argv("docker", request)
    assert argv[:6] == ["docker", "buildx", "build", "--load", "--builder", "dockyard-bench"]
    assert argv[-3:] == ["--cache-to", "type=registry,ref=localhost:5000/x:cache,mode=max", "/p"]
    assert Buildx().env() == {}


def test_output_replaces_load() -> None:
    request = BuildRequest(context=Path("/p"), target="wheelhouse", output="type=local,dest=/out")
    assert ClassicBuildKit().argv("docker", request)[-3:] == ["--output", "type=local,dest=/out", "/p"]
    assert "--load" not in Buildx().argv("docker", request)
    assert Buildx().argv("docker", BuildRequest(context=Path("/p")))[3] == "--load"


def test_registry_has_both_builders() -> None:
    assert set(BUILDERS) == {"buildx", "buildkit"}


def test_run_argv() -> None:
    assert cli.run_detached_argv("docker", "img", name="n", publish=["127.0.0.1::8000"]) == [
        "docker", "run", "--detach", "--name", "n", "--publish", "127.0.0.1::8000", "img",
    ]  # fmt: skip
    assert cli.prune_build_cache_argv("docker") == ["docker", "builder", "prune", "--all", "--force"]
    assert cli.run_detached_argv("docker", "img", name="n", command=["python", "manage.py", "runserver"]) == [
        "docker",
        "run",
        "--detach",
        "--name",
        "n",
        "--entrypoint",
        "python",
        "img",
        "manage.py",
        "runserver",
    ]


def test_prune_argv_daemon_or_one_buildx_instance() -> None:
    assert cli.prune_build_cache_argv("docker") == ["docker", "builder", "prune", "--all", "--force"]
    assert cli.prune_build_cache_argv("docker", builder="dockyard-bench") == [
        "docker", "buildx", "prune", "--builder", "dockyard-bench", "--all", "--force",
    ]  # fmt: skip


def test_remove_dangling_removes_only_untagged_images_without_force(fake_process: FakeProcess) -> None:
    tagged = '{"Id": "sha256:aaa", "RepoTags": ["dockyard-bench/p:a"], "Config": {}}'
    untagged = '{"Id": "sha256:bbb", "RepoTags": [], "Config": {}}'
    fake_process.on(["docker", "image", "inspect"], stdout=f"{tagged}\n{untagged}\n", returncode=1)
    fake_process.on(["docker", "image", "rm"])
    removed = cli.remove_dangling("docker", ["sha256:aaa", "sha256:bbb", "sha256:gone", "sha256:bbb"])
    assert removed == ("sha256:bbb",)
    assert fake_process.calls[-1] == ("docker", "image", "rm", "sha256:bbb")
    inspect = fake_process.calls[0]
    assert inspect[-4:] == ("sha256:aaa", "sha256:bbb", "sha256:gone", "sha256:bbb")


def test_remove_dangling_with_nothing_runs_nothing(fake_process: FakeProcess) -> None:
    assert cli.remove_dangling("docker", []) == ()
    assert fake_process.calls == []
