"""Reading requirements files and pyproject.toml: line forms, includes, decoding, hints."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.requirements import discover
from dockyard.requirements.catalogue import hint_for
from dockyard.requirements.requirements_txt import decode


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("line", "name", "kind", "text"),
    [
        ("Flask_Login >= 0.6", "flask-login", "index", "Flask_Login>=0.6"),
        (
            'uvicorn[standard]==0.29 ; python_version>"3.8"',
            "uvicorn",
            "index",
            'uvicorn[standard]==0.29 ; python_version > "3.8"',
        ),
        (
            "six @ https://example.com/six-1.17.0-py3-none-any.whl",
            "six",
            "url",
            "six @ https://example.com/six-1.17.0-py3-none-any.whl",
        ),
        ("https://example.com/pkg-1.0.tar.gz", None, "url", "https://example.com/pkg-1.0.tar.gz"),
        (
            "git+https://github.com/org/tool.git@v1#egg=tool",
            "tool",
            "vcs",
            "git+https://github.com/org/tool.git@v1#egg=tool",
        ),
        (  # an editable VCS line is read non-editable: uv refuses editable git sources, images never edit
            "-e git+https://github.com/org/lib.git#egg=lib",
            "lib",
            "vcs",
            "lib @ git+https://github.com/org/lib.git",
        ),
        ("--editable ./local", None, "editable", "-e ./local"),
        ("./vendor/thing", None, "local", "./vendor/thing"),
        (
            "lib @ git+https://github.com/org/lib.git@v2",
            "lib",
            "vcs",
            "lib @ git+https://github.com/org/lib.git@v2",
        ),
    ],
)
def test_each_line_form(tmp_path: Path, line: str, name: str | None, kind: str, text: str) -> None:
    declared = discover(write(tmp_path, {"requirements.txt": f"{line}\n"}))
    (entry,) = declared.entries
    assert (entry.name, entry.kind, entry.text) == (name, kind, text)
    assert str(entry.origin) == "requirements.txt:1"


def test_a_continued_line_is_reported_at_its_first_line(tmp_path: Path) -> None:
    declared = discover(write(tmp_path, {"requirements.txt": "# head\nflask \\\n  >=3 \\\n  ,<4\nidna\n"}))
    assert [(e.text, e.origin.line) for e in declared.entries] == [("flask<4,>=3", 2), ("idna", 5)]


def test_local_path_takes_its_name_from_its_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"libs/a/pyproject.toml": '[project]\nname = "A.Lib"\n', "requirements.txt": "-e ./libs/a\n"},
    )
    (entry,) = discover(tmp_path).entries
    assert (entry.name, entry.kind, entry.hashable) == ("a-lib", "editable", False)


def test_a_source_keeps_its_own_entries_when_another_includes_it(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\n", "requirements-dev.txt": "-r requirements.txt\nruff\n"})
    declared = discover(tmp_path)
    assert [(e.key, e.source, e.hint) for e in declared.entries] == [
        ("ruff", "requirements-dev.txt", "dev"),
        ("flask", "requirements.txt", None),
    ]


def test_an_included_file_inherits_the_hint_unless_its_name_has_one(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements-test.txt": "-r reqs/common.txt\n-r reqs/lint.txt\n",
            "reqs/common.txt": "pytest\n",
            "reqs/lint.txt": "ruff\n",
        },
    )
    assert {e.key: e.hint for e in discover(tmp_path).entries} == {"pytest": "test", "ruff": "dev"}


def test_a_constraints_file_is_not_a_source_even_when_its_name_matches(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"requirements.txt": "-c requirements-pins.txt\nflask\n", "requirements-pins.txt": "flask<4\n"},
    )
    declared = discover(tmp_path)
    assert [e.key for e in declared.entries] == ["flask"]
    assert [(o.flag, o.value) for o in declared.options] == [("-c", "requirements-pins.txt")]
    assert declared.files == ("requirements-pins.txt", "requirements.txt")


def test_find_links_is_relative_to_its_file_then_to_the_project(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "reqs/wheels/.keep": "",
            "wheels/.keep": "",
            "requirements.txt": "-r reqs/base.txt\n",
            "reqs/base.txt": "-f wheels\n--find-links ./other\n--find-links file:///srv/wheels\nflask\n",
        },
    )
    values = [o.value for o in discover(tmp_path).options]
    assert values == ["reqs/wheels", "reqs/other", "file:///srv/wheels"]


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-r sub/more.txt\n", "sub/more.txt": "flask\n\nflask ==== 3\n"})
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    assert (caught.value.path, caught.value.line) == ("sub/more.txt", 3)
    assert caught.value.message.startswith(
        "sub/more.txt:3: not a valid requirement or option: 'flask ==== 3'"
    )


def test_a_cycle_through_a_constraints_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "-c c.txt\n", "c.txt": "-r requirements.txt\n"})
    with pytest.raises(InputError, match=r"include cycle: requirements.txt -> c.txt -> requirements.txt"):
        discover(tmp_path)


def test_decode_honours_boms_and_coding_lines() -> None:
    assert decode(codecs.BOM_UTF16_LE + "flask\n".encode("utf-16-le"), "r.txt") == "flask\n"
    assert decode(b"# -*- coding: latin-1 -*-\n# caf\xe9\n", "r.txt").endswith("café\n")
    with pytest.raises(InputError, match="unknown encoding") as caught:
        decode(b"# coding: klingon\nflask\n", "r.txt")
    assert caught.value.line == 1


def test_a_utf16_requirements_file_is_read(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": codecs.BOM_UTF16_LE + "flask==3.0\nidna\n".encode("utf-16-le")})
    assert [e.text for e in discover(tmp_path).entries] == ["flask==3.0", "idna"]


def test_pyproject_details(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                '[project]\nname = "Svc"\nrequires-python = ">=3.11"\ndynamic = ["dependencies"]\n'
                '[tool.poetry.dependencies]\npython = "^3.11"\n'
            )
        },
    )
    declared = discover(tmp_path)
    assert (declared.project_name, declared.requires_python, declared.entries) == ("svc", ">=3.11", ())
    assert [f.code for f in declared.findings] == [
        "dynamic-dependencies",
        "metadata-not-read",
        "no-dependencies",
    ]


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ('[project]\ndependencies = "flask"\n', "[project] dependencies must be a list of PEP 508 strings"),
        ("project = 3\n", "[project] must be a table"),
        (
            "[project.optional-dependencies]\ntest = [1]\n",
            "[project.optional-dependencies] test must be a list",
        ),
        ("[dependency-groups]\nTest = []\ntest = []\n", "names 'test' twice"),
        ('[dependency-groups]\ndev = [{include = "x"}]\n', "neither a string nor {include-group"),
        ("dependency-groups = 3\n", "[dependency-groups] must be a table"),
    ],
)
def test_malformed_pyproject_tables(tmp_path: Path, toml: str, fragment: str) -> None:
    write(tmp_path, {"pyproject.toml": toml})
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    assert fragment in caught.value.message
    assert caught.value.path == "pyproject.toml"


@pytest.mark.parametrize(
    ("label", "hint"),
    [
        ("requirements.txt", None),
        ("requirements-dev.txt", "dev"),
        ("dev-requirements.txt", "dev"),
        ("requirements_test.txt", "test"),
        ("test-requirements.txt", "test"),
        ("requirements-prod.txt", None),
        ("requirements-gpu.txt", "ml"),
        ("tests", "test"),
        ("lint", "dev"),
        ("docs", "dev"),
        ("server", None),
        ("all", None),
    ],
)
def test_hint_for(label: str, hint: str | None) -> None:
    assert hint_for(label) == hint


def test_a_stale_copy_the_dockerfile_does_not_install_is_not_a_declaration(tmp_path: Path) -> None:
    """weekly_worklog: requirements_old.txt pins h11==0.14.0, requirements.txt h11==0.16.0, and the
    Dockerfile installs only requirements.txt: reading both made the resolution impossible."""
    root = write(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements.txt\n",
            "requirements.txt": "h11==0.16.0\n",
            "requirements_old.txt": "h11==0.14.0\n",
            "requirements-dev.txt": "pytest==8.3.3\n",
        },
    )
    found = discover(root)
    assert sorted(e.text for e in found.entries) == ["h11==0.16.0", "pytest==8.3.3"]
    (note,) = [f for f in found.findings if f.code == "stale-requirements"]
    assert note.origin is not None and note.origin.path == "requirements_old.txt"
    assert "its name says 'old'" in note.message

    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY . .\nRUN pip install -r requirements_old.txt\n"
    )
    installed = discover(root)
    assert "h11==0.14.0" in [e.text for e in installed.entries]
    assert not [f for f in installed.findings if f.code == "stale-requirements"]
