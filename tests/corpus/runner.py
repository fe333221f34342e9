"""Run dockyard on every corpus project as a user would, and write the table (docs/corpus.md).

Each project is copied to scratch and git-initialised; then ``python -m dockyard`` runs phase1,
phase2, verify (when the task exists) and a code-change bench, each with a timeout. A failing step
is recorded with its last error line and the run goes on. ``python -m tests.corpus.runner --help``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.corpus import table
from tests.corpus.table import BenchFigures, Entry, ProjectResult, StepResult

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MANIFEST = HERE / "corpus.toml"
AFTER = "docker/Dockerfile:runtime"
GIT_IDENTITY = ("-c", "user.name=dockyard corpus", "-c", "user.email=corpus@localhost")
#: The images the naive Dockerfiles start from, and the script that makes each when it cannot be pulled.
BASE_IMAGES = {"python:3.11-slim": ".ci/make-base-image", "python:3.11": ".ci/make-full-base-image"}


@dataclass(frozen=True)
class Options:
    scratch: Path
    runs: int = 3
    bench: bool = True
    verify: bool = True
    baseline_scenario: str = "noop"
    timeouts: tuple[tuple[str, int], ...] = (
        ("phase1", 900),
        ("phase2", 1500),
        ("verify", 900),
        ("bench", 1800),
    )

    def timeout(self, step: str) -> int:
        return dict(self.timeouts)[step]


def dockyard_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "dockyard", *args]


@functools.cache
def task_help(task: str) -> str | None:
    """``dockyard TASK --help``, or None when this dockyard has no such task."""
    done = subprocess.run(dockyard_argv(task, "--help"), capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def with_json(task: str, args: list[str], report: Path) -> list[str]:
    """Ask for the JSON report when the task offers ``--json`` (the report shape is landing in parallel)."""
    help_text = task_help(task) or ""
    return [*args, "--json", str(report)] if "--json" in help_text else args


def step_argv(step: str, options: Options, logs: Path) -> list[str]:
    if step == "phase1":
        args = ["phase1", "--runs", "1", "--scenario", options.baseline_scenario]
        return dockyard_argv(*with_json("phase1", args, logs / "phase1.json"))
    if step == "phase2":
        # phase 2 ends with verify; the next step runs it on its own (timed, in its own column)
        args = ["phase2", "--no-bench", *(["--no-smoke"] if options.verify else [])]
        return dockyard_argv(*with_json("phase2", args, logs / "phase2.json"))
    if step == "verify":
        return dockyard_argv(*with_json("verify", ["verify"], logs / "verify.json"))
    if step == "bench":
        return dockyard_argv(
            "bench",
            *("--variant", "before=Dockerfile"),
            *("--variant", f"after={AFTER}"),
            *("--scenario", "code"),
            *("--runs", str(options.runs)),
            *("--json", str(logs / "bench.json")),
            "--no-history",
        )
    raise ValueError(f"unknown step {step!r}")


def base_images(dockerfile: Path) -> set[str]:
    """The external images a Dockerfile's FROM lines name (not its own stages, not ARG-chosen ones)."""
    froms = [line.split()[1] for line in dockerfile.read_text().splitlines() if line.startswith("FROM ")]
    return {f for f in froms if "$" not in f and not f.isidentifier()}


def original_dockerfile(entry: Entry) -> Path:
    if entry.is_sdist:
        return HERE / "sdists" / f"{entry.name}.Dockerfile"
    return HERE / "projects" / entry.name / "Dockerfile"


def base_image_of(entry: Entry) -> str:
    return ", ".join(sorted(base_images(original_dockerfile(entry)))) or "another image"


def ensure_base_images(entries: list[Entry]) -> None:
    """Make the base images the selected projects start from (the full one takes a few minutes once)."""
    wanted: set[str] = set()
    for entry in entries:
        wanted |= base_images(original_dockerfile(entry))
    docker = os.environ.get("DOCKYARD_DOCKER") or "docker"
    for image in sorted(wanted, key=list(BASE_IMAGES).index):
        subprocess.run(["bash", str(ROOT / BASE_IMAGES[image]), docker], check=True)


def run_step(argv: list[str], *, cwd: Path, timeout: int, log: Path) -> StepResult:
    """Run one command in its own process group, so a timeout also ends the builds it started."""
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, text=True, start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            code = None
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    seconds = time.monotonic() - start
    log.write_text(
        f"$ {' '.join(argv)}\n(cwd {cwd}, exit {code}, {seconds:.1f}s)\n\n{stdout}\n--- stderr\n{stderr}"
    )
    if code is None:
        return StepResult("timeout", seconds, f"no result after {timeout}s", None)
    if code != 0:
        reason = table.last_error_line(stderr, stdout).replace(f"{cwd}/", "").replace(str(cwd), ".")
        return StepResult("failed", seconds, reason, code)
    return StepResult("ok", seconds, "", 0)


