"""cache.df parsing, prune planning and GC advice, on real captured `docker system df -v` output."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dockyard.errors import ConfigError
from dockyard.housekeeping import gc, prune, usage

DATA = Path(__file__).parents[1] / "data" / "housekeeping"
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def df() -> usage.Usage:
    return usage.parse_df((DATA / "system-df-v-20.10.json").read_text())


def test_sizes_and_times() -> None:
    assert usage.parse_size("191.1MB") == 191_100_000
    assert usage.parse_size("0B") == 0
    assert usage.parse_size("1.5kB") == 1500
    assert usage.parse_size("2GiB") == 2 * 2**30
    with pytest.raises(ValueError):
        usage.parse_size("lots")
    moment = usage.parse_time("2026-12-03 01:55:15.288498035 +0000 UTC")
    assert moment == datetime(2026, 12, 3, 1, 55, 15, tzinfo=UTC)
    assert usage.parse_time("") is None


def test_parse_real_df(df: usage.Usage) -> None:
    refs = {i.ref: i for i in df.images}
    assert set(refs) == {"dockyard-capture:df", "python:3.11-slim"}
    assert refs["dockyard-capture:df"].made_by_dockyard
    assert not refs["python:3.11-slim"].made_by_dockyard
    assert refs["dockyard-capture:df"].size == 5
    kinds = {r.kind for r in df.cache}
    assert {"exec.cachemount", "regular", "source.local"} <= kinds
    assert all(r.last_used is not None for r in df.cache)


def test_prune_never_selects_an_image_dockyard_did_not_make(df: usage.Usage) -> None:
    chosen = prune.plan(df, prune.Policy(), now=NOW)
    assert [i.ref for i in chosen.images] == ["dockyard-capture:df"]
    asked = prune.plan(df, prune.Policy(also=("python:*",)), now=NOW)
    assert {i.ref for i in asked.images} == {"dockyard-capture:df", "python:3.11-slim"}


def test_prune_keep_only_and_age(df: usage.Usage) -> None:
    kept = prune.plan(df, prune.Policy(keep=("dockyard-capture:*",)), now=NOW)
    assert kept.images == ()
    assert [k.why for k in kept.kept] == ["a --keep pattern matches it"]
    assert prune.plan(df, prune.Policy(only=("other:*",)), now=NOW).images == ()
    young = prune.plan(df, prune.Policy(older_than=timedelta(hours=1)), now=NOW)
    assert young.images == () and young.records == ()
    later = prune.plan(df, prune.Policy(older_than=timedelta(hours=1)), now=NOW + timedelta(hours=2))
    assert [i.ref for i in later.images] == ["dockyard-capture:df"]
    assert {r.id for r in later.records} == {r.id for r in df.cache if not r.in_use}


def test_prune_keep_storage_drops_least_recently_used_first(df: usage.Usage) -> None:
    records = tuple(
        replace(r, size=100, last_used=NOW - timedelta(minutes=i), in_use=False)
        for i, r in enumerate(df.cache)
    )
    sized = replace(df, cache=records)
    chosen = prune.plan(sized, prune.Policy(keep_storage=250, images=False), now=NOW)
    survivors = [r for r in records if r not in chosen.records]
    assert sum(r.size for r in survivors) <= 250
    assert min(_last_used(r) for r in survivors) > max(_last_used(r) for r in chosen.records)


def _last_used(record: usage.CacheRecord) -> datetime:
    assert record.last_used is not None
    return record.last_used


def test_in_use_records_and_used_images_are_kept(df: usage.Usage) -> None:
    busy = replace(
        df,
        cache=tuple(replace(r, in_use=True) for r in df.cache),
        images=tuple(replace(i, containers=1) for i in df.images),
    )
    chosen = prune.plan(busy, prune.Policy(), now=NOW)
    assert chosen.records == () and chosen.images == ()
    assert "container(s) use it" in chosen.kept[0].why


def test_argv() -> None:
    image = usage.ImageUse(id="sha256:ab", ref="dockyard-bench/x:v", size=1, created=None, containers=0)
    assert prune.remove_image_argv("docker", image) == ["docker", "image", "rm", "dockyard-bench/x:v"]
    dangling = replace(image, ref="<none>:<none>")
    assert prune.remove_image_argv("docker", dangling) == ["docker", "image", "rm", "sha256:ab"]
    rec = usage.CacheRecord(
        id="r1", kind="regular", description="", size=1, last_used=None, in_use=False, shared=False
    )
    assert prune.prune_record_argv("docker", rec) == [
        "docker",
        "builder",
        "prune",
        "--all",
        "--force",
        "--filter",
        "id=r1",
    ]
    assert prune.prune_record_argv("docker", rec, builder="b")[:4] == [
        "docker",
        "buildx",
        "prune",
        "--builder",
    ]


def test_durations_and_policy_errors() -> None:
    assert prune.parse_duration("7d") == timedelta(days=7)
    assert prune.parse_duration("1h30m") == timedelta(hours=1, minutes=30)
    with pytest.raises(ConfigError, match="duration"):
        prune.parse_duration("soon")
    with pytest.raises(ConfigError, match="keep-storage"):
        prune.Policy.parse(keep_storage="big")


def test_gc_recommendation() -> None:
    small = gc.recommend(10**6)
    assert small.keep_gb == 5
    big = gc.recommend(7_300_000_000)
    assert big.keep_gb == 15
    assert '"defaultKeepStorage": "15GB"' in big.daemon_json()
    assert "gckeepstorage = 15000" in big.buildkitd_toml()


def test_parse_real_buildx_du() -> None:
    now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    records = usage.parse_buildx_du((DATA / "buildx-du-verbose-0.13.txt").read_text(), now=now)
    assert [r.id for r in records][:3] == [
        "rq1i690wqv6j7d3l3o62dzd36",
        "nf9cf15mhe9h4a4p4lcug6m1k",
        "9c8063qn8dv6swydd6p1qeies",
    ]
    assert len(records) == 6  # the totals at the end are not a record
    first, busy, minute = records[:3]
    assert first.size == 1_056_000_000 and first.kind == "regular" and first.shared and not first.in_use
    assert first.last_used == now - timedelta(seconds=48)
    assert busy.in_use  # "Reclaimable: false"
    assert minute.last_used == now - timedelta(minutes=1)
    multiline = records[3]
    assert multiline.description.startswith("mount / from exec python -c import os")
    assert "os.chmod(out" in multiline.description and not multiline.shared
    assert records[5].last_used == now - timedelta(hours=3)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Less than a second ago", 0),
        ("1 second ago", 1),
        ("About an hour ago", 3600),
        ("2 days ago", 2 * 86400),
        ("3 weeks ago", 21 * 86400),
    ],
)
def test_parse_ago(text: str, seconds: int) -> None:
    assert usage.parse_ago(text) == timedelta(seconds=seconds)
    assert usage.parse_ago("yesterday") is None


def test_buildx_du_argv_names_the_builder() -> None:
    assert usage.buildx_du_argv("docker", "multi") == [
        "docker",
        "buildx",
        "du",
        "--builder",
        "multi",
        "--verbose",
    ]
