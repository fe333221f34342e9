"""``dockyard scan``: one security report from every scanner; ``scan.mirror``: an offline OSV API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoke.collection import Collection

from dockyard import ui
from dockyard.phases import scan as scan_phase
from dockyard.scan import CHECKS, LEVELS, osv
from dockyard.scan import mirror as osv_mirror
from dockyard.tasks._common import emit, progress, settings, task


@task(
    name="scan",
    help={
        "fail_on": f"exit non-zero on a finding at or above this severity ({', '.join(LEVELS)})",
        "image": "image to scan (default: the tag phase 2 builds, PROJECT:dockyard, when it exists)",
        "no_image": "skip the image checks (layers, SBOM, image vulnerabilities)",
        "advisories": "serve this directory of OSV/PyPA advisories on loopback; audit the locks against it",
        "osv_url": "OSV /v1/query endpoint for pip-audit (default: osv.dev)",
        "ignore_file": "ignore file (default: <project>/.dockyard-scan-ignore.toml)",
        "check": f"run only these checks, comma-separated ({', '.join(CHECKS)})",
        "sarif": "also write the SARIF 2.1.0 log here",
        "markdown": "also write the Markdown report here",
        "json": "write the report as JSON to PATH, or - for stdout",
    },
)
def scan_(
    c: Any,
    project: str | None = None,
    fail_on: str | None = None,
    image: str | None = None,
    no_image: bool = False,
    advisories: str | None = None,
    osv_url: str | None = None,
    ignore_file: str | None = None,
    check: str | None = None,
    sarif: str | None = None,
    markdown: str | None = None,
    json: str | None = None,
    docker: str | None = None,
) -> None:
    """Scan Dockerfiles, locks, the build context and the image; SARIF, Markdown and JSON reports."""
    s = settings(project, docker=docker)
    options = scan_phase.ScanOptions(
        fail_on=fail_on,
        image=image,
        scan_image=not no_image,
        advisories=Path(advisories) if advisories else None,
        osv_url=osv_url,
        ignore_file=Path(ignore_file) if ignore_file else None,
        checks=tuple(n.strip() for n in check.split(",") if n.strip()) if check else (),
        sarif=Path(sarif) if sarif else None,
        markdown=Path(markdown) if markdown else None,
    )
    with progress() as on_progress:
        report = scan_phase.scan(s, options, progress=on_progress)
    emit(report, json=json)


@task(
    help={
        "advisories": "directory of advisories: OSV JSON, or the PyPA layout vulns/<package>/PYSEC-*.yaml",
        "port": "loopback port (default: any free port; the URL is printed)",
    }
)
def mirror(c: Any, advisories: str, port: int = 0) -> None:
    """Serve the OSV API (query, querybatch, vulns) on loopback from an advisory directory."""
    db = osv.load(Path(advisories))
    server = osv_mirror.make_server(db, port=port, record=ui.echo)
    url = f"http://{osv_mirror.LOOPBACK}:{server.server_address[1]}"
    ui.echo(
        f"serving {len(db.records)} advisories ({len(db.withdrawn)} withdrawn, skipped) from {advisories}"
    )
    ui.echo(f"OSV API at {url}/v1 ; pip-audit: -s osv --osv-url {url}/v1/query ; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


scan = Collection("scan")
scan.add_task(scan_, default=True)
scan.add_task(mirror)
