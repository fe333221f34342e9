"""The ignore file: a reason and an expiry for each entry; expired entries stop ignoring."""

from __future__ import annotations

import datetime as dt

import pytest

from dockyard.errors import InputError
from dockyard.scan import ignores
from dockyard.scan.model import Finding

TODAY = dt.date(2026, 12, 3)
VULN = Finding(tool="pip-audit", code="PYSEC-2021-142", level="high", message="m",
               file="requirements/base.txt", aliases=("CVE-2020-14343",))  # fmt: skip
LINT = Finding(tool="hadolint", code="DL3008", level="warning", message="m", file="Dockerfile", line=4)


def test_example_parses() -> None:
    (entry,) = ignores.parse(ignores.EXAMPLE)
    assert entry.expires == dt.date(2027, 1, 31) and entry.path == "requirements/base.txt"


def test_ignored_until_expiry_then_reported_again() -> None:
    text = """
[[ignore]]
id = "CVE-2020-14343"
reason = "no untrusted YAML is loaded"
expires = "2026-12-31"
[[ignore]]
id = "DL3008"
reason = "base image pins apt"
expires = 2026-12-01
[[ignore]]
id = "NEVER-SEEN"
reason = "left over"
expires = 2027-06-01
"""
    entries = ignores.parse(text)
    applied = ignores.apply([VULN, LINT], entries, today=TODAY)
    assert applied.kept == (LINT,)
    assert [(f.code, e.reason) for f, e in applied.ignored] == [
        ("PYSEC-2021-142", "no untrusted YAML is loaded")
    ]
    assert applied.notes == (
        "ignore entry for DL3008 expired on 2026-12-01: it no longer ignores "
        "(reason was: base image pins apt)",
        "ignore entry for NEVER-SEEN matched no finding; remove it",
    )
    later = ignores.apply([VULN, LINT], entries, today=dt.date(2027, 1, 1))
    assert later.kept == (VULN, LINT) and later.ignored == ()


def test_path_and_tool_narrow_an_entry() -> None:
    (entry,) = ignores.parse(
        '[[ignore]]\nid = "PYSEC-2021-142"\npath = "requirements/ml.txt"\n'
        'reason = "r"\nexpires = 2027-01-01\n'
    )
    assert not entry.matches(VULN)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[ignore]]\nid = "X"\nexpires = 2027-01-01\n', "`reason` is required"),
        ('[[ignore]]\nid = "X"\nreason = "  "\nexpires = 2027-01-01\n', "`reason` is required"),
        ('[[ignore]]\nid = "X"\nreason = "r"\n', "`expires` is required"),
        ('[[ignore]]\nid = "X"\nreason = "r"\nexpires = "soon"\n', "must be a date"),
        ('[[ignore]]\nid = "X"\nreason = "r"\nexpires = 2027-01-01\nuntil = 1\n', "unknown key"),
        ("[ignores]\n", "unknown table"),
        ("[[ignore]\n", "TOML"),
    ],
)
def test_invalid_entries(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ignores.parse(text)
