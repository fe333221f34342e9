"""``dockyard scan`` as a step: decide what to scan, run every check, apply the ignores and the
gate, and write the report as JSON, Markdown and SARIF under the state directory."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard import dockerignore, process
from dockyard.config import Settings
from dockyard.errors import ConfigError
from dockyard.phases.report import Finding as ReportFinding
from dockyard.phases.report import Level, Progress, Status, StepReport, Table, no_progress
from dockyard.render import compose as compose_render
from dockyard.render.writer import atomic_write_text
from dockyard.scan import CHECKS, ScanResult, ScanTarget, ignores, osv, sarif
from dockyard.scan import mirror as osv_mirror
from dockyard.scan import report as scan_report
from dockyard.scan.report import ScanReport

GENERATED_DOCKERFILE = "docker/Dockerfile"
ROOT_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True, kw_only=True)
class ScanOptions:
    fail_on: str | None = None
    image: str | None = None  # None: the image phase 2 tags, when it exists
    scan_image: bool = True
    advisories: Path | None = None  # serve these on loopback for pip-audit
    osv_url: str | None = None  # or use this OSV server's /v1/query
    ignore_file: Path | None = None
    checks: tuple[str, ...] = ()  # empty: all
    sarif: Path | None = None
    markdown: Path | None = None
    today: dt.date | None = None


def output_dir(settings: Settings) -> Path:
    return settings.state_path / "scan"


def default_image(settings: Settings) -> str:
    """The tag phase 2 gives the runtime image."""
    return f"{settings.project.name.lower()}:dockyard"


def dockerfiles(project: Path) -> tuple[Path, ...]:
    """The project's own Dockerfiles, then those dockyard wrote under ``docker/``."""
    patterns = ("Dockerfile", "Dockerfile.*", "*.Dockerfile")
    own = sorted({p for pattern in patterns for p in project.glob(pattern)})
    written = sorted({p for pattern in patterns for p in (project / "docker").glob(pattern)})
    return tuple(p for p in (*own, *written) if p.is_file() and p.suffix not in {".new", ".dockerignore"})


def compose_files(project: Path) -> tuple[Path, ...]:
    candidates = [project / n for n in ROOT_COMPOSE]
    candidates += [project / compose_render.COMPOSE_FILE, project / compose_render.DEV_FILE]
    return tuple(p for p in candidates if p.is_file())


def locks(settings: Settings) -> tuple[Path, ...]:
    """Every lock phase 1 wrote (``requirements/<group>.txt`` beside its ``.in``), else any
    ``requirements/*.txt``."""
    folder = settings.project / settings.requirements_dir
    txts = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    paired = [p for p in txts if p.with_suffix(".in").is_file()]
    return tuple(paired or txts)


def context(project: Path) -> tuple[str, ...]:
    patterns = dockerignore.read_dockerignore(project / ".dockerignore")
    return tuple(f.path for f in dockerignore.context_files(project, patterns))


def originals(target: ScanTarget) -> tuple[str, ...]:
    """The project's own Dockerfiles, once dockyard's generated one exists beside them."""
    if target.project / GENERATED_DOCKERFILE not in target.dockerfiles:
        return ()
    return tuple(target.rel(p) for p in target.dockerfiles if p.parent == target.project)


def image_exists(docker: str, image: str) -> bool:
    return process.run([docker, "image", "inspect", image], check=False, echo=False).returncode == 0


def plan_target(settings: Settings, options: ScanOptions, *, osv_url: str | None) -> ScanTarget:
    project = settings.project
    docker = process.tool_path(settings.docker or "docker")
    wanted = options.image or default_image(settings)
    present = options.scan_image and docker is not None and image_exists(docker, wanted)
    image = wanted if present else None
    if not options.scan_image:
        why = "image checks turned off (--no-image)"
    elif docker is None:
        why = "docker was not found"
    else:
        why = f"image {wanted} not found (`dockyard phase2` builds it; or pass --image)"
    hadolint_config = project / ".hadolint.yaml"
    return ScanTarget(
        project=project,
        dockerfiles=dockerfiles(project),
        compose_files=compose_files(project),
        locks=locks(settings),
        context=context(project),
        image=image,
        image_skipped=why,
        docker=docker,
        osv_url=osv_url,
        hadolint_config=hadolint_config if hadolint_config.is_file() else None,
        work_dir=output_dir(settings),
    )


