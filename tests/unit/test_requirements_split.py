"""Rendering the four .in files: layering, options and their paths, ordering."""

from __future__ import annotations

import random
from pathlib import Path

from dockyard.requirements import Classification, Declared, Entry, Option, Origin, Placement, classify, split
from dockyard.requirements.split import option_line


def opt(flag: str, value: str | None, source: str = "requirements.txt", line: int = 1) -> Option:
    return Option(flag=flag, value=value, origin=Origin(path=source, line=line), source=source)


def test_paths_are_rewritten_relative_to_the_requirements_directory() -> None:
    assert option_line(opt("-c", "constraints.txt"), "requirements") == "-c ../constraints.txt"
    assert option_line(opt("-c", "constraints.txt"), "deps/locks") == "-c ../../constraints.txt"
    assert option_line(opt("--find-links", "deps/wheels"), "deps") == "--find-links wheels"
    assert option_line(opt("--find-links", "/srv/wheels"), "deps") == "--find-links /srv/wheels"
    assert (
        option_line(opt("--find-links", "https://x.org/links"), "deps") == "--find-links https://x.org/links"
    )
    assert (
        option_line(opt("--index-url", "https://x.org/simple"), "a/b") == "--index-url https://x.org/simple"
    )
    assert option_line(opt("--pre", None), "requirements") == "--pre"


def test_one_index_url_per_file() -> None:
    classification = Classification(
        placements=(),
        options=(
            opt("--index-url", "https://b.example/simple", line=2),
            opt("--index-url", "https://a.example/simple", source="requirements-ml.txt"),
        ),
    )
    plan = split(classification)
    # the first by origin wins: requirements-ml.txt sorts before requirements.txt
    assert (
        plan.files["base.in"]
        == "# base.in: the service's runtime dependencies.\n--index-url https://a.example/simple\n"
    )
    assert [str(f.origin) for f in plan.findings if f.code == "index-url-conflict"] == [
        "requirements.txt:2"
    ] * 4
    assert "keeping https://a.example/simple (requirements-ml.txt:1), dropping https://b.example/simple" in (
        plan.findings[0].message
    )


def test_the_order_of_declarations_does_not_change_the_output() -> None:
    names = ["numpy", "fastapi", "pytest", "ruff", "requests", "torch", "pydantic", "httpx", "mypy", "black"]
    entries = [
        Entry(
            name=n,
            text=n,
            kind="index",
            origin=Origin(path="requirements.txt", line=i),
            source="requirements.txt",
        )
        for i, n in enumerate(names, 1)
    ]
    options = [
        opt("--extra-index-url", f"https://{c}.example/simple", line=20 + i) for i, c in enumerate("zay")
    ]
    expected = split(classify(Declared(project=Path(), entries=tuple(entries), options=tuple(options))))
    shuffler = random.Random(7)
    for _ in range(5):
        shuffler.shuffle(entries)
        shuffler.shuffle(options)
        again = split(classify(Declared(project=Path(), entries=tuple(entries), options=tuple(options))))
        assert dict(again.files) == dict(expected.files)


def test_sets_are_not_constrained_on_each_other_since_they_are_resolved_together() -> None:
    plan = split(Classification(placements=()))
    assert [line for text in plan.files.values() for line in text.splitlines() if line.startswith("-c")] == []
    assert list(plan.files) == ["base.in", "ml.in", "test.in", "dev.in"]


def test_credentials_and_placeholders_are_never_written() -> None:
    secret = opt("--index-url", "https://user:s3cret@pypi.example/simple", source="requirements.txt")
    token = opt("--extra-index-url", "https://${TOKEN}@private.example/simple", source="requirements.txt")
    public = opt("--extra-index-url", "https://public.example/simple", source="requirements.txt")
    plan = split(Classification(placements=(), options=(secret, token, public)))
    text = "".join(plan.files.values())
    assert "s3cret" not in text and "TOKEN" not in text
    assert "--extra-index-url https://public.example/simple" in plan.files["base.in"]
    assert plan.private == (
        "--extra-index-url https://${TOKEN}@private.example/simple",
        "--index-url https://user:s3cret@pypi.example/simple",
    )
    assert [f.code for f in plan.findings] == ["index-credentials", "index-credentials"]


def test_an_option_applies_to_its_sources_lowest_group_and_later_ones() -> None:
    torch = Entry(
        name="torch",
        text="torch",
        kind="index",
        origin=Origin(path="requirements-gpu.txt", line=2),
        source="requirements-gpu.txt",
        hint="ml",
    )
    placement = Placement(key="torch", group="ml", reason="declared", entries=(torch,))
    cpu = opt("--extra-index-url", "https://download.pytorch.org/whl/cpu", source="requirements-gpu.txt")
    plan = split(Classification(placements=(placement,), options=(cpu,)))
    with_index = [name for name, text in plan.files.items() if "download.pytorch.org" in text]
    assert with_index == ["ml.in", "test.in", "dev.in"]
