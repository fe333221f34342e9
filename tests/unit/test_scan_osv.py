"""OSV records: both layouts, PEP 440 ranges, withdrawn records."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from dockyard.errors import InputError
from dockyard.scan import osv


@pytest.fixture
def db(data_dir: Path) -> osv.Database:
    return osv.load(data_dir / "advisories")


def test_loads_pypa_yaml_and_osv_json(db: osv.Database) -> None:
    assert sorted(db.records) == ["PYSEC-2019-217", "PYSEC-2020-176", "PYSEC-2021-142", "PYSEC-2021-66"]
    # YAML timestamps stay strings; the JSON record's "Jinja2" is served canonical, as pip-audit compares
    assert db.records["PYSEC-2021-142"]["published"] == "2021-02-09T21:15:00Z"
    assert db.records["PYSEC-2019-217"]["affected"][0]["package"]["name"] == "jinja2"


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("PyYAML", "5.3.1", ["PYSEC-2021-142"]),
        ("pyyaml", "5.1.2", ["PYSEC-2020-176", "PYSEC-2021-142"]),
        ("pyyaml", "5.2b1", ["PYSEC-2021-142"]),  # the first range is fixed in 5.2b1
        ("pyyaml", "5.4", []),
        ("pyyaml", "6.0.4", []),
        ("pyyaml", "5.0", ["PYSEC-2021-142"]),  # before the second range opens at 5.1
        ("Jinja2", "2.10", ["PYSEC-2019-217", "PYSEC-2021-66"]),
        ("jinja2", "2.10.1", ["PYSEC-2021-66"]),
        ("jinja2", "2.11.3", []),
        ("requests", "2.0", []),
    ],
)
def test_query(db: osv.Database, name: str, version: str, expected: list[str]) -> None:
    assert sorted(r["id"] for r in db.query(name, version)) == expected


def test_withdrawn_records_never_match(db: osv.Database) -> None:
    records = [dict(r) for r in db.records.values()]
    records[0] = {**records[0], "withdrawn": "2024-01-01T00:00:00Z"}
    withdrawn_id = records[0]["id"]
    again = osv.Database.of(records)
    assert again.withdrawn == (withdrawn_id,)
    assert again.get(withdrawn_id) is None
    assert all(withdrawn_id not in {r["id"] for r in again.query(n, "0.1")} for n in ("pyyaml", "jinja2"))


def test_range_rules() -> None:
    events = [{"introduced": "1.0"}, {"last_affected": "1.4"}, {"introduced": "2.0"}, {"fixed": "2.1.post1"}]
    hits = [
        v
        for v in ("0.9", "1.0", "1.4", "1.4.1", "1.9", "2.0", "2.1", "2.1.post1")
        if osv.in_range(Version(v), events)
    ]
    assert hits == ["1.0", "1.4", "2.0", "2.1"]
    assert osv.in_range(Version("1.0"), [{"introduced": "0"}]) is True  # open-ended
    assert osv.in_range(Version("1.0"), [{"introduced": "0"}, {"fixed": "not-a-version"}]) is False


def test_explicit_versions_match_without_ranges() -> None:
    record = {
        "id": "X-1",
        "affected": [{"package": {"name": "Foo_Bar", "ecosystem": "PyPI"}, "versions": ["1.0"]}],
    }
    assert osv.affects(record, "foo-bar", "1.0.0")  # PEP 440 equality, PEP 503 names
    assert not osv.affects(record, "foo-bar", "1.1")
    assert osv.fixed_versions(
        {"affected": [{"package": {"name": "x"}, "ranges": [{"events": [{"fixed": "2"}]}]}]}, "x"
    ) == ("2",)


def test_severity_words() -> None:
    assert osv.severity({"database_specific": {"severity": "MODERATE"}}) == "medium"
    assert osv.severity({"id": "PYSEC-1"}) is None


def test_bad_directory_and_records(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="advisory directory not found"):
        osv.load(tmp_path / "missing")
    (tmp_path / "bad.yaml").write_text("just: [a, list\n")
    with pytest.raises(InputError, match="OSV record"):
        osv.load(tmp_path)
    (tmp_path / "bad.yaml").write_text("summary: no id\n")
    with pytest.raises(InputError, match="no `id`"):
        osv.load(tmp_path)
