"""trivy, when installed (it is optional): ``config`` on Dockerfiles and compose files, ``fs
--scanners secret`` on the effective build context, a CycloneDX SBOM of the image, and the image's
vulnerabilities when trivy's database is present. All offline: no DB or check downloads."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard import process
from dockyard.errors import CommandFailed
from dockyard.scan.model import Finding, ScanResult, ScanTarget

_LEVEL = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "CRITICAL": "critical", "UNKNOWN": "info"}
OFFLINE = ("--skip-db-update", "--skip-check-update")
MISSING = "trivy is not on PATH"


def _level(raw: object) -> str:
    return _LEVEL.get(str(raw or "UNKNOWN").upper(), "info")


def argv(exe: str, folder: Path) -> list[str]:
    return [exe, "config", "--format", "json", "--quiet", "--skip-check-update", str(folder)]


def secret_argv(exe: str, folder: Path) -> list[str]:
    return [exe, "fs", "--scanners", "secret", "--format", "json", "--quiet", *OFFLINE, str(folder)]


def sbom_argv(exe: str, image_tar: Path, out: Path) -> list[str]:
    return [exe, "image", "--input", str(image_tar), "--format", "cyclonedx", "--output", str(out),
            "--quiet", *OFFLINE]  # fmt: skip


def vuln_argv(exe: str, image_tar: Path) -> list[str]:
    return [exe, "image", "--input", str(image_tar), "--scanners", "vuln", "--format", "json",
            "--quiet", *OFFLINE]  # fmt: skip


def parse(text: str, *, prefix: str = "") -> tuple[Finding, ...]:
    """Misconfigurations of ``trivy config --format json``."""
    data = json.loads(text or "{}")
    found: list[Finding] = []
    for result in data.get("Results") or []:
        for item in result.get("Misconfigurations") or []:
            cause = item.get("CauseMetadata") or {}
            found.append(
                Finding(
                    tool="trivy-config",
                    code=str(item.get("ID") or item.get("AVDID") or "?"),
                    level=_level(item.get("Severity")),
                    message=str(item.get("Title") or item.get("Message") or ""),
                    file=prefix or str(result.get("Target")),
                    line=cause.get("StartLine"),
                )
            )
    return tuple(found)


def parse_secrets(text: str) -> tuple[Finding, ...]:
    """Secrets of ``trivy fs --scanners secret --format json`` (trivy masks the matched text)."""
    data = json.loads(text or "{}")
    return tuple(
        Finding(
            tool="trivy-secret",
            code=str(item.get("RuleID") or "secret"),
            level=_level(item.get("Severity")),
            message=f"{item.get('Title') or 'secret'} in the build context",
            file=str(result.get("Target")),
            line=item.get("StartLine"),
        )
        for result in data.get("Results") or []
        for item in result.get("Secrets") or []
    )


def parse_vulns(text: str, *, image: str) -> tuple[Finding, ...]:
    """OS and language packages of ``trivy image --scanners vuln --format json``."""
    data = json.loads(text or "{}")
    found = []
    for result in data.get("Results") or []:
        for item in result.get("Vulnerabilities") or []:
            fixed = tuple(v.strip() for v in str(item.get("FixedVersion") or "").split(",") if v.strip())
            found.append(
                Finding(
                    tool="trivy-image",
                    code=str(item.get("VulnerabilityID")),
                    level=_level(item.get("Severity")),
                    message=f"{item.get('PkgName')} {item.get('InstalledVersion')} in {image}"
                    + (f"; fixed in {', '.join(fixed)}" if fixed else "")
                    + (f": {item['Title']}" if item.get("Title") else ""),
                    file=str(result.get("Target")),
                    package=str(item.get("PkgName")),
                    version=str(item.get("InstalledVersion")),
                    fixed=fixed,
                )
            )
    return tuple(found)


NO_DB = "skipped: trivy's database is not present (`trivy image --download-db-only` where online)"


def no_database(stderr: str) -> bool:
    """trivy refuses ``--skip-db-update`` before its database was ever downloaded: the offline case.
    Asking trivy, rather than looking for the file, respects its own cache settings."""
    return "cannot be specified on the first run" in stderr


def materialize(project: Path, files: Sequence[str], into: Path) -> None:
    """The effective build context as a directory: hard links where possible, else copies."""
    for rel in files:
        source, dest = project / rel, into / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            continue  # Docker sends the link itself, never what it points to
        try:
            os.link(source, dest)
        except OSError:
            shutil.copy2(source, dest)


@dataclass(frozen=True)
class TrivyConfig:
    """``trivy config`` on one file (the per-file :class:`~dockyard.scan.model.Scanner` phase 2 uses)."""

    name: str = "trivy-config"

    def scan(self, target: Path, *, config: Path | None = None) -> ScanResult:
        exe = process.tool_path("trivy")
        if exe is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=MISSING)
        result = process.run(argv(exe, target), echo=False)
        return ScanResult(tool=self.name, ran=True, findings=parse(result.stdout))


@dataclass(frozen=True)
class TrivyConfigCheck:
    """One ``trivy config`` run over the Dockerfiles and compose files, gathered in a scratch
    directory under their project paths (trivy spends seconds loading its checks per run)."""

    name: str = "trivy-config"

    def run(self, target: ScanTarget) -> ScanResult:
        exe = process.tool_path("trivy")
        if exe is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=MISSING)
        files = [target.rel(p) for p in (*target.dockerfiles, *target.compose_files)]
        with tempfile.TemporaryDirectory(prefix="dockyard-config-", dir=target.work_dir) as tmp:
            materialize(target.project, files, Path(tmp))
            result = process.run(argv(exe, Path(tmp)), echo=False)
        return ScanResult(tool=self.name, ran=True, findings=parse(result.stdout))


@dataclass(frozen=True)
class TrivySecret:
    name: str = "trivy-secret"

    def run(self, target: ScanTarget) -> ScanResult:
        exe = process.tool_path("trivy")
        if exe is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=MISSING)
        with tempfile.TemporaryDirectory(prefix="dockyard-context-", dir=target.work_dir) as tmp:
            materialize(target.project, target.context, Path(tmp))
            result = process.run(secret_argv(exe, Path(tmp)), echo=False)
        return ScanResult(tool=self.name, ran=True, findings=parse_secrets(result.stdout))


def image_tar(target: ScanTarget) -> Path | None:
    """The image saved by the layers check (``docker save``), which trivy reads too."""
    if target.image is None or target.work_dir is None:
        return None
    path = target.work_dir / "image.tar"
    return path if path.is_file() else None


@dataclass(frozen=True)
class TrivyImage:
    """The image's CycloneDX SBOM, and its vulnerabilities when trivy's database is present."""

    name: str = "trivy-image"

    def run(self, target: ScanTarget) -> ScanResult:
        exe = process.tool_path("trivy")
        if exe is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=MISSING)
        tar = image_tar(target)
        if tar is None or target.image is None or target.work_dir is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=target.image_skipped)
        sbom = target.work_dir / "sbom.cdx.json"
        process.run(sbom_argv(exe, tar, sbom), echo=False)
        artifacts = {"sbom": str(sbom)}
        result = process.run(vuln_argv(exe, tar), check=False, echo=False)
        if result.returncode != 0 and no_database(result.stderr):
            return ScanResult(tool=self.name, ran=True, artifacts={**artifacts, "vulnerabilities": NO_DB})
        if result.returncode != 0:
            raise CommandFailed(result.argv, result.returncode, result.stderr[-2000:])
        found = parse_vulns(result.stdout, image=target.image)
        return ScanResult(tool=self.name, ran=True, findings=found, artifacts=artifacts)
