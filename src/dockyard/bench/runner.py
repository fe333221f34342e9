"""Run the benchmark: scenarios x variants x repeats, interleaved, on scratch copies; plan first,
then act (docs/architecture.md says why each rule is there).
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from dockyard import dockerfile as dockerfile_mod
from dockyard import dockerignore, process
from dockyard.bench import scenarios as edits
from dockyard.bench.model import (
    DEFAULT_SCENARIOS,
    SCENARIOS,
    ContextSize,
    Environment,
    Measurements,
    Run,
    Variant,
)
from dockyard.engine import BuildRequest, BuildResult, Engine
from dockyard.engine import cli as docker_cli
from dockyard.engine.builders import Buildx
from dockyard.engine.cache import CachePlan, build_with_cache, plan_cache
from dockyard.errors import ConfigError
from dockyard.requirements import lock_command

FLOOR = "floor"
PRIME = "prime"
EXPORT = "export"  # untimed: fill the registry cache the fresh scenario imports
#: the buildx builder instance benchmarks run on, so a cold scenario never prunes the user's own builder
BENCH_BUILDER = "dockyard-bench"


@dataclass(frozen=True, kw_only=True)
class Options:
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS
    runs: int = 3
    allow_prune: bool = False
    code_file: Path | None = None
    package: str = edits.DEFAULT_PACKAGE
    versions: tuple[str, ...] = edits.DEFAULT_VERSIONS
    requirements_dir: str = "requirements"
    #: ``--build-arg`` values for every variant's builds (the ``build_args`` setting)
    build_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One build of the plan."""

    repeat: int
    scenario: str  # a scenario, or "prime" (untimed warm-up) or "floor"
    variant: str

    @property
    def timed(self) -> bool:
        return self.scenario not in (PRIME, EXPORT)

    def label(self, runs: int) -> str:
        return f"repeat {self.repeat + 1}/{runs} · {self.scenario} · {self.variant}"


def parse_variant(spec: str) -> Variant:
    """``NAME=DOCKERFILE[:TARGET]``."""
    name, sep, rest = spec.partition("=")
    if not sep or not name or not rest:
        raise ConfigError(
            f"--variant {spec!r} is not NAME=DOCKERFILE[:TARGET]",
            hint="e.g. --variant naive=Dockerfile --variant optimized=docker/Dockerfile:runtime",
        )
    dockerfile, _, target = rest.partition(":")
    return Variant(name=name, dockerfile=dockerfile, target=target or None)


