"""CI/CD pipelines for the target project, GitHub Actions and GitLab CI, rendered from one model.

Both files run the same commands (the dockyard tasks a developer runs locally, and the buildx builds
with the registry cache), so the model holds them as argv lists built by pure functions.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard import __version__
from dockyard.config import Settings
from dockyard.render import writer
from dockyard.render.templating import environment
from dockyard.render.writer import GeneratedFile, WritePlan

GITHUB_FILE = ".github/workflows/docker.yml"
GITLAB_FILE = ".gitlab-ci.yml"
SOURCE = "dockyard ci"
DOCKERFILE = "docker/Dockerfile"
TARGETS = ("test", "runtime")
SARIF = "dockyard-scan.sarif"
#: the scan gate; the same severity a developer passes to `dockyard scan --fail-on`
FAIL_ON = "high"
BENCH_THRESHOLD_PCT = 10.0
BENCH_SCENARIOS = "noop,code,deps"
BENCH_RUNS = 3
#: where the pull request's base commit is checked out for the benchmark gate
BASE_DIR = "${RUNNER_TEMP:-/tmp}/dockyard-base"
#: when the scheduled rebuild runs (GitHub; GitLab schedules are set in the project's settings)
SCHEDULE_CRON = "23 4 * * 1"
CACHE_NOTE = (
    "RUN --mount=type=cache contents live in one builder's local cache and do not survive a fresh "
    "runner; what carries over between runners is the registry cache (type=registry,mode=max) and "
    "the wheelhouse."
)
EVENTS = ("pull_request", "default_branch", "schedule")


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str
    commands: tuple[tuple[str, ...], ...]

    def script(self) -> tuple[str, ...]:
        return tuple(shell_line(argv) for argv in self.commands)


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    event: str  # one of EVENTS: when the job runs
    summary: str
    steps: tuple[Step, ...]
    uploads_sarif: bool = False
    needs_history: bool = False  # the benchmark gate checks out the base commit


@dataclass(frozen=True, kw_only=True)
class Pipeline:
    image: str  # repository path under the registry, e.g. inference-service
    registry: str  # the default of the REGISTRY variable (the `registry` setting)
    python: str
    jobs: tuple[Job, ...]
    #: what the runner installs: the dockyard that wrote the files, so `docs --check` sees the same tasks
    install: str = f"dockyard=={__version__}"
    sarif: str = SARIF
    cache_note: str = CACHE_NOTE
    schedule_cron: str = SCHEDULE_CRON


# --- commands ---------------------------------------------------------------------------------------------

_BARE = re.compile(r"[\w@%+=:,./-]+")


def shell_line(argv: Sequence[str]) -> str:
    """One POSIX shell line; words holding ``$VAR`` stay expandable inside double quotes."""
    words = []
    for word in argv:
        if _BARE.fullmatch(word):
            words.append(word)
        elif "$" in word and not re.search(r'["\\`]', word):
            words.append(f'"{word}"')
        else:
            words.append(shlex.quote(word))
    return " ".join(words)


def image_ref(image: str, tag: str) -> str:
    return f"${{REGISTRY}}/{image}:{tag}"


def cache_ref(image: str, target: str) -> str:
    return f"type=registry,ref={image_ref(image, f'buildcache-{target}')}"


def build_argv(
    image: str, target: str, *, export_cache: bool, use_cache: bool = True, dockerfile: str = DOCKERFILE
) -> tuple[str, ...]:
    """``docker buildx build`` of one target with the registry cache; the image is loaded for the scan."""
    argv = ["docker", "buildx", "build", "--file", dockerfile, "--target", target]
    argv += ["--tag", image_ref(image, f"{target}-${{COMMIT_SHA}}")]
    if use_cache:
        argv += ["--cache-from", cache_ref(image, target)]
    else:
        argv += ["--no-cache", "--pull"]
    if export_cache:
        argv += ["--cache-to", f"{cache_ref(image, target)},mode=max"]
    argv += ["--load", "."]
    return tuple(argv)


def push_argv(image: str) -> tuple[tuple[str, ...], ...]:
    built = image_ref(image, "runtime-${COMMIT_SHA}")
    return (
        ("docker", "push", built),
        ("docker", "tag", built, image_ref(image, "latest")),
        ("docker", "push", image_ref(image, "latest")),
    )


def scan_argv(image: str) -> tuple[str, ...]:
    return (
        "dockyard",
        "scan",
        "--image",
        image_ref(image, "runtime-${COMMIT_SHA}"),
        "--fail-on",
        FAIL_ON,
        "--sarif",
        SARIF,
    )


def bench_gate_commands() -> tuple[tuple[str, ...], ...]:
    """Benchmark the base commit and this one on the same runner, then ``bench.compare`` them."""
    variant = f"optimized={DOCKERFILE}:runtime"

    def bench(json_out: str, *project: str) -> tuple[str, ...]:
        return (
            "dockyard",
            "bench",
            *project,
            "--variant",
            variant,
            "--scenario",
            BENCH_SCENARIOS,
            "--runs",
            str(BENCH_RUNS),
            "--json",
            json_out,
            "--no-history",
        )

    return (
        ("git", "worktree", "add", "--detach", BASE_DIR, "${BASE_SHA}"),
        bench("bench-base.json", "--project", BASE_DIR),
        bench("bench-head.json"),
        (
            "dockyard",
            "bench.compare",
            "--baseline",
            "bench-base.json",
            "--result",
            "bench-head.json",
            "--threshold",
            f"{BENCH_THRESHOLD_PCT:g}",
        ),
    )


# --- the pipeline -----------------------------------------------------------------------------------------


def _builds(image: str, *, export_cache: bool, use_cache: bool = True) -> tuple[Step, ...]:
    return tuple(
        Step(
            name=f"Build the {target} target",
            commands=(build_argv(image, target, export_cache=export_cache, use_cache=use_cache),),
        )
        for target in TARGETS
    )


def _scan(image: str) -> Step:
    return Step(name="Scan (dockyard scan)", commands=(scan_argv(image),))


def pipeline(settings: Settings) -> Pipeline:
    """The jobs: check a pull request, publish the default branch, rebuild fresh on a schedule."""
    image = re.sub(r"[^a-z0-9._-]+", "-", settings.project.name.lower()).strip("-._") or "app"
    pull_request = Job(
        name="check",
        event="pull_request",
        summary="pull requests: build test and runtime with the registry cache (read only), scan, "
        "the developer guide is current, no build-time regression against the base commit",
        steps=(
            Step(name="Developer guide is current", commands=(("dockyard", "docs", "--check"),)),
            *_builds(image, export_cache=False),
            _scan(image),
            Step(name="Build-time regression gate (bench.compare)", commands=bench_gate_commands()),
        ),
        uploads_sarif=True,
        needs_history=True,
    )
    publish = Job(
        name="publish",
        event="default_branch",
        summary="the default branch: build with the registry cache (read and write), scan, push the image",
        steps=(
            *_builds(image, export_cache=True),
            _scan(image),
            Step(name="Push the runtime image", commands=push_argv(image)),
        ),
        uploads_sarif=True,
    )
    rebuild = Job(
        name="rebuild",
        event="schedule",
        summary="scheduled: rebuild without any cache and with a fresh base image, to pick up security "
        "updates; refresh the registry cache, scan, push",
        steps=(
            *_builds(image, export_cache=True, use_cache=False),
            _scan(image),
            Step(name="Push the runtime image", commands=push_argv(image)),
        ),
        uploads_sarif=True,
    )
    return Pipeline(
        image=image,
        registry=settings.registry,
        python=settings.python_version,
        jobs=(pull_request, publish, rebuild),
    )


# --- rendering ------------------------------------------------------------------------------------------


def _yaml_str(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value))


def render_github(p: Pipeline) -> str:
    return environment(yaml_str=_yaml_str).get_template("github-workflow.yml.j2").render(p=p, gh=_gh)


def render_gitlab(p: Pipeline) -> str:
    return environment(yaml_str=_yaml_str).get_template("gitlab-ci.yml.j2").render(p=p)


def _gh(expression: str) -> str:
    return "${{ " + expression + " }}"


def files(settings: Settings) -> dict[Path | str, GeneratedFile]:
    p = pipeline(settings)
    source = "docker/Dockerfile and [tool.dockyard] settings"
    return {
        GITHUB_FILE: GeneratedFile(render_github(p), source=source),
        GITLAB_FILE: GeneratedFile(render_gitlab(p), source=source),
    }


def plan(settings: Settings, *, force: bool = False) -> WritePlan:
    return writer.plan_writes(settings.project, files(settings), force=force, state_dir=settings.state_dir)
