"""The build primitive: run one BuildKit build, watch its progress, measure it.

A build streams BuildKit's plain progress through :mod:`dockyard.engine.progress`, keeps the
full log in a file, and returns a :class:`BuildResult` with wall time, per-step status and
seconds, cache-hit ratio, image id and size. A failed build raises :class:`BuildFailed` naming
the failing step with the last lines of its output and the path of the full log.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from dockyard import process
from dockyard.engine import cli
from dockyard.engine.builders import Builder, BuildRequest
from dockyard.engine.platform_plan import BINFMT_HINT
from dockyard.engine.progress import ProgressParser, Step, StepRecord, cache_hit_ratio
from dockyard.errors import BuildFailed
from dockyard.layout import WHEELHOUSE_DIR
from dockyard.ui import human_bytes, seconds, table

OnStep = Callable[[Step], None]


@dataclass(frozen=True)
class BuildResult:
    wall_s: float
    steps: tuple[StepRecord, ...]
    cache_hit_ratio: float
    image_id: str
    image_bytes: int
    log_path: Path
    builder: str
    #: time.monotonic() when the build started: lines up the timelines of concurrent builds
    started_at: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "wall_s": round(self.wall_s, 3),
            "steps": [s.as_json() for s in self.steps],
            "cache_hit_ratio": round(self.cache_hit_ratio, 4),
            "image_id": self.image_id,
            "image_bytes": self.image_bytes,
            "builder": self.builder,
            "log": str(self.log_path),
        }

    @property
    def executed(self) -> list[StepRecord]:
        return [s for s in self.steps if s.kind == "instruction" and not s.cached]


def log_path_for(log_dir: Path, label: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in label)[:60]
    return log_dir / f"build-{stamp}-{safe}.log"


def describe_step(step: Step) -> str:
    status = step.status
    if status == "running" and step.output:
        return f"{step.name[:70]} | {step.output[-1][:60]}"
    return f"{step.name[:90]} ({status})"


def run_build(
    docker: str,
    builder: Builder,
    request: BuildRequest,
    *,
    log_dir: Path,
    label: str = "build",
    on_step: OnStep | None = None,
    extra_env: dict[str, str] | None = None,
) -> BuildResult:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path_for(log_dir, label)
    with tempfile.TemporaryDirectory(prefix="dockyard-build-") as tmp:
        iid = Path(tmp) / "iid"
        req = replace(request, iidfile=iid)
        argv = builder.argv(docker, req)
        started = time.monotonic()
        returncode, parser = stream_build(
            argv,
            {**builder.env(), **(extra_env or {})},
            log_path=log_path,
            on_step=on_step,
            started=started,
        )
        wall = time.monotonic() - started
        if returncode != 0 or not iid.is_file():
            raise build_failure(argv, returncode or 1, parser, log_path)
        image_id = iid.read_text().strip()
    # A pushed build (a platform list) is in the registry, not in the daemon's image store.
    image_bytes = 0 if request.push else cli.inspect_image(docker, image_id).size
    records = parser.records()
    return BuildResult(
        wall_s=wall,
        steps=tuple(records),
        cache_hit_ratio=cache_hit_ratio(records),
        image_id=image_id,
        image_bytes=image_bytes,
        log_path=log_path,
        builder=builder.name,
        started_at=started,
    )


def stream_build(
    argv: list[str],
    env: dict[str, str],
    *,
    log_path: Path,
    on_step: OnStep | None = None,
    started: float | None = None,
) -> tuple[int, ProgressParser]:
    """Run a build command, keep its whole output in ``log_path``, report each step as it changes.

    Each line is stamped with the seconds since ``started`` (default: now), for the timeline.
    """
    parser = ProgressParser()
    origin = time.monotonic() if started is None else started
    with log_path.open("w", encoding="utf-8") as log, process.stream(argv, env=env) as proc:
        log.write("$ " + " ".join(argv) + "\n")
        for line in proc.lines:
            log.write(line + "\n")
            step = parser.feed(line, at=time.monotonic() - origin)
            if step is not None and on_step is not None:
                on_step(step)
    # No exit status (it never ended) counts as a failure.
    return (1 if proc.returncode is None else proc.returncode), parser


def build_failure(
    argv: list[str],
    code: int,
    parser: ProgressParser,
    log_path: Path,
    *,
    failed_at: str = "build failed at step",
    failed_early: str = "build failed before any step ran",
) -> BuildFailed:
    """The error for a failed build: the failing step's last lines, and where the full log is."""
    failed = parser.failed_step()
    if failed is not None:
        lines = [*failed.output[-20:], f"ERROR: {failed.error}"]
        message = f"{failed_at} {failed.name}"
    else:
        lines = parser.trailing[-20:]
        message = failed_early
    hint = f"full log: {log_path}"
    said = [*lines, *parser.trailing]
    if any("exec format error" in line for line in said):
        hint = f"{BINFMT_HINT}; {hint}"
    if any(WHEELHOUSE_DIR in line and ("not found" in line or "no such file" in line) for line in said):
        hint = (
            f"{WHEELHOUSE_DIR}/ has no wheels for the platform being built: run `dockyard wheels "
            f"--platform OS/ARCH` for it; {hint}"
        )
    return BuildFailed(argv, code, "\n".join(lines), message=message, hint=hint)


def step_table(result: BuildResult) -> str:
    rows = [
        (s.name if len(s.name) <= 80 else s.name[:77] + "...", s.status, seconds(s.seconds))
        for s in result.steps
        if s.kind == "instruction" or s.seconds >= 0.05
    ]
    return table(rows, ["step", "status", "time"])


def summary_rows(result: BuildResult) -> list[tuple[str, str]]:
    instructions = [s for s in result.steps if s.kind == "instruction"]
    cached = sum(1 for s in instructions if s.cached)
    return [
        ("wall time", seconds(result.wall_s)),
        ("cache hits", f"{cached}/{len(instructions)} ({result.cache_hit_ratio:.0%})"),
        ("image", f"{result.image_id[:19]} ({human_bytes(result.image_bytes)})"),
        ("builder", result.builder),
        ("log", str(result.log_path)),
    ]
