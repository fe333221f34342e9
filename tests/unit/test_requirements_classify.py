"""The catalogue and the classification rules."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from dockyard.errors import ConfigError, InputError
from dockyard.requirements import Declared, Entry, Origin, classify
from dockyard.requirements.catalogue import default, parse
from dockyard.requirements.classify import entry_group, overrides_from
from dockyard.requirements.model import GROUPS, normalize


def entry(
    name: str, *, hint: str | None = None, source: str = "requirements.txt", text: str | None = None
) -> Entry:
    return Entry(
        name=normalize(name),
        text=text or name,
        kind="index",
        origin=Origin(path=source, line=1),
        source=source,
        hint=hint,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("numpy", "ml"),
        ("Scikit_Learn", "ml"),
        ("torch", "ml"),
        ("pillow", "ml"),
        ("pytest", "test"),
        ("pytest-asyncio", "test"),
        ("hypothesis", "test"),
        ("httpx", "test"),
        ("ruff", "dev"),
        ("types-PyYAML", "dev"),
        ("pandas-stubs", "dev"),
        ("flake8-bugbear", "dev"),
        ("sphinx-rtd-theme", "dev"),
        ("ipython", "dev"),
        ("fastapi", None),
        ("requests", None),
        ("uvicorn", None),
    ],
)
def test_catalogue_groups(name: str, group: str | None) -> None:
    assert default().group(name) == group


def test_catalogue_file_is_well_formed() -> None:
    text = resources.files("dockyard").joinpath("data", "catalogue.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    names = [normalize(n) for group in data["groups"].values() for n in group]
    assert len(names) >= 300
    assert len(names) == len(set(names)), "a name is listed twice"
    assert set(data["groups"]) <= set(GROUPS)
    for distributions in data["imports"].values():
        assert all(d == normalize(d) for d in distributions)


@pytest.mark.parametrize(
    ("module", "first"),
    [
        ("sklearn.linear_model", "scikit-learn"),
        ("yaml", "pyyaml"),
        ("PIL.Image", "pillow"),
        ("cv2", "opencv-python"),
        ("bs4", "beautifulsoup4"),
        ("dateutil.parser", "python-dateutil"),
        ("google.protobuf.message", "protobuf"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("pydantic_settings", "pydantic-settings"),
        ("IPython", "ipython"),
    ],
)
def test_catalogue_import_names(module: str, first: str) -> None:
    assert default().distributions(module)[0] == first


def test_cv2_may_come_from_any_opencv_build() -> None:
    assert "opencv-python-headless" in default().distributions("cv2")


def test_a_malformed_catalogue_is_refused() -> None:
    with pytest.raises(InputError, match="schema"):
        parse("schema = 2\n")
    with pytest.raises(InputError, match="group must be one of"):
        parse('schema = 1\n[groups]\ngpu = ["torch"]\n')


@pytest.mark.parametrize(
    ("name", "hint", "group"),
    [
        ("numpy", None, "ml"),
        ("fastapi", None, "base"),
        ("pytest", None, "test"),
        ("ruff", None, "dev"),
        ("requests", "test", "test"),  # a test source wins over the runtime default
        ("numpy", "test", "test"),
        ("ruff", "test", "test"),  # the user put it in the test set
        ("pytest", "dev", "test"),  # dev is installed on top of test, so test tools go to test
        ("requests", "dev", "dev"),
        ("requests", "ml", "ml"),
        ("pytest", "ml", "test"),  # an ml source does not pull test tools into the image
    ],
)
def test_entry_group(name: str, hint: str | None, group: str) -> None:
    assert entry_group(entry(name, hint=hint), default())[0] == group


def test_the_lowest_group_wins_and_overrides_win_over_everything() -> None:
    declared = Declared(
        project=Path(),
        entries=(
            entry("requests", hint="test", source="requirements-test.txt"),
            entry("requests", source="requirements.txt"),
            entry("numpy"),
            entry("pytest"),
        ),
    )
    plain = classify(declared)
    assert {p.key: p.group for p in plain.placements} == {"numpy": "ml", "pytest": "test", "requests": "base"}
    overridden = classify(declared, {"NumPy": "base", "pytest": "dev"})
    assert {p.key: (p.group, p.reason) for p in overridden.placements if p.key != "requests"} == {
        "numpy": ("base", "override ([tool.dockyard] classify)"),
        "pytest": ("dev", "override ([tool.dockyard] classify)"),
    }
    assert dict(overridden.overrides) == {"numpy": "base", "pytest": "dev"}
    assert (overridden.group_of("NumPy"), overridden.group_of("Requests"), overridden.group_of("nope")) == (
        "base",
        "base",
        None,
    )
    assert [p.key for p in overridden.in_group("base")] == ["numpy", "requests"]


def test_a_bad_override_group_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"classify: torch = 'gpu' is not a group"):
        overrides_from({"torch": "gpu"})


def test_identical_lines_from_two_sources_are_one_entry() -> None:
    shared = entry("flask", source="reqs/common.txt")
    declared = Declared(
        project=Path(), entries=(shared, Entry(**{**shared.__dict__, "source": "requirements-dev.txt"}))
    )
    (placement,) = classify(declared).placements
    assert len(placement.entries) == 1
