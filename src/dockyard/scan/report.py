"""One scan report from every check: the gate, and its renderings as a terminal table,
Markdown and JSON (SARIF is :mod:`dockyard.scan.sarif`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from dockyard.errors import ConfigError
from dockyard.scan.ignores import Entry
from dockyard.scan.model import LEVELS, Finding, ScanResult, at_or_above

SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class ScanReport:
    results: tuple[ScanResult, ...]
    findings: tuple[Finding, ...]  # after ignores
    ignored: tuple[tuple[Finding, Entry], ...] = ()
    notes: tuple[str, ...] = ()
    fail_on: str | None = None
    image: str | None = None
    osv_url: str | None = None
    #: Reported but not gated: the original Dockerfile once dockyard's replaces it.
    ungated_files: tuple[str, ...] = ()

    @property
    def blocking(self) -> list[Finding]:
        gated = [f for f in self.findings if f.file not in self.ungated_files]
        return at_or_above(gated, self.fail_on) if self.fail_on else []

    @property
    def passed(self) -> bool:
        return not self.blocking

    def counts(self) -> dict[str, int]:
        return {level: n for level in reversed(LEVELS) if (n := sum(f.level == level for f in self.findings))}


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ConfigError(f"unknown severity {level!r}", hint=f"one of: {', '.join(LEVELS)}")
    return level


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-LEVELS.index(f.level), f.tool, f.file or "", f.line or 0, f.code))


def _where(f: Finding) -> str:
    if f.file and f.line:
        return f"{f.file}:{f.line}"
    return f.file or ""


def _fix(f: Finding) -> str:
    return ", ".join(f.fixed)


def rows(findings: Sequence[Finding]) -> list[tuple[str, ...]]:
    return [(f.level, f.tool, f.code, _where(f), _fix(f), f.message) for f in _sorted(findings)]


HEADERS = ("severity", "tool", "id", "where", "fixed in", "what")


def checks_rows(report: ScanReport) -> list[tuple[str, str]]:
    out = []
    for r in report.results:
        if not r.ran:
            out.append((r.tool, f"skipped: {r.skipped_because}"))
        else:
            extra = "; ".join(f"{k}: {v}" for k, v in r.artifacts.items())
            state = f"{len(r.findings)} finding(s)" if r.findings else "clean"
            out.append((r.tool, state + (f" ({extra})" if extra else "")))
    return out


def verdict(report: ScanReport) -> str:
    counts = ", ".join(f"{n} {level}" for level, n in report.counts().items()) or "no findings"
    if report.fail_on is None:
        return f"{counts} (no gate: pass --fail-on SEVERITY to fail on findings)"
    if report.passed:
        return f"{counts}; nothing at or above {report.fail_on}: passed"
    return f"{counts}; {len(report.blocking)} at or above {report.fail_on}: FAILED"


def text(report: ScanReport, *, width: int = 100) -> str:
    lines = [tabulate(checks_rows(report), headers=["check", "result"], tablefmt="simple"), ""]
    if report.findings:
        shown = [
            (*r[:5], r[5] if len(r[5]) <= width else r[5][: width - 3] + "...") for r in rows(report.findings)
        ]
        lines += [tabulate(shown, headers=list(HEADERS), tablefmt="simple", disable_numparse=True), ""]
    lines += [f"ignored: {f.code} at {_where(f)} until {e.expires}: {e.reason}" for f, e in report.ignored]
    lines += [f"note: {n}" for n in (*report.notes, *ungated_notes(report))]
    lines.append(verdict(report))
    return "\n".join(lines)


def ungated_notes(report: ScanReport) -> list[str]:
    return [
        f"{path} is the original, replaced by dockyard's Dockerfile: its findings are shown, not gated"
        for path in report.ungated_files
    ]


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(report: ScanReport) -> str:
    out = ["# Security scan", "", f"**Result:** {verdict(report)}", "", "## Checks", ""]
    out += ["| check | result |", "|---|---|"]
    out += [f"| {tool} | {_md_cell(state)} |" for tool, state in checks_rows(report)]
    out += ["", "## Findings", ""]
    if report.findings:
        out += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows(report.findings)]
    else:
        out.append("None.")
    if report.ignored:
        out += ["", "## Ignored", "", "| id | where | until | reason |", "|---|---|---|---|"]
        out += [
            f"| {f.code} | {_md_cell(_where(f))} | {e.expires} | {_md_cell(e.reason)} |"
            for f, e in report.ignored
        ]
    if report.notes or report.ungated_files:
        out += ["", "## Notes", ""] + [f"- {n}" for n in (*report.notes, *ungated_notes(report))]
    return "\n".join(out) + "\n"


def finding_json(f: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {"tool": f.tool, "id": f.code, "severity": f.level, "message": f.message}
    for key in ("file", "line", "package", "version", "layer"):
        if getattr(f, key) is not None:
            data[key] = getattr(f, key)
    if f.fixed:
        data["fixed"] = list(f.fixed)
    if f.aliases:
        data["aliases"] = list(f.aliases)
    return data


def as_json(report: ScanReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "passed": report.passed,
        "fail_on": report.fail_on,
        "image": report.image,
        "osv_url": report.osv_url,
        "ungated_files": list(report.ungated_files),
        "counts": report.counts(),
        "checks": [
            {
                "tool": r.tool,
                "ran": r.ran,
                "skipped_because": r.skipped_because,
                "findings": len(r.findings),
                "artifacts": dict(r.artifacts),
            }
            for r in report.results
        ],
        "findings": [finding_json(f) for f in _sorted(report.findings)],
        "ignored": [
            {**finding_json(f), "reason": e.reason, "expires": e.expires.isoformat()}
            for f, e in report.ignored
        ],
        "notes": list(report.notes),
    }
