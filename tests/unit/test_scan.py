"""Scanner argv builders and parsers."""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.scan import SCANNERS, at_or_above, hadolint, trivy


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
