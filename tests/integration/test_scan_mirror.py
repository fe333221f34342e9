"""The offline OSV mirror over real HTTP on loopback, with real pip-audit as its client."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from dockyard.scan import osv
from dockyard.scan.mirror import serving
from dockyard.scan.model import ScanTarget
from dockyard.scan.pip_audit import PipAudit
from tests.integration.conftest import ROOT

ADVISORIES = ROOT / "tests" / "data" / "advisories"


def _post(url: str, body: object) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_pip_audit_finds_the_advisory_and_fix_through_the_mirror(tmp_path: Path) -> None:
    lock = tmp_path / "requirements" / "base.txt"
    lock.parent.mkdir()
    lock.write_text("fastapi==0.115.0\npyyaml==5.3.1\njinja2==3.1.4\n")
    with serving(osv.load(ADVISORIES)) as mirror:
        target = ScanTarget(
            project=tmp_path, locks=(lock,), osv_url=mirror.query_url, work_dir=tmp_path / "w"
        )
        result = PipAudit().run(target)
        # pip-audit's OSV service posts one query per package to exactly the URL it is given
        assert mirror.requests.count("POST /v1/query 200") == 3
        assert mirror.requests[-1] == "GET /v1/vulns/PYSEC-2021-142 200"  # dockyard's severity lookup
    (finding,) = result.findings
    assert (finding.code, finding.fixed, finding.file, finding.line) == (
        "PYSEC-2021-142", ("5.4",), "requirements/base.txt", 2,
    )  # fmt: skip
    assert finding.level == "high"  # PyPA records carry no severity
    assert "CVE-2020-14343" in finding.aliases


def test_http_routes(tmp_path: Path) -> None:
    with serving(osv.load(ADVISORIES)) as mirror:
        batch = _post(
            f"{mirror.url}/v1/querybatch",
            {"queries": [{"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.11.2"}]},
        )
        assert batch == {
            "results": [{"vulns": [{"id": "PYSEC-2021-66", "modified": "2021-03-22T16:34:00Z"}]}]
        }
        with urllib.request.urlopen(f"{mirror.url}/v1/vulns/PYSEC-2020-176", timeout=10) as response:
            assert json.loads(response.read())["aliases"] == ["CVE-2019-20477"]
        assert mirror.url.startswith("http://127.0.0.1:")


def test_scan_serves_an_advisory_directory_itself(tmp_path: Path) -> None:
    """``dockyard scan --advisories DIR`` starts the mirror in-process for the run."""
    from tests.integration.conftest import dockyard_cli

    project = tmp_path / "svc"
    (project / "requirements").mkdir(parents=True)
    (project / "requirements" / "base.in").write_text("jinja2\n")
    (project / "requirements" / "base.txt").write_text("jinja2==2.10.1\n")
    result = dockyard_cli(
        "scan", "--project", str(project), "--advisories", str(ADVISORIES), "--no-image",
        "--check", "pip-audit", "--fail-on", "medium", "--json", "-",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    data = json.loads(result.stdout)["data"]
    assert [(f["id"], f["fixed"]) for f in data["findings"]] == [("PYSEC-2021-66", ["2.11.3"])]
    assert data["osv_url"].startswith("http://127.0.0.1:")
    assert data["osv_requests"] == ["POST /v1/query 200", "GET /v1/vulns/PYSEC-2021-66 200"]
