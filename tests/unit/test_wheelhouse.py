"""The wheelhouse without Docker: sets, keys, status, the wheelhouse lock, the builder, the Dockerfile."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pip_requirements_parser import RequirementsFile

from dockyard import process, wheelhouse
from dockyard.config import Settings
from dockyard.dockerfile import parse_text
from dockyard.engine import Engine
from dockyard.engine.builders import ClassicBuildKit
from dockyard.errors import BuildFailed, DockyardError, InputError
from dockyard.render.dockerfile import DockerfilePlan, render
from dockyard.wheelhouse import BaseImage, Origin, State, WheelSet

IMAGE = BaseImage(ref="python:3.11-slim", id="sha256:" + "a" * 64, platform="linux/amd64")
DOCOPT_SDIST = "49b3a825280bd66b3aa83585ef59c4a8c82f2c8a522dbe754a8bc8d08c85c491"
SIX_WHEEL = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SIX_SDIST = "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
BUILT = "b" * 64


@pytest.fixture
def tiny(data_dir: Path, tmp_path: Path) -> Path:
    project = tmp_path / "tiny"
    shutil.copytree(data_dir / "wheelhouse" / "tiny", project)
    return project


def plan_for(**changes: Any) -> DockerfilePlan:
    plan = DockerfilePlan(
        base_image="python:3.11-slim",
        command=("python", "-m", "tinyapp"),
        port=8000,
        health_path="/health",
        app_paths=(),
        dev_locks=(),
        install_project=True,
    )
    return dataclasses.replace(plan, **changes)


def hashes_of(text: str, tmp_path: Path) -> dict[str, set[str]]:
    """Requirement -> hashes, as pip's own grammar reads the text (from_string is broken upstream)."""
    path = tmp_path / "parsed.txt"
    path.write_text(text)
    return {r.name: set(r.hash_options) for r in RequirementsFile.from_file(str(path)).requirements}


def lock_set(text: str) -> WheelSet:
    return WheelSet(name="base", data=text.encode(), source="requirements/base.txt", hashed=True)


# --- sets and keys -------------------------------------------------------------------------------------


def test_sets_follow_what_the_dockerfile_installs(tiny: Path) -> None:
    sets = wheelhouse.wheel_sets(plan_for(), tiny)
    assert [(s.name, s.hashed) for s in sets] == [
        ("installer", False),
        ("base", True),
        ("build-system", False),
    ]
    assert sets[0].data == b"uv==0.13.8\n"
    assert sets[1].data == (tiny / "requirements" / "base.txt").read_bytes()
    assert sets[2].data == b"setuptools>=61\n"
    pip_only = wheelhouse.wheel_sets(plan_for(installer="pip", install_project=False), tiny)
    assert [s.name for s in pip_only] == ["base"]


def test_sets_need_distinct_lock_names(tiny: Path) -> None:
    (tiny / "other").mkdir()
    shutil.copy(tiny / "requirements" / "base.txt", tiny / "other" / "base.txt")
    with pytest.raises(InputError, match="share a file name"):
        wheelhouse.wheel_sets(plan_for(runtime_locks=("requirements/base.txt", "other/base.txt")), tiny)


def test_missing_lock_is_an_input_error(tiny: Path) -> None:
    with pytest.raises(InputError, match="cannot read the lock"):
        wheelhouse.wheel_sets(plan_for(runtime_locks=("requirements/ml.txt",)), tiny)


