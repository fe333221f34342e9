"""The scan report: the gate, ungated originals, and the text, Markdown and JSON renderings."""

from __future__ import annotations

import pytest

from dockyard.errors import ConfigError
from dockyard.scan import report as scan_report
from dockyard.scan.model import Finding, ScanResult
from dockyard.scan.report import ScanReport

VULN = Finding(tool="pip-audit", code="PYSEC-2021-142", level="high", message="pyyaml 5.3.1 | affected",
               file="requirements/base.txt", line=3, fixed=("5.4",))  # fmt: skip
ORIGINAL = Finding(tool="trivy-config", code="DS002", level="high", message="root user", file="Dockerfile")
LINT = Finding(
    tool="hadolint", code="DL3008", level="warning", message="pin apt", file="docker/Dockerfile", line=9
)


def make(findings: tuple[Finding, ...], fail_on: str | None, ungated: tuple[str, ...] = ()) -> ScanReport:
    results = (
        ScanResult(tool="t", ran=True, findings=findings),
        ScanResult(tool="s", ran=False, skipped_because="x"),
    )
    return ScanReport(results=results, findings=findings, fail_on=fail_on, ungated_files=ungated)


def test_gate() -> None:
    assert not make((VULN, LINT), "high").passed
    assert [f.code for f in make((VULN, LINT), "high").blocking] == ["PYSEC-2021-142"]
    assert make((LINT,), "high").passed
    assert not make((LINT,), "warning").passed
    assert make((VULN,), None).passed  # no gate without --fail-on


def test_original_dockerfile_is_shown_but_not_gated() -> None:
    gated = make((ORIGINAL, LINT), "high", ungated=("Dockerfile",))
    assert gated.passed
    assert "Dockerfile is the original" in scan_report.text(gated)


def test_unknown_level() -> None:
    with pytest.raises(ConfigError, match="unknown severity"):
        scan_report.check_level("severe")


def test_text_markdown_json() -> None:
    r = make((LINT, VULN), "high")
    text = scan_report.text(r)
    assert text.splitlines()[-1] == "1 high, 1 warning; 1 at or above high: FAILED"
    assert text.index("PYSEC-2021-142") < text.index("DL3008")  # most severe first
    md = scan_report.markdown(r)
    assert (
        "| high | pip-audit | PYSEC-2021-142 | requirements/base.txt:3 | 5.4 | pyyaml 5.3.1 \\| affected |"
        in md
    )
    assert "| s | skipped: x |" in md
    data = scan_report.as_json(r)
    assert data["passed"] is False and data["counts"] == {"high": 1, "warning": 1}
    assert data["findings"][0] == {
        "tool": "pip-audit", "id": "PYSEC-2021-142", "severity": "high", "message": "pyyaml 5.3.1 | affected",
        "file": "requirements/base.txt", "line": 3, "fixed": ["5.4"],
    }  # fmt: skip
