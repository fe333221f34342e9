"""SARIF 2.1.0 output, validated against the published OASIS schema (tests/sarif_schema.py)."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest

from dockyard.scan import sarif
from dockyard.scan.ignores import Entry
from dockyard.scan.model import Finding, ScanResult
from dockyard.scan.report import ScanReport
from tests.sarif_schema import validate

VULN = Finding(
    tool="pip-audit",
    code="PYSEC-2021-142",
    level="high",
    message="pyyaml 5.3.1 is affected; fixed in 5.4",
    file="requirements/base.txt",
    line=187,
    package="pyyaml",
    version="5.3.1",
    fixed=("5.4",),
    aliases=("CVE-2020-14343",),
)
KEY = Finding(
    tool="image-layers",
    code="private-key",
    level="critical",
    message="a private key, shipped in layer 7",
    file="/app/inference_service/deploy_key",
    layer="7:abc/layer.tar",
)
LINT = Finding(
    tool="hadolint", code="DL3008", level="warning", message="Pin versions", file="Dockerfile", line=4
)


def report() -> ScanReport:
    return ScanReport(
        results=(
            ScanResult(tool="pip-audit", ran=True, findings=(VULN,)),
            ScanResult(tool="image-layers", ran=True, findings=(KEY,)),
            ScanResult(tool="hadolint", ran=True, findings=(LINT,)),
            ScanResult(tool="trivy-config", ran=True),
            ScanResult(tool="trivy-secret", ran=False, skipped_because="trivy is not on PATH"),
        ),
        findings=(VULN, KEY),
        ignored=((LINT, Entry(id="DL3008", reason="pinned upstream", expires=dt.date(2027, 1, 1))),),
        fail_on="high",
    )


def test_document_validates_against_the_published_schema() -> None:
    validate(sarif.document(report()))


def test_runs_results_and_locations() -> None:
    doc = sarif.document(report())
    assert doc["version"] == "2.1.0"
    runs = {run["tool"]["driver"]["name"]: run for run in doc["runs"]}
    assert list(runs) == [
        "pip-audit",
        "image-layers",
        "hadolint",
        "trivy-config",
    ]  # a skipped check has no run
    (vuln,) = runs["pip-audit"]["results"]
    assert vuln["ruleId"] == "PYSEC-2021-142" and vuln["level"] == "error"
    assert vuln["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "requirements/base.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 187},
    }
    assert vuln["properties"]["fixed"] == ["5.4"]
    assert runs["pip-audit"]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "8.0"
    (key,) = runs["image-layers"]["results"]
    assert key["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "app/inference_service/deploy_key", "uriBaseId": "IMAGEROOT",
    }  # fmt: skip
    assert key["properties"]["layer"] == "7:abc/layer.tar"
    (ignored,) = runs["hadolint"]["results"]
    assert ignored["suppressions"] == [
        {"kind": "external", "justification": "pinned upstream (until 2027-01-01)"}
    ]
    assert runs["trivy-config"]["results"] == []


def test_the_validator_rejects_a_broken_document() -> None:
    doc = sarif.document(report())
    doc["runs"][0]["results"][0]["level"] = "severe"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
