"""Target platforms and the buildx builder setting: parsing, planning against the builder, argv."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dockyard import config, platforms
from dockyard.engine import Engine
from dockyard.engine import probe as probe_mod
from dockyard.engine.build import build_failure
from dockyard.engine.builders import BuildRequest, Buildx, ClassicBuildKit
from dockyard.engine.parallel import bake_argv, bake_definition
from dockyard.engine.platform_plan import plan, registry_tag
from dockyard.engine.probe import choose_builder, probe, require_builder
from dockyard.engine.progress import ProgressParser
from dockyard.errors import ConfigError, EngineUnavailable
from dockyard.housekeeping.prune import prune_record_argv
from dockyard.housekeeping.usage import CacheRecord
from dockyard.phases import build as build_phase
from dockyard.phases.phase2 import plan_files

CONTAINER = Buildx(instance="multi", driver="docker-container")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["linux/amd64,linux/arm64"], ("linux/amd64", "linux/arm64")),
        (["arm64", "linux/arm64", " linux/AMD64 "], ("linux/arm64", "linux/amd64")),
        (["linux/arm/v7"], ("linux/arm/v7",)),
        ([], ()),
        ([","], ()),
    ],
)
def test_parse_platforms(given: list[str], expected: tuple[str, ...]) -> None:
    assert platforms.parse(given) == expected


@pytest.mark.parametrize("bad", ["linux/", "linux arm64", "linux/arm64/v8/x", "linux/arm-64"])
def test_a_platform_that_is_not_os_arch_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="is not os/arch"):
        platforms.parse([bad])


def test_settings_normalise_platforms_from_every_source(tmp_path: Path) -> None:
    env = config.load(tmp_path, environ={"DOCKYARD_PLATFORMS": "linux/amd64,arm64"})
    assert env.platforms == ("linux/amd64", "linux/arm64")
    flags = config.load(tmp_path, {"platforms": ["linux/arm64"]}, environ={})
    assert flags.platforms == ("linux/arm64",)
    with pytest.raises(ConfigError, match="not os/arch"):
        config.load(tmp_path, {"platforms": ["amd 64"]}, environ={})


# --- planning ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [ClassicBuildKit(), Buildx(), CONTAINER])
def test_one_platform_builds_and_loads_on_any_builder(builder: Buildx | ClassicBuildKit) -> None:
    chosen = plan(["linux/arm64"], builder, tags=["app:dockyard"], registry="localhost:5000")
    assert chosen.platforms == ("linux/arm64",) and not chosen.push
    assert chosen.tags == ("app:dockyard",)


def test_no_platform_is_the_daemons_own() -> None:
    chosen = plan([], ClassicBuildKit(), tags=["app:dockyard"], registry="localhost:5000")
    assert chosen.apply(BuildRequest(context=Path("."))).platforms == ()


def test_classic_client_refuses_a_list_and_says_what_to_do() -> None:
    with pytest.raises(ConfigError) as caught:
        plan(["linux/amd64", "linux/arm64"], ClassicBuildKit(), tags=["a:b"], registry="r:5000")
    assert "one platform per build" in caught.value.message
    assert caught.value.hint is not None
    assert "--platform linux/amd64" in caught.value.hint
    assert "docker buildx create --name multi --driver docker-container" in caught.value.hint


@pytest.mark.parametrize("builder", [Buildx(), Buildx(instance="default")])
def test_buildx_docker_driver_refuses_a_list_and_names_the_fix(builder: Buildx) -> None:
    with pytest.raises(ConfigError) as caught:
        plan(["linux/amd64", "linux/arm64"], builder, tags=["a:b"], registry="r:5000")
    message = caught.value.message
    assert "`docker` driver" in message and "one platform per tag" in message
    assert ("'default'" in message) == (builder.instance == "default")
    assert caught.value.hint is not None and "set `builder`" in caught.value.hint
    assert "--driver remote" in caught.value.hint


def test_a_list_on_a_container_builder_is_pushed_to_the_registry() -> None:
    chosen = plan(
        ["linux/amd64", "linux/arm64"],
        CONTAINER,
        tags=["app:dockyard", "localhost:5000/app:ci"],
        registry="localhost:5000",
    )
    assert chosen.push
    assert chosen.tags == ("localhost:5000/app:dockyard", "localhost:5000/app:ci")
    request = chosen.apply(BuildRequest(context=Path("/p"), tags=("app:dockyard",)))
    argv = CONTAINER.argv("docker", request)
    assert argv[:5] == ["docker", "buildx", "build", "--push", "--builder"]
    assert "--load" not in argv
    assert argv[argv.index("--platform") + 1] == "linux/amd64,linux/arm64"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("app:1", "reg:5000/app:1"),
        ("team/app:1", "reg:5000/team/app:1"),
        ("localhost:5000/app:1", "localhost:5000/app:1"),
        ("ghcr.io/team/app:1", "ghcr.io/team/app:1"),
    ],
)
def test_registry_tag(tag: str, expected: str) -> None:
    assert registry_tag(tag, "reg:5000/") == expected


# --- argv -----------------------------------------------------------------------------------------------


def test_buildx_argv_passes_builder_and_one_platform(tmp_path: Path) -> None:
    request = BuildRequest(context=tmp_path, tags=("a:b",), platforms=("linux/arm64",))
    argv = Buildx(instance="default").argv("docker", request)
    assert argv[:6] == ["docker", "buildx", "build", "--load", "--builder", "default"]
    assert argv[argv.index("--platform") + 1] == "linux/arm64"
    assert argv[-1] == str(tmp_path)


def test_classic_argv_takes_one_platform_and_refuses_more(tmp_path: Path) -> None:
    one = ClassicBuildKit().argv("docker", BuildRequest(context=tmp_path, platforms=("linux/arm64",)))
    assert one[:2] == ["docker", "build"] and one[one.index("--platform") + 1] == "linux/arm64"
    assert "--builder" not in one
    with pytest.raises(ConfigError, match="one platform per build"):
        ClassicBuildKit().argv(
            "docker", BuildRequest(context=tmp_path, platforms=("linux/amd64", "linux/arm64"))
        )


def test_bake_passes_platforms_builder_and_pushes_a_list(tmp_path: Path) -> None:
    request = BuildRequest(context=tmp_path, platforms=("linux/amd64", "linux/arm64"), push=True)
    definition = bake_definition(request, ["runtime", "test"], {"runtime": "r:1", "test": "t:1"})
    targets = definition["target"]
    assert isinstance(targets, dict)
    assert targets["runtime"]["platforms"] == ["linux/amd64", "linux/arm64"]
    argv = bake_argv("docker", CONTAINER, tmp_path / "bake.json", ["runtime"], tmp_path / "m.json", push=True)
    assert "--push" in argv and "--load" not in argv
    assert argv[argv.index("--builder") + 1] == "multi"


def test_cache_records_are_pruned_on_the_named_builder() -> None:
    record = CacheRecord(
        id="abc", kind="regular", description="x", size=1, last_used=None, in_use=False, shared=False
    )
    argv = prune_record_argv("docker", record, builder="multi")
    assert argv[:5] == ["docker", "buildx", "prune", "--builder", "multi"]
    assert argv[-2:] == ["--filter", "id=abc"]


# --- the builder setting through the probe ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("buildx", "native", "expected"), [("v0.13.1", False, "buildx"), (None, True, None), (None, False, None)]
)
def test_a_named_builder_needs_buildx(buildx: str | None, native: bool, expected: str | None) -> None:
    assert choose_builder("remote-bk", buildx=buildx, native=native) == expected


@pytest.fixture
def fake_docker(fake_process, monkeypatch: pytest.MonkeyPatch, data_dir: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(shutil, "which", lambda name: f"/fake/{name}")
    monkeypatch.setattr(probe_mod, "docker_candidates", lambda docker: [])
    monkeypatch.setattr(probe_mod, "_hadolint_version", lambda: "2.15.1")
    fake_process.on(["/usr/bin/docker", "compose"], stdout='{"version":"v2.40.3"}')
    return fake_process


def test_classic_client_with_a_builder_setting_says_what_to_do(
    fake_docker, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fake_docker.on(["/usr/bin/docker", "buildx"], returncode=1, stderr="'buildx' is not a docker command")
    fake_docker.on(
        ["/usr/bin/docker", "version"], stdout=(data_dir / "engine" / "version-20.10.json").read_text()
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker", "builder": "remote-bk"}, environ={}))
    assert not caps.can_build
    [problem] = caps.problems()
    assert "names the buildx builder 'remote-bk'" in problem and "has no buildx" in problem
    assert "install the buildx plugin" in problem and "unset `builder`" in problem
    with pytest.raises(EngineUnavailable, match="remote-bk"):
        require_builder(caps)


def test_a_named_builder_reaches_every_buildx_command(fake_docker, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = data_dir / "engine"
    fake_docker.on(["/usr/bin/docker", "version"], stdout=(engine / "version-28-buildx.json").read_text())
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "version"], stdout=(engine / "buildx-version.txt").read_text()
    )
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "inspect", "remote-bk"],
        stdout="Name:   remote-bk\nDriver: remote\n",
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker", "builder": "remote-bk"}, environ={}))
    assert caps.can_build and caps.buildx_driver == "remote"
    assert ("builder", "buildx 0.13.1+ds1 (builder remote-bk, remote driver)") in caps.rows()
    builder = require_builder(caps)
    assert isinstance(builder, Buildx) and builder.instance == "remote-bk" and builder.exports_cache
    argv = builder.argv("/usr/bin/docker", BuildRequest(context=tmp_path))
    assert argv[argv.index("--builder") + 1] == "remote-bk"


def test_a_builder_that_does_not_exist_is_named_with_the_fix(
    fake_docker, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    engine = data_dir / "engine"
    fake_docker.on(["/usr/bin/docker", "version"], stdout=(engine / "version-28-buildx.json").read_text())
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "version"], stdout=(engine / "buildx-version.txt").read_text()
    )
    fake_docker.on(
        ["/usr/bin/docker", "buildx", "inspect", "nope"],
        returncode=1,
        stderr='ERROR: no builder "nope" found',
    )
    caps = probe(config.load(tmp_path, {"docker": "/usr/bin/docker", "builder": "nope"}, environ={}))
    assert not caps.can_build
    [problem] = caps.problems()
    assert "no buildx builder named 'nope'" in problem and 'no builder "nope" found' in problem
    assert "docker buildx create --name nope" in problem


# --- where builds are planned ----------------------------------------------------------------------------


def fake_engine(tmp_path: Path, builder: Buildx | ClassicBuildKit, **settings: object) -> Engine:
    caps: Any = SimpleNamespace(docker="docker", docker_path="/usr/bin/docker")
    return Engine(config.Settings(project=tmp_path, cache_dir=tmp_path / "cache", **settings), caps, builder)  # type: ignore[arg-type]


def test_a_build_checks_the_platforms_before_anything_runs(tmp_path: Path) -> None:
    engine = fake_engine(tmp_path, ClassicBuildKit(), platforms=("linux/amd64", "linux/arm64"))
    with pytest.raises(ConfigError, match="one platform per build"):
        build_phase.build(engine, BuildRequest(context=tmp_path, tags=("a:b",)), label="x")


def test_build_request_gets_the_platform_plan(tmp_path: Path) -> None:
    engine = fake_engine(tmp_path, CONTAINER, platforms=("linux/amd64", "linux/arm64"), registry="reg:5000")
    request, chosen = build_phase.with_platforms(engine, BuildRequest(context=tmp_path, tags=("app:1",)))
    assert request.platforms == ("linux/amd64", "linux/arm64") and request.push
    assert request.tags == ("reg:5000/app:1",)
    assert ("result", "pushed to reg:5000/app:1") in chosen.rows()


def test_exec_format_error_hints_at_qemu(tmp_path: Path) -> None:
    parser = ProgressParser()
    for line in [
        "#5 [2/2] RUN uname -m",
        "#5 0.120 exec /bin/sh: exec format error",
        "#5 ERROR: executor failed running [/bin/sh -c uname -m]: exit code: 1",
    ]:
        parser.feed(line, at=0.1)
    failed = build_failure(["docker", "build"], 1, parser, tmp_path / "log")
    assert failed.hint is not None and "binfmt" in failed.hint and str(tmp_path / "log") in failed.hint
    plain = ProgressParser()
    plain.feed("#5 [2/2] RUN false", at=0.1)
    plain.feed("#5 ERROR: executor failed running [/bin/sh -c false]: exit code: 1", at=0.2)
    assert "binfmt" not in (build_failure(["docker"], 1, plain, tmp_path / "log").hint or "")


def test_phase2_uses_the_wheelhouse_only_when_every_platform_has_one(
    data_dir: Path, tmp_path: Path, fake_process: Any
) -> None:
    fake_process.on(["git"], stdout="")  # no history: the layer order falls back
    amd64 = '[{"Id": "sha256:' + "a" * 64 + '", "Os": "linux", "Architecture": "amd64"}]'
    fake_process.on(["docker", "image", "inspect"], stdout=amd64)
    project = tmp_path / "tiny"
    shutil.copytree(data_dir / "wheelhouse" / "tiny", project)
    (project / ".wheelhouse" / "linux" / "amd64").mkdir(parents=True)
    settings = config.load(project, {"platforms": ["linux/amd64", "linux/arm64"]}, environ={})
    plan, notes = plan_files(settings, docker="docker")
    [note] = [n for n in notes if ".wheelhouse/" in n]
    assert (
        note.startswith(".wheelhouse/linux/amd64/, .wheelhouse/linux/arm64/ is stale") and "not used" in note
    )
    [dockerfile] = plan.changes
    assert "FROM scratch AS wheelhouse" not in dockerfile.new_text


def test_platforms_the_builder_lists_come_from_buildx_inspect(data_dir: Path) -> None:
    before = (data_dir / "engine" / "buildx-inspect-docker.txt").read_text()
    after = (data_dir / "engine" / "buildx-inspect-docker-qemu.txt").read_text()  # qemu registered
    assert probe_mod.parse_buildx_platforms(before) == ("linux/amd64", "linux/386")
    assert probe_mod.parse_buildx_platforms(after) == ("linux/amd64", "linux/386", "linux/arm64")
    assert probe_mod.parse_buildx_platforms("Platforms: linux/amd64*, linux/arm/v7\n") == (
        "linux/amd64",
        "linux/arm/v7",
    )


def test_a_platform_the_builder_does_not_list_is_refused_with_the_qemu_fix() -> None:
    without_qemu = Buildx(instance="default", platforms=("linux/amd64", "linux/386"))
    with pytest.raises(ConfigError) as caught:
        plan(["linux/arm64"], without_qemu, tags=["a:b"], registry="r:5000")
    assert "'default' cannot build linux/arm64: it lists linux/amd64, linux/386" in caught.value.message
    assert caught.value.hint is not None and "binfmt" in caught.value.hint
    with_qemu = Buildx(instance="default", platforms=("linux/amd64", "linux/386", "linux/arm64"))
    assert plan(["linux/arm64"], with_qemu, tags=["a:b"], registry="r:5000").platforms == ("linux/arm64",)


def test_a_platform_without_a_wheelhouse_hints_at_dockyard_wheels(tmp_path: Path) -> None:
    parser = ProgressParser()
    parser.feed("#6 [wheelhouse 1/1] COPY .wheelhouse/linux/arm64 /", at=0.1)
    parser.feed(  # buildx 0.13.1 on Engine 20.10, with only .wheelhouse/linux/amd64 there
        "#6 ERROR: failed to walk /var/lib/docker/tmp/buildkit-mount2285207594/.wheelhouse/linux: "
        "lstat /var/lib/docker/tmp/buildkit-mount2285207594/.wheelhouse/linux: no such file or directory",
        at=0.2,
    )
    failed = build_failure(["docker", "build"], 1, parser, tmp_path / "log")
    assert failed.hint is not None and "dockyard wheels --platform" in failed.hint