@contextlib.contextmanager
def _osv(options: ScanOptions) -> Iterator[tuple[str | None, list[str]]]:
    """The OSV endpoint for pip-audit: a loopback mirror of ``options.advisories``, or a given URL."""
    if options.advisories is None:
        yield options.osv_url, []
        return
    with osv_mirror.serving(osv.load(options.advisories)) as running:
        yield running.query_url, running.requests


def run_checks(target: ScanTarget, names: tuple[str, ...], progress: Progress) -> tuple[ScanResult, ...]:
    results = []
    for name, check in CHECKS.items():
        if names and name not in names:
            continue
        progress(f"scan: {name}")
        results.append(check.run(target))
    return tuple(results)


def scan(settings: Settings, options: ScanOptions, *, progress: Progress = no_progress) -> StepReport:
    """Run the checks, apply ignores and the gate, write the reports; never prints."""
    fail_on = scan_report.check_level(options.fail_on) if options.fail_on else None
    unknown = set(options.checks) - set(CHECKS)
    if unknown:
        raise ConfigError(
            f"unknown check(s): {', '.join(sorted(unknown))}", hint=f"one of: {', '.join(CHECKS)}"
        )
    entries = ignores.load(options.ignore_file or settings.project / ignores.FILENAME)
    out = output_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    with _osv(options) as (osv_url, mirror_log):
        target = plan_target(settings, options, osv_url=osv_url)
        try:
            results = run_checks(target, options.checks, progress)
        finally:
            (out / "image.tar").unlink(missing_ok=True)
    applied = ignores.apply(
        (f for r in results for f in r.findings), entries, today=options.today or dt.date.today()
    )
    report = ScanReport(
        results=results,
        findings=applied.kept,
        ignored=applied.ignored,
        notes=applied.notes,
        fail_on=fail_on,
        image=target.image,
        osv_url=osv_url,
        ungated_files=originals(target),
    )
    texts = outputs(report, out, sarif_path=options.sarif, markdown_path=options.markdown)
    step = to_step(report, written=tuple(texts), mirror_log=mirror_log, target=target)
    texts[out / "latest.json"] = json.dumps(step.data, indent=2) + "\n"
    for path, text in texts.items():
        atomic_write_text(path, text)
    return step


def outputs(
    report: ScanReport, out: Path, *, sarif_path: Path | None, markdown_path: Path | None
) -> dict[Path, str]:
    """The report files and their text; ``latest.json`` is the step's data, filled in after."""
    sarif_text = json.dumps(sarif.document(report), indent=2) + "\n"
    markdown_text = scan_report.markdown(report)
    files = {
        out / "latest.json": json.dumps(scan_report.as_json(report), indent=2) + "\n",
        out / "latest.sarif": sarif_text,
        out / "latest.md": markdown_text,
    }
    if sarif_path:
        files[sarif_path] = sarif_text
    if markdown_path:
        files[markdown_path] = markdown_text
    return files


def to_step(
    report: ScanReport, *, written: tuple[Path, ...], mirror_log: list[str], target: ScanTarget
) -> StepReport:
    tables = [Table.of("checks", ["check", "result"], scan_report.checks_rows(report))]
    if report.findings:
        tables.append(Table.of("findings", scan_report.HEADERS, scan_report.rows(report.findings)))
    notes = [ReportFinding(level=Level.WARNING, message=n) for n in report.notes]
    notes += [ReportFinding(level=Level.INFO, message=n) for n in scan_report.ungated_notes(report)]
    notes += [
        ReportFinding(
            level=Level.INFO, message=f"ignored until {e.expires}: {e.reason}", where=f.file or f.code
        )
        for f, e in report.ignored
    ]
    data = {
        **scan_report.as_json(report),
        "outputs": [str(p) for p in written],
        "scanned": {
            "dockerfiles": [target.rel(p) for p in target.dockerfiles],
            "compose_files": [target.rel(p) for p in target.compose_files],
            "locks": [target.rel(p) for p in target.locks],
            "context_files": len(target.context),
            "image": target.image,
        },
        "osv_requests": list(mirror_log),
    }
    status = Status.FAILED if not report.passed else Status.DONE
    return StepReport(
        name="scan",
        status=status,
        summary=scan_report.verdict(report),
        findings=tuple(notes),
        tables=tuple(tables),
        data=data,
    )
