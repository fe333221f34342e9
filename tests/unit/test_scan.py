"""Scanner argv builders and parsers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard import process
from dockyard.scan import CHECKS, SCANNERS, ScanTarget, at_or_above, hadolint, trivy
from tests.unit.conftest import FakeProcess


def test_hadolint_parses_real_output(data_dir: Path) -> None:
    findings = hadolint.parse((data_dir / "scan" / "hadolint-naive.json").read_text())
    codes = {f.code for f in findings}
    assert {"DL3008", "DL3009", "DL3015"} <= codes
    warnings = at_or_above(findings, "warning")
    assert [f.code for f in warnings] == ["DL3008", "DL3042"]  # apt pins; pip without --no-cache-dir
    assert findings[0].render().startswith("examples/inference-service/Dockerfile:3: info DL3009")


def test_hadolint_argv() -> None:
    assert hadolint.argv("hadolint", Path("d/Dockerfile"), Path(".hadolint.yaml")) == [
        "hadolint", "--format", "json", "--no-fail", "--config", ".hadolint.yaml", "d/Dockerfile",
    ]  # fmt: skip


def test_trivy_parses_misconfigurations() -> None:
    # Shape of `trivy config --format json` (hand-made sample: trivy is not installed here).
    doc = {
        "Results": [
            {
                "Target": "Dockerfile",
                "Misconfigurations": [
                    {"ID": "DS002", "Title": "Image user should not be 'root'", "Severity": "HIGH",
                     "CauseMetadata": {"StartLine": 3}},
                    {"ID": "DS026", "Title": "No HEALTHCHECK defined", "Severity": "LOW"},
                ],
            },
            {"Target": "other"},
        ]
    }  # fmt: skip
    findings = trivy.parse(json.dumps(doc))
    assert [(f.code, f.level, f.line) for f in findings] == [("DS002", "high", 3), ("DS026", "low", None)]
    assert [f.code for f in at_or_above(findings, "high")] == ["DS002"]


def test_registry() -> None:
    assert set(SCANNERS) == {"hadolint", "trivy-config"}
    # image-layers saves the image that trivy-image reads
    assert list(CHECKS) == [
        "hadolint",
        "pip-audit",
        "context-secrets",
        "trivy-config",
        "trivy-secret",
        "image-layers",
        "trivy-image",
    ]


def test_trivy_parses_real_secret_output(data_dir: Path) -> None:
    """Captured from trivy 0.59.1 `fs --scanners secret` on a context with a key and an AWS key id."""
    findings = trivy.parse_secrets((data_dir / "scan" / "trivy-secret.json").read_text())
    assert [(f.code, f.level, f.file, f.line) for f in findings] == [
        ("private-key", "high", "app/deploy_key", 1),
        ("aws-access-key-id", "critical", "settings.py", 1),
    ]


def test_trivy_parses_vulnerabilities() -> None:
    # Shape of `trivy image --scanners vuln --format json` (hand-made: trivy's DB cannot be fetched here).
    vuln = {
        "VulnerabilityID": "CVE-2024-1",
        "PkgName": "pip",
        "InstalledVersion": "23.0",
        "FixedVersion": "23.3, 24.0",
        "Severity": "MEDIUM",
        "Title": "pip does a thing",
    }
    doc = {"Results": [{"Target": "python-pkg", "Vulnerabilities": [vuln]}]}
    (finding,) = trivy.parse_vulns(json.dumps(doc), image="app:1")
    assert (finding.code, finding.level, finding.fixed) == ("CVE-2024-1", "medium", ("23.3", "24.0"))
    assert finding.message == "pip 23.0 in app:1; fixed in 23.3, 24.0: pip does a thing"


def test_trivy_offline_argv() -> None:
    assert trivy.secret_argv("trivy", Path("ctx")) == [
        "trivy", "fs", "--scanners", "secret", "--format", "json", "--quiet",
        "--skip-db-update", "--skip-check-update", "ctx",
    ]  # fmt: skip
    assert trivy.sbom_argv("trivy", Path("i.tar"), Path("s.json"))[:6] == [
        "trivy", "image", "--input", "i.tar", "--format", "cyclonedx",
    ]  # fmt: skip


def test_materialize_links_the_context(tmp_path: Path) -> None:
    project, into = tmp_path / "p", tmp_path / "c"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "a.py").write_text("x")
    (project / "link").symlink_to("/etc/hostname")
    trivy.materialize(project, ["pkg/a.py", "link"], into)
    assert (into / "pkg" / "a.py").read_text() == "x"
    assert not (into / "link").exists()  # Docker sends the link, not its target


def test_trivy_image_without_its_database_still_writes_the_sbom(
    tmp_path: Path, fake_process: FakeProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "tool_path", lambda program: "trivy")
    (tmp_path / "image.tar").write_bytes(b"")
    target = ScanTarget(project=tmp_path, image="app:1", docker="docker", work_dir=tmp_path)
    fake_process.on(["trivy", "image", "--input", str(tmp_path / "image.tar"), "--format", "cyclonedx"])
    first_run = (
        "FATAL init error: DB error: database error: --skip-update cannot be specified on the first run"
    )
    fake_process.on(["trivy", "image", "--input", str(tmp_path / "image.tar"), "--scanners", "vuln"],
                    returncode=1, stderr=first_run)  # fmt: skip
    result = CHECKS["trivy-image"].run(target)
    assert result.ran and result.findings == ()
    assert result.artifacts["sbom"] == str(tmp_path / "sbom.cdx.json")
    assert result.artifacts["vulnerabilities"].startswith("skipped: trivy's database is not present")


def test_checks_skip_without_their_tool_or_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "tool_path", lambda program: None)
    target = ScanTarget(project=tmp_path, image_skipped="image x not found")
    for name in ("trivy-config", "trivy-secret", "trivy-image"):
        assert CHECKS[name].run(target).skipped_because == "trivy is not on PATH"
    assert CHECKS["image-layers"].run(target).skipped_because == "image x not found"
    assert CHECKS["pip-audit"].run(target).skipped_because == "no lock files"


def test_trivy_parses_real_config_output(data_dir: Path) -> None:
    """Captured from trivy 0.59.1 `config` on the bundled example's naive Dockerfile."""
    findings = trivy.parse((data_dir / "scan" / "trivy-config-naive.json").read_text(), prefix="Dockerfile")
    assert [(f.code, f.level, f.line) for f in findings] == [
        ("DS002", "high", None),
        ("DS017", "high", 3),
        ("DS026", "low", None),
        ("DS029", "high", 4),
    ]
    assert {f.file for f in findings} == {"Dockerfile"} and {f.tool for f in findings} == {"trivy-config"}
