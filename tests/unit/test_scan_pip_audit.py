"""pip-audit: argv, the parser against real output (captured against dockyard's mirror), findings."""

from __future__ import annotations

from pathlib import Path

from dockyard.scan import pip_audit


def test_argv_hashed_lock_through_a_mirror() -> None:
    assert pip_audit.argv(
        "pip-audit", Path("requirements/base.txt"), hashed=True,
        osv_url="http://127.0.0.1:8080/v1/query", cache_dir=Path("c"),
    ) == [
        "pip-audit", "--requirement", "requirements/base.txt", "--disable-pip", "--require-hashes",
        "--format", "json", "--progress-spinner", "off", "--vulnerability-service", "osv",
        "--osv-url", "http://127.0.0.1:8080/v1/query", "--cache-dir", "c",
    ]  # fmt: skip
    plain = pip_audit.argv("pip-audit", Path("r.txt"), hashed=False, osv_url=None, cache_dir=None)
    assert "--no-deps" in plain and "--osv-url" not in plain and "osv" in plain  # osv.dev by default


def test_parse_real_output(data_dir: Path) -> None:
    vulns = pip_audit.parse((data_dir / "scan" / "pip-audit-mirror.json").read_text())
    assert [(v.name, v.version, v.id, v.fixed) for v in vulns] == [
        ("jinja2", "2.10", "PYSEC-2019-217", ("2.10.1",)),
        ("jinja2", "2.10", "PYSEC-2021-66", ("2.11.3",)),
        ("pyyaml", "5.1.2", "PYSEC-2020-176", ("5.2b1",)),
        ("pyyaml", "5.1.2", "PYSEC-2021-142", ("5.4",)),
    ]
    assert vulns[3].aliases == ("CVE-2020-14343", "GHSA-8q59-q68h-6hv4")


def test_findings_point_at_the_pin(data_dir: Path) -> None:
    lock = "# locked\njinja2==2.10 \\\n    --hash=sha256:aa\nPyYAML==5.1.2 \\\n    --hash=sha256:bb\n"
    vulns = pip_audit.parse((data_dir / "scan" / "pip-audit-mirror.json").read_text())
    found = pip_audit.findings(
        vulns, lock="requirements/base.txt", lock_text=lock, severity=lambda _id: "high"
    )
    yaml_finding = found[3]
    assert (yaml_finding.file, yaml_finding.line, yaml_finding.code) == (
        "requirements/base.txt",
        4,
        "PYSEC-2021-142",
    )
    assert yaml_finding.fixed == ("5.4",) and yaml_finding.package == "pyyaml"
    assert "pyyaml 5.1.2 is affected; fixed in 5.4" in yaml_finding.message
    assert found[0].line == 2


def test_severity_from_the_record_or_high() -> None:
    records: dict[str, dict[str, object]] = {
        "GHSA-1": {"database_specific": {"severity": "LOW"}},
        "PYSEC-1": {"id": "PYSEC-1"},
    }
    asked: list[str] = []

    def fetch(advisory_id: str) -> dict | None:
        asked.append(advisory_id)
        return records.get(advisory_id)

    level = pip_audit.severity_lookup(fetch)
    assert [level("GHSA-1"), level("PYSEC-1"), level("MISSING"), level("GHSA-1")] == [
        "low",
        "high",
        "high",
        "low",
    ]
    assert asked == ["GHSA-1", "PYSEC-1", "MISSING"]  # looked up once each


def test_vulns_url_and_loopback_env() -> None:
    assert (
        pip_audit.vulns_url("http://127.0.0.1:9/v1/query", "PYSEC-1") == "http://127.0.0.1:9/v1/vulns/PYSEC-1"
    )
    assert pip_audit.vulns_url("https://api.osv.dev/v1/query", "X") == "https://api.osv.dev/v1/vulns/X"
    assert pip_audit.loopback_env("http://127.0.0.1:9/v1/query") == {"NO_PROXY": "127.0.0.1,localhost,::1"}
    assert pip_audit.loopback_env("https://api.osv.dev/v1/query") is None


def test_has_hashes() -> None:
    assert pip_audit.has_hashes("a==1 \\\n    --hash=sha256:ab\n")
    assert not pip_audit.has_hashes("a==1\n")


def test_an_unreachable_osv_server_is_recognised() -> None:
    from dockyard.scan.pip_audit import _unreachable

    stderr = (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries "
        'exceeded with url: /v1/query (Caused by NameResolutionError("..."))'
    )
    assert _unreachable(stderr)
    assert not _unreachable("ERROR: Cannot install six==1.0 because these package versions have conflicts")