def parse_scenarios(text: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        raise ConfigError(
            f"unknown scenario(s) {unknown or text!r}", hint=f"choose from {','.join(SCENARIOS)}"
        )
    return tuple(s for s in SCENARIOS if s in chosen)


def plan(variants: Sequence[Variant], options: Options) -> list[Step]:
    emptying = [s for s in ("cold", "fresh") if s in options.scenarios]
    if emptying and not options.allow_prune:
        raise ConfigError(
            f"the {' and '.join(emptying)} scenario empties the build cache: every cached layer and "
            "cache mount of the builder" + (" (images are kept)" if "fresh" not in emptying else ""),
            hint="pass --allow-prune to agree, or leave it out: --scenario noop,code,deps",
        )
    if len({v.name for v in variants}) != len(variants) or not variants:
        raise ConfigError("give each --variant a distinct name (at least one variant)")
    steps: list[Step] = []
    for repeat in range(options.runs):
        for scenario in options.scenarios:
            if scenario == "fresh":
                steps += [Step(repeat=repeat, scenario=EXPORT, variant=v.name) for v in variants]
            steps += [Step(repeat=repeat, scenario=scenario, variant=v.name) for v in variants]
            if scenario == "cold":
                steps += [Step(repeat=repeat, scenario=PRIME, variant=v.name) for v in variants]
            if scenario == "code":
                steps += [Step(repeat=repeat, scenario=FLOOR, variant=v.name) for v in variants]
        if "code" not in options.scenarios:
            steps += [Step(repeat=repeat, scenario=FLOOR, variant=v.name) for v in variants]
    if "cold" not in options.scenarios:
        steps = [Step(repeat=0, scenario=PRIME, variant=v.name) for v in variants] + steps
    return steps


def bench_engine(engine: Engine) -> tuple[Engine, str]:
    """The engine a benchmark builds through, and a sentence saying whose build cache ``cold`` empties.

    With buildx that is a docker-container builder instance of dockyard's own (created on first use).
    When that driver cannot start (its moby/buildkit image cannot be pulled), the run falls back to
    buildx's docker driver and says so: then, as with the classic client, there is only the daemon's
    cache.
    """
    builder = engine.builder
    if isinstance(builder, Buildx):
        if builder.instance is not None:
            return engine, (
                f"buildx builder instance {builder.instance!r} (chosen by you); "
                "a cold build empties only its cache"
            )
        start = docker_cli.start_buildx_instance(engine.docker, BENCH_BUILDER)
        if start.running:
            chosen = replace(builder, instance=BENCH_BUILDER, driver="docker-container")
            how = "created now" if start.created else "reused"
            return replace(engine, builder=chosen), (
                f"buildx builder instance {BENCH_BUILDER!r} ({how}); a cold build empties only its cache"
            )
        return engine, (
            f"the docker-container driver could not start a builder of dockyard's own ({start.error}); "
            f"falling back to buildx's {builder.driver} driver, the daemon's BuildKit: a cold build empties "
            "the daemon's whole build cache, every cached layer and cache mount of every project on "
            "this daemon (images are kept)"
        )
    return engine, (
        "the daemon's BuildKit cache (no buildx here, so no separate builder instance); a cold build "
        "empties all of it: every cached layer and cache mount, images are kept"
    )


@dataclass
class Scratch:
    """A variant's private copy of the project, and the files the scenarios edit in it."""

    variant: Variant
    root: Path
    base_image: str
    code_file: Path
    requirements: list[edits.RequirementsEdit]

    @property
    def dockerfile(self) -> Path:
        return self.root / self.variant.dockerfile


@contextmanager
def scratch_copies(
    project: Path, variants: Sequence[Variant], options: Options, work: Path
) -> Iterator[list[Scratch]]:
    copies: list[Scratch] = []
    try:
        for variant in variants:
            source_df = project / variant.dockerfile
            if not source_df.is_file():
                raise ConfigError(f"variant {variant.name}: {source_df} does not exist")
            root = work / variant.name
            shutil.copytree(project, root, symlinks=True, ignore=shutil.ignore_patterns(".dockyard"))
            parsed = dockerfile_mod.parse_file(root / variant.dockerfile)
            code = options.code_file or edits.pick_code_file(root)
            deps = "deps" in options.scenarios
            reqs = edits.requirement_targets(root, options.requirements_dir) if deps else []
            copies.append(Scratch(variant, root, base_image_of(parsed, variant.target), code, reqs))
        yield copies
    finally:
        shutil.rmtree(work, ignore_errors=True)


def base_image_of(parsed: dockerfile_mod.Dockerfile, target: str | None) -> str:
    """The external image the target stage (default: the last) ultimately starts from."""
    stage = parsed.stage(target) if target else parsed.final_stage
    if stage is None:
        raise ConfigError(f"{parsed.path}: no stage named {target!r}")
    while stage.base_stage is not None:
        stage = parsed.stages[stage.base_stage]
    return stage.base


def ignore_patterns_for(context: Path, dockerfile: Path) -> tuple[str, ...]:
    """BuildKit reads ``<Dockerfile>.dockerignore`` beside the Dockerfile first, else the context's."""
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if candidate.is_file():
            return dockerignore.read_dockerignore(candidate)
    return ()


def floor_context(work: Path, base_image: str, token: str) -> Path:
    """The least any rebuild can cost: the base image plus one changed file."""
    ctx = work / f"floor-{token}"
    ctx.mkdir(parents=True)
    (ctx / "Dockerfile").write_text(f"FROM {base_image}\nCOPY changed.txt /dockyard-floor/changed.txt\n")
    (ctx / "changed.txt").write_text(f"{token}\n")
    return ctx


Progress = Callable[[int, int, Step, float | None], None]


@dataclass
class Runner:
    engine: Engine
    project: Path
    variants: tuple[Variant, ...]
    options: Options
    on_progress: Progress | None = None
    on_build_step: Callable[[str], None] | None = None
    #: every image this run made (and the variants' images it found): the fresh scenario removes them
    made: list[str] = field(default_factory=list, init=False)
    _copies: list[Scratch] = field(default_factory=list, init=False)

    def tag(self, variant: str) -> str:
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.project.name.lower())
        return f"dockyard-bench/{name}:{variant}"

    def run(self) -> Measurements:
        steps = plan(self.variants, self.options)
        runs: list[Run] = []
        floor: dict[str, list[float]] = {v.name: [] for v in self.variants}
        image_bytes: dict[str, int] = {}
        floor_images: list[str] = []
        durations: list[float] = []
        # Each build moves a variant's tag and leaves the image it named dangling: gather them all.
        superseded = self.made
        superseded += [i.id for i in docker_cli.inspect_images(self.engine.docker, self._tags())]
        work = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
        try:
            with scratch_copies(self.project, self.variants, self.options, work / "copies") as copies:
                by_name = {c.variant.name: c for c in copies}
                self._copies = copies
                context = {c.variant.name: self._context(c) for c in copies}
                for index, step in enumerate(steps):
                    if self.on_progress:
                        left = _eta(durations, len(steps) - index)
                        self.on_progress(index + 1, len(steps), step, left)
                    started = time.monotonic()
                    scratch = by_name[step.variant]
                    if step.scenario == FLOOR:
                        result = self._floor(scratch, work, step)
                        floor[step.variant].append(result.wall_s)
                        floor_images.append(result.image_id)
                    elif step.scenario == EXPORT:
                        result = self._export(scratch)
                        superseded.append(result.image_id)
                    else:
                        result = self._build(scratch, step)
                        superseded.append(result.image_id)
                        image_bytes[step.variant] = result.image_bytes
                        if step.timed:
                            runs.append(_run_record(step, result))
                    durations.append(time.monotonic() - started)
        finally:
            docker_cli.remove_images(self.engine.docker, floor_images)
            # The last image of each variant keeps its tag; every other one the run made or untagged goes.
            docker_cli.remove_dangling(self.engine.docker, superseded)
            shutil.rmtree(work, ignore_errors=True)
        return Measurements(
            project=str(self.project),
            variants=self.variants,
            scenarios=self.options.scenarios,
            runs=tuple(runs),
            image_bytes=image_bytes,
            context=context,
            floor_s={k: tuple(v) for k, v in floor.items()},
            environment=self._environment(),
        )

    def _tags(self) -> list[str]:
        return [self.tag(v.name) for v in self.variants]

    def _request(self, scratch: Scratch) -> BuildRequest:
        return BuildRequest(
            context=scratch.root,
            dockerfile=scratch.dockerfile,
            target=scratch.variant.target,
            tags=(self.tag(scratch.variant.name),),
            build_args=self.options.build_args,
        )

    def cache_plan(self, scratch: Scratch) -> CachePlan:
        """The variant's registry cache, in a repository of its own (``bench-VARIANT-PROJECT``)."""
        return plan_cache(
            dockerfile_mod.parse_file(scratch.dockerfile),
            scratch.variant.target,
            registry=self.engine.settings.registry,
            project=f"bench-{scratch.variant.name}-{self.project.name}",
            builder=self.engine.builder,
        )

    def _export(self, scratch: Scratch) -> BuildResult:
        plan = self.cache_plan(scratch)
        results = build_with_cache(
            self.engine,
            self._request(scratch),
            plan,
            export=True,
            label=f"bench-{scratch.variant.name}-export",
            on_step=self._on_step,
        )
        return results[-1]

    def _fresh(self, scratch: Scratch, token: str) -> BuildResult:
        """A new runner: no build cache, none of the images this run made; only the registry cache."""
        plan = self.cache_plan(scratch)
        docker = self.engine.docker
        # No image of this run may stay: a layer any of them holds would spare the build its download.
        pushed = [ref for c in self._copies for ref in self.cache_plan(c).pushes()]
        docker_cli.remove_images(docker, [*self._tags(), *pushed])
        docker_cli.remove_dangling(docker, self.made)
        docker_cli.prune_build_cache(docker, builder=_instance(self.engine))
        edits.change_code(scratch.root, scratch.code_file, token)
        [result] = build_with_cache(
            self.engine,
            self._request(scratch),
            plan,
            export=False,
            label=f"bench-{scratch.variant.name}-fresh",
            on_step=self._on_step,
        )
        return result

    def _build(self, scratch: Scratch, step: Step) -> BuildResult:
        token = f"{step.repeat}-{uuid.uuid4().hex[:8]}"
        if step.scenario == "fresh":
            return self._fresh(scratch, token)
        if step.scenario == "cold":
            docker_cli.prune_build_cache(self.engine.docker, builder=_instance(self.engine))
        elif step.scenario == "code":
            edits.change_code(scratch.root, scratch.code_file, token)
        elif step.scenario == "deps":
            self._change_deps(scratch, step.repeat)
        request = self._request(scratch)
        return self.engine.build(
            request, label=f"bench-{scratch.variant.name}-{step.scenario}", on_step=self._on_step
        )

    def _on_step(self, step: object) -> None:
        if self.on_build_step is not None:
            self.on_build_step(getattr(step, "name", ""))

    def _floor(self, scratch: Scratch, work: Path, step: Step) -> BuildResult:
        token = uuid.uuid4().hex
        ctx = floor_context(work / "floor", scratch.base_image, token)
        try:
            return self.engine.build(BuildRequest(context=ctx), label="bench-floor")
        finally:
            shutil.rmtree(ctx, ignore_errors=True)

    def _change_deps(self, scratch: Scratch, repeat: int) -> None:
        texts = [
            (e.locked_from or e.path).read_text(encoding="utf-8", errors="replace")
            for e in scratch.requirements
        ]
        package, versions = edits.pick_package(texts, self.options.package, self.options.versions)
        requirement = edits.deps_requirement(repeat, package, versions)
        nonce = uuid.uuid4().hex[:12]
        for edit in scratch.requirements:
            if edit.locked_from is None:
                edits.set_bench_requirement(edit.path, requirement, nonce)
            else:
                edits.set_bench_requirement(edit.locked_from, requirement, nonce)
                _relock(edit.locked_from, edit.path, self.engine.settings.python_version)
                edits.set_bench_requirement(edit.path, "", nonce)

    def _context(self, scratch: Scratch) -> ContextSize:
        files = dockerignore.context_files(
            scratch.root, ignore_patterns_for(scratch.root, scratch.dockerfile)
        )
        return ContextSize(bytes=sum(f.size for f in files), files=len(files))

    def _environment(self) -> Environment:
        caps = self.engine.caps
        return Environment(
            docker_client=caps.client_version or "",
            docker_server=caps.server_version or "",
            builder=":".join(filter(None, (caps.builder, _instance(self.engine)))),
            cores=os.cpu_count() or 0,
            platform=f"{platform.system().lower()}/{platform.machine()}",
            git_commit=git_commit(self.project),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )


def _instance(engine: Engine) -> str | None:
    return getattr(engine.builder, "instance", None)


def _run_record(step: Step, result: BuildResult) -> Run:
    return Run(
        variant=step.variant,
        scenario=step.scenario,
        repeat=step.repeat,
        wall_s=result.wall_s,
        cache_hit_ratio=result.cache_hit_ratio,
        steps=tuple((s.name, s.status, s.seconds) for s in result.steps if s.kind == "instruction"),
    )


def _eta(durations: list[float], remaining: int) -> float | None:
    if not durations:
        return None
    recent = durations[-8:]
    return sum(recent) / len(recent) * remaining


def _relock(source: Path, output: Path, python_version: str) -> None:
    """Re-lock one edited input exactly as phase 1 locks it."""
    uv = process.tool_path("uv") or "uv"
    argv = lock_command(source.name, output.name, python_version=python_version, uv=uv)
    process.run(argv, cwd=source.parent, echo=False)


def git_commit(project: Path) -> str | None:
    if shutil.which("git") is None:
        return None
    result = process.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=False, echo=False)
    return result.stdout.strip() if result.returncode == 0 else None