def fetch_sdist(entry: Entry, downloads: Path) -> Path:
    """Download the pinned sdist with pip, hash-checked; returns the archive."""
    downloads.mkdir(parents=True, exist_ok=True)
    pin = downloads / f"{entry.name}.txt"
    pin.write_text(f"{entry.name}=={entry.version} --hash=sha256:{entry.sha256}\n")
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
    pip += ["--require-hashes", "-r", str(pin), "-d", str(downloads)]
    subprocess.run(pip, check=True, capture_output=True, text=True, timeout=600)
    stem = f"{entry.name}-{entry.version}"
    for candidate in downloads.iterdir():
        if candidate.name.lower().replace("_", "-").startswith(stem.lower()) and candidate.suffix == ".gz":
            return candidate
    raise FileNotFoundError(f"pip download left no {stem}*.tar.gz in {downloads}")


def unpack(archive: Path, target: Path) -> None:
    """Unpack an sdist into ``target``, without its top-level directory."""
    with tarfile.open(archive) as tar:
        tar.extractall(target.parent / ".unpack", filter="data")
    (top,) = (target.parent / ".unpack").iterdir()
    top.rename(target)
    (target.parent / ".unpack").rmdir()


def prepare(entry: Entry, options: Options) -> Path:
    """A scratch copy of the project as a fresh git repository with one commit."""
    target = options.scratch / f"corpus-{entry.name}"
    if target.exists():
        shutil.rmtree(target)
    if entry.is_sdist:
        unpack(fetch_sdist(entry, options.scratch / "downloads"), target)
        shutil.copyfile(HERE / "sdists" / f"{entry.name}.Dockerfile", target / "Dockerfile")
    else:
        shutil.copytree(
            HERE / "projects" / entry.name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for argv in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(argv, cwd=target, check=True, capture_output=True)
    subprocess.run(
        ["git", *GIT_IDENTITY, "commit", "-q", "-m", "naive project"],
        cwd=target,
        check=True,
        capture_output=True,
    )
    return target


def run_project(entry: Entry, options: Options) -> ProjectResult:
    logs = options.scratch / "logs" / entry.name
    logs.mkdir(parents=True, exist_ok=True)
    steps: dict[str, StepResult] = {}
    try:
        project = prepare(entry, options)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        reason = table.last_error_line(getattr(exc, "stderr", "") or "", str(exc))
        steps["phase1"] = StepResult("failed", 0.0, f"could not prepare the project: {reason}")
        return ProjectResult(entry.name, entry.kind, steps)
    bench: BenchFigures | None = None
    try:
        for step in table.STEPS:
            skip = skip_reason(step, steps, options)
            if skip:
                steps[step] = StepResult("skipped", 0.0, skip)
                continue
            argv = step_argv(step, options, logs)
            print(f"[corpus] {entry.name}: {step}", file=sys.stderr, flush=True)
            steps[step] = run_step(argv, cwd=project, timeout=options.timeout(step), log=logs / f"{step}.log")
            if step == "phase1" and steps[step].status == "ok":
                steps[step] = table.check_locks(steps[step], project / "requirements")
            print(
                f"[corpus] {entry.name}: {step}: {steps[step].status} {steps[step].reason}", file=sys.stderr
            )
        if steps["bench"].status == "ok":
            bench = table.bench_figures(json.loads((logs / "bench.json").read_text()))
    finally:
        remove_images(project.name)
    return ProjectResult(entry.name, entry.kind, steps, bench)


def skip_reason(step: str, done: dict[str, StepResult], options: Options) -> str:
    if step == "verify" and not options.verify:
        return "not requested (--no-verify)"
    if step == "verify" and task_help("verify") is None:
        return "this dockyard has no `verify` task"
    if step == "bench" and not options.bench:
        return "not requested (--no-bench)"
    needs = {"phase2": "phase1", "verify": "phase2", "bench": "phase2"}.get(step)
    if needs and done[needs].status != "ok":
        return f"{needs} did not succeed"
    return ""


def remove_images(project_name: str) -> None:
    """Remove the images dockyard tagged for this scratch project (phase 2's, verify's, the bench's)."""
    listed = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    name = project_name.lower()
    repositories = (name, f"dockyard-bench/{name}", f"dockyard-verify/{name}")
    mine = [t for t in listed.stdout.split() if t.split(":")[0] in repositories]
    if mine:
        subprocess.run(["docker", "image", "rm", "--force", *mine], capture_output=True, check=False)


def dockyard_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def write_outputs(results: list[ProjectResult], out: Path, options: Options, *, update: bool) -> None:
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    commit = dockyard_commit()
    stamp = f"dockyard `{commit}`, {created[:10]}"
    results = [r if r.measured else dataclasses.replace(r, measured=stamp) for r in results]
    earlier = out.with_suffix(".json")
    manifest = table.load_manifest(MANIFEST)
    if update and earlier.is_file():
        order = [e.name for e in manifest]
        results = table.merge(table.from_json(json.loads(earlier.read_text())), results, order)
    kinds = {e.name: e.kind for e in manifest}  # the manifest says what each project is
    results = [dataclasses.replace(r, kind=kinds.get(r.name, r.kind)) for r in results]
    runs = sorted({r.measured for r in results if r.measured})
    header = "\n".join(
        [
            "# The corpus",
            "",
            "Real-world-shaped projects written here, and real sdists. Like naive Dockerfiles in the",
            "wild, six start `FROM python:3.11` (the full image, about 1 GB with compilers, git and -dev",
            "libraries; made locally by .ci/make-full-base-image when it cannot be pulled) and the",
            "others `FROM python:3.11-slim`; each declares a dependency set like its real counterparts",
            "(the kind column gives the base and the count). The first, toy-shaped corpus (all on slim,",
            "1–4 dependencies) and its table are kept in [corpus-toy-shape.md](corpus-toy-shape.md).",
            "",
            f"Measured with {'; '.join(runs)}. Written by `nox -s corpus` (tests/corpus/runner.py):",
            "every project is copied to scratch, git-initialised, and run through",
            f"`python -m dockyard phase1 --runs 1 --scenario {options.baseline_scenario}`",
            "(a cheap baseline: dockyard's default also measures `code,deps`; `--baseline-scenario`),",
            "`phase2 --no-bench --no-smoke`, then `verify` (phase 2's closing check, timed on its own) and",
            f"`bench --variant before=Dockerfile --variant after={AFTER}",
            f"--scenario code --runs {options.runs}`. A step after a failed one is skipped.",
            "Figures are medians; × floor is the generated image's code-change rebuild against",
            "a trivial one-file build. The projects are in tests/corpus/projects/, the sdists and their",
            "Dockerfiles in tests/corpus/corpus.toml and tests/corpus/sdists/.",
            "",
            "Run it all with `nox -s corpus`; some projects with `nox -s corpus -- NAME... --update`",
            "(their rows are replaced, the others kept); `--keep` keeps the scratch copies and each",
            "step's log; `--help` lists the rest. The machine is shared: a run's code-change times",
            "are in docs/corpus.json (`runs_before`, `runs_after`) to judge their spread.",
        ]
    )
    groups = {e.name: base_image_of(e) for e in manifest}
    shapes = table.group_lines(results, groups)
    if shapes:
        header += "\n\nBy the base image of the original:\n\n" + "\n".join(shapes)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table.markdown(results, header=header))
    meta = {"dockyard": commit, "created": created, "runs": options.runs, "after": AFTER}
    out.with_suffix(".json").write_text(json.dumps(table.as_json(results, meta=meta), indent=2) + "\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.runner", description=__doc__)
    parser.add_argument("names", nargs="*", help="corpus projects to run (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="bench repeats of the code-change rebuild")
    parser.add_argument("--no-bench", action="store_true", help="skip the code-change benchmark")
    parser.add_argument(
        "--baseline-scenario",
        default="noop",
        help="phase 1's baseline scenarios (default noop: cheap; dockyard's own default is noop,code,deps)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip `dockyard verify`")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "corpus.md", help="Markdown table (+ .json)"
    )
    parser.add_argument("--scratch", type=Path, default=None, help="scratch directory (default: a temp dir)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace only the named projects' rows in the existing table (OUT's .json), keep the others",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any project failed a step (after writing the table)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, projects)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    entries = table.select(table.load_manifest(MANIFEST), args.names)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="dockyard-corpus-"))
    options = Options(
        scratch=scratch.resolve(),
        runs=args.runs,
        bench=not args.no_bench,
        verify=not args.no_verify,
        baseline_scenario=args.baseline_scenario,
    )
    results: list[ProjectResult] = []
    ensure_base_images(entries)
    try:
        for entry in entries:
            results.append(run_project(entry, options))
            write_outputs(results, args.out, options, update=args.update)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"[corpus] scratch and logs kept in {scratch}", file=sys.stderr)
    print(args.out.read_text())
    failed = [r.name for r in results if any(s.status in ("failed", "timeout") for s in r.steps.values())]
    if args.strict and failed:
        print(f"[corpus] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
