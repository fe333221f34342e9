"""The OSV API's routes, as a pure function of the request (the loopback server is tested in
tests/integration/test_scan_mirror.py with pip-audit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.scan import osv
from dockyard.scan.mirror import route


@pytest.fixture
def db(data_dir: Path) -> osv.Database:
    return osv.load(data_dir / "advisories")


def post(db: osv.Database, path: str, body: object) -> tuple[int, dict]:
    response = route(db, "POST", path, json.dumps(body).encode())
    return response.status, response.body


def test_query_returns_full_records(db: osv.Database) -> None:
    status, body = post(
        db, "/v1/query", {"package": {"name": "PyYAML", "ecosystem": "PyPI"}, "version": "5.3.1"}
    )
    assert status == 200
    assert [v["id"] for v in body["vulns"]] == ["PYSEC-2021-142"]
    assert body["vulns"][0]["affected"][0]["ranges"][0]["events"][1] == {"fixed": "5.4"}


def test_query_without_match_is_an_empty_object(db: osv.Database) -> None:
    assert post(
        db, "/v1/query", {"package": {"name": "pyyaml", "ecosystem": "PyPI"}, "version": "6.0.4"}
    ) == (200, {})


def test_query_by_purl(db: osv.Database) -> None:
    status, body = post(db, "/v1/query", {"package": {"purl": "pkg:pypi/jinja2@2.10.1"}})
    assert status == 200 and [v["id"] for v in body["vulns"]] == ["PYSEC-2021-66"]


def test_querybatch_keeps_order_and_returns_ids(db: osv.Database) -> None:
    queries = [
        {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10"},
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.0"},
        {"package": {"name": "pyyaml", "ecosystem": "PyPI"}, "version": "5.1"},
    ]
    status, body = post(db, "/v1/querybatch", {"queries": queries})
    assert status == 200
    ids = [[v["id"] for v in r.get("vulns", [])] for r in body["results"]]
    assert ids == [["PYSEC-2019-217", "PYSEC-2021-66"], [], ["PYSEC-2020-176", "PYSEC-2021-142"]]
    assert set(body["results"][0]["vulns"][0]) == {"id", "modified"}


def test_get_vuln_by_id(db: osv.Database) -> None:
    found = route(db, "GET", "/v1/vulns/PYSEC-2021-142", b"")
    assert found.status == 200 and found.body["aliases"] == ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"]
    missing = route(db, "GET", "/v1/vulns/PYSEC-0000-0", b"")
    assert missing.status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"package": {"name": "x", "ecosystem": "npm"}, "version": "1"},
        {"package": {"name": "x", "ecosystem": "PyPI"}},
        {"commit": "abc"},
        ["not", "an", "object"],
    ],
)
def test_bad_queries_are_400(db: osv.Database, body: object) -> None:
    assert post(db, "/v1/query", body)[0] == 400


def test_unknown_route_and_bad_json(db: osv.Database) -> None:
    assert route(db, "GET", "/v1/query", b"").status == 404
    assert route(db, "POST", "/v1/query", b"{nope").status == 400
