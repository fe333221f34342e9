"""The scan report as SARIF 2.1.0 (what GitHub code scanning uploads): one run per tool, ignored
findings kept as suppressed results with their reason."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from dockyard.scan.ignores import Entry
from dockyard.scan.model import Finding
from dockyard.scan.report import ScanReport

VERSION = "2.1.0"
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
IMAGEROOT = "IMAGEROOT"

_SARIF_LEVEL = {
    "critical": "error", "high": "error", "error": "error",
    "medium": "warning", "warning": "warning",
    "low": "note", "style": "note", "info": "note",
}  # fmt: skip
#: GitHub reads ``security-severity`` (a CVSS-like score) to rank security results.
_SCORE = {"critical": "9.5", "high": "8.0", "error": "7.0", "medium": "5.5", "warning": "5.0", "low": "3.0"}

_INFO_URI = {
    "hadolint": "https://github.com/hadolint/hadolint",
    "pip-audit": "https://github.com/pypa/pip-audit",
    "trivy-config": "https://trivy.dev",
    "trivy-secret": "https://trivy.dev",
    "trivy-image": "https://trivy.dev",
}


def level(severity: str) -> str:
    return _SARIF_LEVEL.get(severity, "warning")


def _location(f: Finding) -> dict[str, Any]:
    if f.layer is not None:
        artifact = {"uri": (f.file or "").lstrip("/"), "uriBaseId": IMAGEROOT}
    else:
        artifact = {"uri": f.file or ".", "uriBaseId": SRCROOT}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if f.line:
        physical["region"] = {"startLine": f.line}
    return {"physicalLocation": physical}


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256("\0".join((f.tool, f.code, f.file or "", f.package or "")).encode()).hexdigest()


def _result(f: Finding, rule_index: int, entry: Entry | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"severity": f.level}
    for key in ("package", "version", "layer"):
        if getattr(f, key) is not None:
            properties[key] = getattr(f, key)
    if f.fixed:
        properties["fixed"] = list(f.fixed)
    if f.aliases:
        properties["aliases"] = list(f.aliases)
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": level(f.level),
        "message": {"text": f.message},
        "locations": [_location(f)],
        "partialFingerprints": {"dockyardFinding/v1": _fingerprint(f)},
        "properties": properties,
    }
    if entry is not None:
        result["suppressions"] = [
            {"kind": "external", "justification": f"{entry.reason} (until {entry.expires.isoformat()})"}
        ]
    return result


def _run(tool: str, items: Sequence[tuple[Finding, Entry | None]]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding, entry in items:
        if finding.code not in rules:
            rule: dict[str, Any] = {
                "id": finding.code,
                "shortDescription": {"text": finding.message.split(": ")[0][:200] or finding.code},
                "defaultConfiguration": {"level": level(finding.level)},
                "properties": {"tags": ["security"] if finding.level in _SCORE else []},
            }
            if finding.level in _SCORE:
                rule["properties"]["security-severity"] = _SCORE[finding.level]
            rules[finding.code] = rule
        results.append(_result(finding, list(rules).index(finding.code), entry))
    driver: dict[str, Any] = {"name": tool, "rules": list(rules.values())}
    if tool in _INFO_URI:
        driver["informationUri"] = _INFO_URI[tool]
    return {
        "tool": {"driver": driver},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "the scanned project's root"}},
            IMAGEROOT: {"description": {"text": "the root of the scanned image's file system"}},
        },
        "results": results,
    }


def document(report: ScanReport) -> dict[str, Any]:
    """A SARIF log: one run per check that ran, even a clean one (that says it looked)."""
    by_tool: dict[str, list[tuple[Finding, Entry | None]]] = {r.tool: [] for r in report.results if r.ran}
    for finding in report.findings:
        by_tool.setdefault(finding.tool, []).append((finding, None))
    for finding, entry in report.ignored:
        by_tool.setdefault(finding.tool, []).append((finding, entry))
    return {"$schema": SCHEMA, "version": VERSION, "runs": [_run(t, items) for t, items in by_tool.items()]}