def test_build_requires(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[build-system]\nbuild-backend = "x"\n')
    assert wheelhouse.build_requires(tmp_path) == wheelhouse.DEFAULT_BUILD_REQUIRES
    (tmp_path / "pyproject.toml").write_text("[build-system]\nrequires = 'setuptools'\n")
    with pytest.raises(InputError, match="list of strings"):
        wheelhouse.build_requires(tmp_path)


def test_parse_base_image(data_dir: Path) -> None:
    text = (data_dir / "engine" / "image-inspect.json").read_text()
    image = wheelhouse.parse_base_image("cap:1", text)
    assert image.id == "sha256:7d1ae158a5a16cffb9cbedf140746323f511b7cd11f8b77a9d99b569c282a92f"
    assert image.platform == "linux/amd64"
    arm = json.dumps([{**json.loads(text), "Architecture": "arm64", "Variant": "v8"}])
    assert wheelhouse.parse_base_image("cap:1", arm).platform == "linux/arm64/v8"


def test_key_changes_with_every_input_and_only_then() -> None:
    wheel_set = lock_set("six==1.17.0 --hash=sha256:" + SIX_WHEEL + "\n")
    key = wheelhouse.set_key(wheel_set, IMAGE, ())
    assert key == wheelhouse.set_key(lock_set(wheel_set.text), IMAGE, ())
    others = {
        wheelhouse.set_key(lock_set(wheel_set.text + "# edited\n"), IMAGE, ()),
        wheelhouse.set_key(wheel_set, dataclasses.replace(IMAGE, id="sha256:" + "c" * 64), ()),
        wheelhouse.set_key(wheel_set, dataclasses.replace(IMAGE, platform="linux/arm64"), ()),
        wheelhouse.set_key(wheel_set, IMAGE, ("gcc",)),
        wheelhouse.set_key(dataclasses.replace(wheel_set, name="ml"), IMAGE, ()),
    }
    assert key not in others and len(others) == 5


# --- the wheelhouse lock ----------------------------------------------------------------------------------


def test_wheelhouse_lock_adds_only_the_hash_of_the_wheel_built_from_the_sdist(
    tiny: Path, tmp_path: Path
) -> None:
    lock = (tiny / "requirements" / "base.txt").read_text()
    wheels = [("six-1.17.0-py2.py3-none-any.whl", SIX_WHEEL), ("docopt-0.6.2-py2.py3-none-any.whl", BUILT)]
    text, found = wheelhouse.wheelhouse_lock(lock, wheels, source="requirements/base.txt")
    assert {w.file.split("-")[0]: w.origin for w in found} == {"docopt": Origin.BUILT, "six": Origin.LOCK}
    # the lock's own lines are all there, in order; the only new lines are comments and the one hash
    old = {line.rstrip(" \\") for line in lock.splitlines()}
    new = [line for line in text.splitlines() if line.rstrip(" \\") not in old]
    assert [line for line in new if not line.startswith("#")] == [f"    --hash=sha256:{BUILT}"]
    hashes = hashes_of(text, tmp_path)
    assert hashes["docopt"] == {f"sha256:{DOCOPT_SDIST}", f"sha256:{BUILT}"}
    assert hashes["six"] == {f"sha256:{SIX_WHEEL}", f"sha256:{SIX_SDIST}"}


def test_wheelhouse_lock_handles_one_line_entries_and_comments(tmp_path: Path) -> None:
    lock = f"Foo.Bar==1.0 --hash=sha256:{DOCOPT_SDIST}  # pinned\nother==2 --hash=sha256:{SIX_WHEEL}\n"
    text, _ = wheelhouse.wheelhouse_lock(lock, [("foo_bar-1.0-py3-none-any.whl", BUILT)], source="x.txt")
    parsed = hashes_of(text, tmp_path)
    assert parsed["Foo.Bar"] == {f"sha256:{DOCOPT_SDIST}", f"sha256:{BUILT}"}
    assert parsed["other"] == {f"sha256:{SIX_WHEEL}"}


def test_wheelhouse_lock_refuses_a_wheel_the_lock_does_not_list() -> None:
    with pytest.raises(DockyardError, match="does not list"):
        wheelhouse.wheelhouse_lock("six==1.17.0\n", [("evil-1.0-py3-none-any.whl", BUILT)], source="x.txt")
    with pytest.raises(DockyardError, match="not a wheel"):
        wheelhouse.wheelhouse_lock("six==1.17.0\n", [("six.whl", BUILT)], source="x.txt")


def test_checksum_line_names_where_the_dockerfile_mounts_the_lock() -> None:
    wheel_set = lock_set("six==1.17.0\n")
    digest = hashlib.sha256(b"six==1.17.0\n").hexdigest()
    assert wheelhouse.checksum_line(wheel_set) == f"{digest}  /tmp/requirements/base.txt\n"
    rendered = render(wheelhouse.use(plan_for(installer="pip", install_project=False)))
    assert "--mount=type=bind,source=requirements/base.txt,target=/tmp/requirements/base.txt" in rendered


# --- manifests and status ---------------------------------------------------------------------------------


def built_set(directory: Path, wheel_set: WheelSet, *, image: BaseImage = IMAGE) -> wheelhouse.Manifest:
    directory.mkdir(parents=True)
    (directory / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"wheel")
    return wheelhouse.finish_set(
        wheel_set, directory, key=wheelhouse.set_key(wheel_set, image, ()), image=image
    )


def test_manifest_round_trip_and_unknown_schema(tmp_path: Path) -> None:
    manifest = built_set(tmp_path / "base", lock_set("six==1.17.0\n"))
    text = (tmp_path / "base" / wheelhouse.MANIFEST).read_text()
    assert wheelhouse.Manifest.from_json(text) == manifest
    assert wheelhouse.Manifest.from_json(text.replace('"schema": 1', '"schema": 99')) is None
    assert wheelhouse.Manifest.from_json("{") is None
    assert (tmp_path / "base" / "lock.sha256").read_text() == wheelhouse.checksum_line(
        lock_set("six==1.17.0\n")
    )


def test_status_says_why_a_set_is_stale(tmp_path: Path) -> None:
    wheel_set = lock_set("six==1.17.0\n")
    directory = tmp_path / "base"
    assert wheelhouse.set_status(wheel_set, directory, IMAGE, ()).state is State.MISSING
    built_set(directory, wheel_set)
    assert wheelhouse.set_status(wheel_set, directory, IMAGE, ()).state is State.UP_TO_DATE

    def reason(ws: WheelSet = wheel_set, image: BaseImage | None = IMAGE, apt: tuple[str, ...] = ()) -> str:
        status = wheelhouse.set_status(ws, directory, image, apt)
        assert status.state is State.STALE
        return status.reason

    assert reason(ws=lock_set("six==1.16.0\n")) == "requirements/base.txt changed"
    assert (
        reason(image=dataclasses.replace(IMAGE, id="sha256:" + "c" * 64))
        == "base image python:3.11-slim changed"
    )
    assert reason(image=dataclasses.replace(IMAGE, platform="linux/arm64")) == "platform is now linux/arm64"
    assert reason(apt=("gcc",)) == "build packages or dockyard's wheel builder changed"
    assert reason(image=None) == "base image not present locally"
    (directory / "six-1.17.0-py2.py3-none-any.whl").unlink()
    assert reason() == "six-1.17.0-py2.py3-none-any.whl is gone"


# --- the builder ------------------------------------------------------------------------------------------


def test_builder_dockerfile_has_a_stage_per_set_and_one_export_stage(tiny: Path) -> None:
    sets = wheelhouse.wheel_sets(plan_for(), tiny)
    text = wheelhouse.builder_dockerfile(sets, base_image="python:3.11-slim", apt_packages=("gcc",))
    parsed = parse_text(text)
    assert [s.name for s in parsed.stages] == [
        "toolchain",
        "set-installer",
        "set-base",
        "set-build-system",
        "wheelhouse",
    ]
    assert parsed.global_args == {"PYTHON_IMAGE": "python:3.11-slim"}
    assert "apt-get install -y --no-install-recommends gcc" in text
    scripts = {s.name: s.runs[0].script for s in parsed.stages if s.name and s.name.startswith("set-")}
    assert "--require-hashes --no-deps --wheel-dir /wheels -r /tmp/base.txt" in scripts["set-base"]
    assert "--require-hashes" not in scripts["set-installer"]
    assert [c.sources for c in parsed.final_stage.copies] == [("/wheels",)] * 3
    assert [c.dest for c in parsed.final_stage.copies] == ["/installer", "/base", "/build-system"]
    plain = wheelhouse.builder_dockerfile(
        sets[1:2], base_image="python:3.11-slim", syntax="docker/dockerfile:1"
    )
    assert plain.startswith("# syntax=docker/dockerfile:1\n") and "apt-get" not in plain


def test_export_request_argv(tmp_path: Path) -> None:
    request = wheelhouse.export_request(tmp_path / "ctx", tmp_path / "out", no_cache=True)
    argv = ClassicBuildKit().argv("docker", request)
    assert argv == [
        "docker", "build", "--progress=plain",
        "--file", str(tmp_path / "ctx" / "Dockerfile"),
        "--target", "wheelhouse",
        "--no-cache",
        "--output", f"type=local,dest={tmp_path / 'out'}",
        str(tmp_path / "ctx"),
    ]  # fmt: skip


# --- the generated Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_without_wheelhouse_mounts_none() -> None:
    text = render(plan_for(apt_build_packages=("gcc",)))
    assert "/wheels" not in text and "sha256sum" not in text
    assert "apt-get install -y --no-install-recommends gcc" in text


def test_dockerfile_with_wheelhouse_mounts_each_set_and_needs_no_index() -> None:
    plan = wheelhouse.use(
        plan_for(runtime_locks=("requirements/base.txt", "requirements/ml.txt"), apt_build_packages=("gcc",))
    )
    parsed = parse_text(render(plan))
    runs = [run for name in ("tools", "builder", "ml") for run in parsed.stage(name).runs]  # type: ignore[union-attr]
    mounts = [{m["source"] for m in run.mounts if m.get("target") == "/wheels"} for run in runs]
    assert mounts == [
        {"installer"},
        set(),  # the venv (and its .pth for /opt/ml)
        {"base"},
        {"build-system"},
        {"ml"},
    ]
    froms = {m.get("from") for run in runs for m in run.mounts if m.get("target") == "/wheels"}
    assert froms == {"wheelhouse"}
    # one Dockerfile for every platform: the stage copies the wheelhouse of the platform being built
    stage = parsed.stage("wheelhouse")
    assert stage is not None and stage.base == "scratch"
    assert "COPY .wheelhouse/${TARGETPLATFORM} /" in render(plan)
    scripts = [" ".join(run.script.split()) for run in runs if run.mounts]
    scripts = [scripts[0], scripts[1], scripts[3], scripts[2]]  # installer, base, ml, build-system
    assert "pip install --no-index --find-links /wheels uv==0.13.8" in scripts[0]
    for script in scripts[1:3]:
        assert script.startswith("sha256sum -c /wheels/lock.sha256 ||")
        assert (
            "--require-hashes --no-deps --no-index --find-links /wheels -r /wheels/requirements.txt" in script
        )
    assert "--no-deps --no-index --find-links /wheels /src" in scripts[3]
    assert "apt-get" not in render(plan)  # compilers stay in the wheel builder


def test_online_wheelhouse_keeps_the_index() -> None:
    text = render(wheelhouse.use(plan_for(installer="pip"), offline=False))
    assert "--require-hashes --no-deps --find-links /wheels -r /wheels/requirements.txt" in text
    assert "--no-index" not in text


# --- build, with the process seam faked -------------------------------------------------------------------


def fake_engine(tmp_path: Path) -> Engine:
    settings = Settings(project=tmp_path, cache_dir=tmp_path / "cache")
    caps: Any = SimpleNamespace(docker="docker", docker_path=None)
    return Engine(settings, caps, ClassicBuildKit())


INSPECT = json.dumps([{"Id": IMAGE.id, "Os": "linux", "Architecture": "amd64"}])
OUTPUT = """#5 [set-base 1/1] RUN --mount=type=cache,target=/root/.cache/pip pip wheel
#5 1.0 Saved /wheels/six-1.17.0-py2.py3-none-any.whl
#5 DONE 1.2s
"""


def script_export(fake_process: Any, wheels: dict[str, dict[str, bytes]], *, returncode: int = 0) -> None:
    """Answer `docker build ... --output type=local,dest=DIR` by writing ``wheels`` (set -> files) there."""

    def answer(argv: tuple[str, ...]) -> process.Result:
        dest = Path(argv[argv.index("--output") + 1].removeprefix("type=local,dest="))
        for name, files in wheels.items():
            (dest / name).mkdir(parents=True)
            for file, data in files.items():
                (dest / name / file).write_bytes(data)
        return process.Result(argv, returncode, OUTPUT, "")

    fake_process.answers.insert(0, (("docker", "build"), answer))


def test_build_rebuilds_only_stale_sets_and_swaps_them_in(tiny: Path, fake_process: Any) -> None:
    fake_process.on(["docker", "image", "inspect"], stdout=INSPECT)
    plan = plan_for(installer="pip", install_project=False)
    engine = fake_engine(tiny)
    six = b"six wheel"  # the file the lock names: give the lock its hash
    lock = tiny / "requirements" / "base.txt"
    lock.write_text(lock.read_text().replace(SIX_WHEEL, hashlib.sha256(six).hexdigest()))
    wheels = {"six-1.17.0-py2.py3-none-any.whl": six, "docopt-0.6.2-py2.py3-none-any.whl": b"built"}
    script_export(fake_process, {"base": wheels})

    report = wheelhouse.build(engine, plan, tiny)
    assert [m.set for m in report.built] == ["base"] and report.after.up_to_date
    assert report.rows() == [("base", "requirements/base.txt", "built 2, 1 from sdists (missing)")]
    base = tiny / ".wheelhouse" / "linux" / "amd64" / "base"
    assert sorted(p.name for p in base.iterdir()) == [
        "docopt-0.6.2-py2.py3-none-any.whl", "lock.sha256", "requirements.txt",
        "six-1.17.0-py2.py3-none-any.whl", "wheelhouse.json",
    ]  # fmt: skip
    assert (tiny / ".wheelhouse" / ".gitignore").read_text().endswith("*\n")
    assert not (tiny / ".dockyard" / wheelhouse.EXPORT_DIR).exists()
    assert (
        "FROM toolchain AS set-base" in (tiny / ".dockyard" / "wheelhouse-build" / "Dockerfile").read_text()
    )
    assert report.log_path is not None and "Saved /wheels/six" in report.log_path.read_text()

    builds = len([c for c in fake_process.calls if c[:2] == ("docker", "build")])
    again = wheelhouse.build(engine, plan, tiny)
    assert again.built == () and again.rows() == [("base", "requirements/base.txt", "reused 2")]
    assert len([c for c in fake_process.calls if c[:2] == ("docker", "build")]) == builds

    forced = wheelhouse.build(engine, plan, tiny, force=True)
    assert forced.rows() == [("base", "requirements/base.txt", "built 2, 1 from sdists (--force)")]
    assert "--no-cache" in [c for c in fake_process.calls if c[:2] == ("docker", "build")][-1]
    assert not list((tiny / ".wheelhouse" / "linux" / "amd64").glob(".base.old-*"))


def test_failed_wheel_build_names_the_step_and_keeps_the_wheelhouse(tiny: Path, fake_process: Any) -> None:
    fake_process.on(["docker", "image", "inspect"], stdout=INSPECT)
    fake_process.on(
        ["docker", "build"],
        stdout="#5 [set-base 1/1] RUN pip wheel\n#5 0.5 ERROR: Hashes do not match\n#5 ERROR: exit code: 1\n",
        returncode=1,
    )
    with pytest.raises(BuildFailed, match=r"failed at \[set-base 1/1\]") as failed:
        wheelhouse.build(fake_engine(tiny), plan_for(installer="pip", install_project=False), tiny)
    assert "Hashes do not match" in failed.value.output_tail
    assert not (tiny / ".wheelhouse").exists()


def test_missing_base_image_makes_sets_stale(tiny: Path, fake_process: Any) -> None:
    fake_process.on(["docker", "image", "inspect"], returncode=1, stderr="No such image")
    status = wheelhouse.status(plan_for(installer="pip", install_project=False), tiny, "docker")
    assert status.image is None and status.stale and not status.up_to_date


ARM64 = json.dumps([{"Id": "sha256:" + "a" * 64, "Os": "linux", "Architecture": "arm64"}])


def test_a_platforms_wheelhouse_is_built_for_it_and_kept_apart(tiny: Path, fake_process: Any) -> None:
    plan = plan_for(installer="pip", install_project=False)
    engine = fake_engine(tiny)
    six = b"six wheel"
    lock = tiny / "requirements" / "base.txt"
    lock.write_text(lock.read_text().replace(SIX_WHEEL, hashlib.sha256(six).hexdigest()))
    script_export(fake_process, {"base": {"six-1.17.0-py2.py3-none-any.whl": six}})
    fake_process.on(["docker", "image", "inspect"], stdout=INSPECT)
    native = wheelhouse.build(engine, plan, tiny)
    assert native.after.platform == "linux/amd64" and native.after.up_to_date

    fake_process.on(["docker", "image", "inspect"], stdout=ARM64)  # the base of that platform
    arm = wheelhouse.build(engine, plan, tiny, platform="linux/arm64")
    assert [m.platform for m in arm.built] == ["linux/arm64"] and arm.after.up_to_date
    export = [c for c in fake_process.calls if c[:2] == ("docker", "build")][-1]
    assert export[export.index("--platform") + 1] == "linux/arm64"
    for arch in ("amd64", "arm64"):
        manifest = wheelhouse.read_manifest(tiny / ".wheelhouse" / "linux" / arch / "base")
        assert manifest is not None and manifest.platform == f"linux/{arch}"


def test_wheels_built_on_a_base_of_another_platform_are_not_kept(tiny: Path, fake_process: Any) -> None:
    fake_process.on(["docker", "image", "inspect"], stdout=INSPECT)  # the daemon's base is amd64
    script_export(fake_process, {"base": {"six-1.17.0-py2.py3-none-any.whl": b"x"}})
    plan = plan_for(installer="pip", install_project=False)
    before = wheelhouse.status(plan, tiny, "docker", "linux/arm64")
    assert before.platform == "linux/arm64" and before.image is None
    assert before.directory == tiny / ".wheelhouse" / "linux" / "arm64"
    with pytest.raises(DockyardError, match="built for linux/arm64, but the daemon's") as caught:
        wheelhouse.build(fake_engine(tiny), plan, tiny, platform="linux/arm64")
    assert caught.value.hint is not None and "docker pull --platform linux/arm64" in caught.value.hint
    assert not (tiny / ".wheelhouse").exists()
    assert not (tiny / ".dockyard" / wheelhouse.EXPORT_DIR).exists()
