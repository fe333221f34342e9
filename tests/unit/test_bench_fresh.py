"""The fresh scenario, driven end to end with docker faked: export, empty, remove, change, import."""

from __future__ import annotations

from pathlib import Path

from dockyard import config, process
from dockyard.bench.model import Variant
from dockyard.bench.runner import Options, Runner
from dockyard.engine import Engine
from dockyard.engine.builders import ClassicBuildKit
from dockyard.engine.probe import Capabilities
from tests.unit.conftest import FakeProcess

DOCKERFILE = """\
FROM python:3.11-slim AS builder
RUN pip install six
FROM python:3.11-slim AS runtime
COPY --from=builder /usr/local /usr/local
COPY app /app/app
"""


def project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("print('hi')\n")
    (root / "Dockerfile").write_text(DOCKERFILE)
    return root


def test_fresh_exports_then_builds_from_the_registry_cache_alone(
    tmp_path: Path, fake_process: FakeProcess, data_dir: Path
) -> None:
    log = (data_dir / "engine" / "classic-code-change.log").read_text()

    def build(argv: tuple[str, ...]) -> process.Result:
        Path(argv[argv.index("--iidfile") + 1]).write_text("sha256:" + "1" * 64)
        return process.Result(argv, 0, log, "")

    fake_process.answers.insert(0, (("/usr/bin/docker", "build"), build))
    inspect = (data_dir / "engine" / "image-inspect.json").read_text()
    fake_process.on(["/usr/bin/docker", "image", "inspect"], stdout=inspect)
    fake_process.on(["/usr/bin/docker", "image", "rm"])
    fake_process.on(["/usr/bin/docker", "push"])
    fake_process.on(["/usr/bin/docker", "builder", "prune"])
    fake_process.on(["git"], returncode=1)

    caps = Capabilities(
        "docker", "/usr/bin/docker", "20.10.24", "20.10.24", None, None, True, None, None, "buildkit"
    )
    root = project(tmp_path / "svc")
    engine = Engine(
        config.load(root, {"cache_dir": str(tmp_path / "cache")}, environ={}), caps, ClassicBuildKit()
    )
    runner = Runner(
        engine,
        root,
        (Variant(name="opt", dockerfile="Dockerfile", target="runtime"),),
        Options(scenarios=("fresh",), runs=1, allow_prune=True),
    )
    measured = runner.run()

    [run] = measured.runs
    assert run.scenario == "fresh"
    calls = [" ".join(c) for c in fake_process.calls]
    repo = "localhost:5000/dockyard-cache/bench-opt-svc"
    pushes = [c for c in calls if " push " in c]
    assert pushes == [f"/usr/bin/docker push --quiet {repo}:stage-{s}" for s in ("builder", "runtime")]
    prune = next(i for i, c in enumerate(calls) if "builder prune" in c)
    assert prune > calls.index(pushes[-1])  # the cache is emptied after it was exported
    last_push = calls.index(pushes[-1])
    removed = next(c for c in calls[last_push:prune] if " image rm " in c)
    assert "dockyard-bench/svc:opt" in removed and f"{repo}:stage-builder" in removed
    fresh = next(c for c in calls[prune:] if c.startswith("/usr/bin/docker build "))
    assert f"--cache-from {repo}:stage-builder --cache-from {repo}:stage-runtime" in fresh
    assert "BUILDKIT_INLINE_CACHE" not in fresh  # importing only, nothing exported by this build


def test_build_args_reach_every_variant_build(
    tmp_path: Path, fake_process: FakeProcess, data_dir: Path
) -> None:
    """An original with `ARG VERSION_TAG` and no default (sherlock's) builds with the setting's value."""
    log = (data_dir / "engine" / "classic-code-change.log").read_text()

    def build(argv: tuple[str, ...]) -> process.Result:
        Path(argv[argv.index("--iidfile") + 1]).write_text("sha256:" + "1" * 64)
        return process.Result(argv, 0, log, "")

    fake_process.answers.insert(0, (("/usr/bin/docker", "build"), build))
    inspect = (data_dir / "engine" / "image-inspect.json").read_text()
    fake_process.on(["/usr/bin/docker", "image", "inspect"], stdout=inspect)
    fake_process.on(["/usr/bin/docker", "image", "rm"])
    fake_process.on(["git"], returncode=1)
    caps = Capabilities(
        "docker", "/usr/bin/docker", "20.10.24", "20.10.24", None, None, True, None, None, "buildkit"
    )
    root = project(tmp_path / "svc")
    settings = config.load(root, {"cache_dir": str(tmp_path / "cache")}, environ={})
    runner = Runner(
        Engine(settings, caps, ClassicBuildKit()),
        root,
        (Variant(name="before", dockerfile="Dockerfile"),),
        Options(scenarios=("noop",), runs=1, build_args={"VERSION_TAG": "0.15.0"}),
    )
    runner.run()
    builds = [" ".join(c) for c in fake_process.calls if c[:2] == ("/usr/bin/docker", "build")]
    variant_builds = [b for b in builds if "dockyard-bench/svc:before" in b]
    assert variant_builds and all("--build-arg VERSION_TAG=0.15.0" in b for b in variant_builds)
