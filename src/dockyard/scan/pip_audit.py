"""pip-audit on every lock file, against OSV: osv.dev, or any OSV server such as dockyard's mirror.

pip-audit reports no severity; each advisory's is looked up with ``GET /v1/vulns/{id}`` on the
same OSV server, and an advisory without one counts as ``high``: it is published and has an id.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard import process
from dockyard.errors import CommandFailed, ToolMissing
from dockyard.scan import osv
from dockyard.scan.model import Finding, ScanResult, ScanTarget

NAME = "pip-audit"
UNKNOWN_SEVERITY = "high"
OSV_DEV = "https://api.osv.dev/v1/query"  # pip-audit's own default for its OSV service

#: Fetch one OSV record by id, or None (the seam unit tests replace).
Fetch = Callable[[str], Mapping[str, Any] | None]


def has_hashes(lock_text: str) -> bool:
    return "--hash=" in lock_text or "--hash " in lock_text


def argv(exe: str, lock: Path, *, hashed: bool, osv_url: str | None, cache_dir: Path | None) -> list[str]:
    args = [
        exe,
        "--requirement", str(lock),
        "--disable-pip",
        "--require-hashes" if hashed else "--no-deps",
        "--format", "json",
        "--progress-spinner", "off",
        "--vulnerability-service", "osv",
    ]  # fmt: skip
    if osv_url:
        args += ["--osv-url", osv_url]
    if cache_dir is not None:
        args += ["--cache-dir", str(cache_dir)]
    return args


@dataclass(frozen=True)
class Vulnerable:
    name: str
    version: str
    id: str
    fixed: tuple[str, ...]
    aliases: tuple[str, ...]
    description: str


def parse(text: str) -> tuple[Vulnerable, ...]:
    """``pip-audit --format json``: dependencies, each with its vulns (skipped ones have none)."""
    data = json.loads(text or "{}")
    return tuple(
        Vulnerable(
            name=str(dep["name"]),
            version=str(dep.get("version", "")),
            id=str(vuln["id"]),
            fixed=tuple(str(v) for v in vuln.get("fix_versions") or ()),
            aliases=tuple(str(a) for a in vuln.get("aliases") or ()),
            description=str(vuln.get("description") or ""),
        )
        for dep in data.get("dependencies") or []
        for vuln in dep.get("vulns") or []
    )


def pin_line(lock_text: str, name: str) -> int | None:
    """The line that pins ``name`` (names compared as PEP 503 normalizes them)."""
    wanted = re.sub(r"[-_.]+", "-", name).lower()
    for number, line in enumerate(lock_text.splitlines(), start=1):
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^]]*\])?\s*==", line)
        if match and re.sub(r"[-_.]+", "-", match.group(1)).lower() == wanted:
            return number
    return None


def findings(
    vulns: tuple[Vulnerable, ...], *, lock: str, lock_text: str, severity: Callable[[str], str]
) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            tool=NAME,
            code=v.id,
            level=severity(v.id),
            message=f"{v.name} {v.version} is affected"
            + (f"; fixed in {', '.join(v.fixed)}" if v.fixed else "; no fixed version yet")
            + (f": {v.description}" if v.description else ""),
            file=lock,
            line=pin_line(lock_text, v.name),
            package=v.name,
            version=v.version,
            fixed=v.fixed,
            aliases=v.aliases,
        )
        for v in vulns
    )


def vulns_url(query_url: str, advisory_id: str) -> str:
    """``.../v1/query`` -> ``.../v1/vulns/ID``: the same OSV server's record endpoint."""
    base = query_url.rsplit("/v1/", 1)[0] if "/v1/" in query_url else query_url.rstrip("/")
    return f"{base}/v1/vulns/{advisory_id}"


def http_fetch(query_url: str, *, timeout: float = 10) -> Fetch:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback_env(query_url) else None
    open_url = opener.open if opener else urllib.request.urlopen

    def fetch(advisory_id: str) -> Mapping[str, Any] | None:
        try:
            with open_url(vulns_url(query_url, advisory_id), timeout=timeout) as response:
                data = json.loads(response.read())
                return data if isinstance(data, dict) else None
        except (urllib.error.URLError, OSError, json.JSONDecodeError):
            return None

    return fetch


def severity_lookup(fetch: Fetch | None) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def level(advisory_id: str) -> str:
        if advisory_id not in cache:
            record = fetch(advisory_id) if fetch else None
            cache[advisory_id] = (osv.severity(record) if record else None) or UNKNOWN_SEVERITY
        return cache[advisory_id]

    return level


def loopback_env(url: str | None) -> dict[str, str] | None:
    """Keep a loopback mirror off any configured HTTP proxy (requests honours NO_PROXY)."""
    host = urllib.parse.urlsplit(url or "").hostname or ""
    return {"NO_PROXY": "127.0.0.1,localhost,::1"} if host in {"127.0.0.1", "localhost", "::1"} else None


@dataclass(frozen=True)
class PipAudit:
    name: str = NAME

    def run(self, target: ScanTarget) -> ScanResult:
        if not target.locks:
            return ScanResult(tool=self.name, ran=False, skipped_because="no lock files")
        exe = process.tool_path("pip-audit")
        if exe is None:
            raise ToolMissing("pip-audit was not found", hint=process.INSTALL_HINTS["pip-audit"])
        level = severity_lookup(http_fetch(target.osv_url or OSV_DEV))
        cache = target.work_dir / "pip-audit-cache" if target.work_dir else None
        found: list[Finding] = []
        for lock in target.locks:
            text = lock.read_text(encoding="utf-8")
            args = argv(exe, lock, hashed=has_hashes(text), osv_url=target.osv_url, cache_dir=cache)
            result = process.run(args, check=False, echo=False, env=loopback_env(target.osv_url))
            if _unreachable(result.stderr):
                where = target.osv_url or OSV_DEV
                return ScanResult(
                    tool=self.name,
                    ran=False,
                    skipped_because=f"the OSV server {where} cannot be reached; serve advisories "
                    "offline with `dockyard scan --advisories DIR`, or point --osv-url at a mirror",
                )
            if result.returncode not in (0, 1) or not result.stdout.lstrip().startswith("{"):
                raise CommandFailed(
                    result.argv,
                    result.returncode,
                    result.stderr,
                    hint="is every requirement pinned (==) in the lock, and the OSV server reachable?",
                )
            found += findings(parse(result.stdout), lock=target.rel(lock), lock_text=text, severity=level)
        return ScanResult(tool=self.name, ran=True, findings=tuple(found))


_NETWORK = ("NameResolutionError", "Max retries exceeded", "ConnectionError", "Name or service not known")


def _unreachable(stderr: str) -> bool:
    """pip-audit could not reach its vulnerability service (no network, or a wrong URL)."""
    return any(marker in stderr for marker in _NETWORK)
