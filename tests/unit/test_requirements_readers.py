"""The small readers: Poetry constraints, Pipfile values, METADATA extras, Dockerfile install commands,
uv.lock forks, TOML positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.dockerfile import parse_text
from dockyard.errors import InputError
from dockyard.requirements import tomlfile
from dockyard.requirements.dockerfile_installs import installs
from dockyard.requirements.metadata import entries_from_metadata
from dockyard.requirements.pipfile import requirement
from dockyard.requirements.poetry import python_marker, translate
from dockyard.requirements.project_locks import read_lock


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^2", ">=2,<3"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),
        (">=1, <3", ">=1,<3"),
        (">= 2.0", ">=2.0"),
    ],
)
def test_poetry_constraints(poetry: str, pep440: str) -> None:
    assert translate(poetry) == pep440


def test_poetry_python_becomes_a_marker() -> None:
    assert python_marker("^3.9") == 'python_full_version >= "3.9" and python_full_version < "4"'


def test_pipfile_values() -> None:
    assert requirement("requests", "*") == "requests"
    assert requirement("requests", ">=2") == "requests>=2"
    assert requirement("x", {"version": "==1", "extras": ["a"], "markers": "os_name == 'posix'"}) == (
        "x[a]==1 ; os_name == 'posix'"
    )
    assert requirement("lib", {"git": "https://g/lib.git", "ref": "v1"}) == "lib @ git+https://g/lib.git@v1"
    assert requirement("loc", {"path": "./loc", "editable": True}) == "loc @ file:./loc"


def test_metadata_extras_go_to_their_extra_with_the_rest_of_the_marker_kept() -> None:
    text = (
        "Metadata-Version: 2.1\nName: svc\nRequires-Python: >=3.9\n"
        "Requires-Dist: requests>=2\n"
        'Requires-Dist: tomli; python_version < "3.11"\n'
        'Requires-Dist: pytest>=8; extra == "test"\n'
        'Requires-Dist: colorama; sys_platform == "win32" and extra == "dev"\n'
        'Requires-Dist: svc[test]; extra == "all"\n'
    )
    meta = entries_from_metadata(text, declared_in="setup.py", declared_text="", source="setup.py")
    assert (meta.name, meta.requires_python) == ("svc", ">=3.9")
    assert [(e.text, e.hint, e.source) for e in meta.entries] == [
        ("requests>=2", None, "setup.py"),
        ('tomli; python_version < "3.11"', None, "setup.py"),
        ("pytest>=8", "test", "setup.py extra test"),
        ('colorama; sys_platform == "win32"', "dev", "setup.py extra dev"),
    ]


DOCKERFILE = """\
FROM python:3.11-slim AS base
WORKDIR /app
COPY backend/requirements.txt backend/requirements-prod.txt ./
RUN pip install --no-cache-dir -r requirements.txt \\
    && python -m pip install -i https://pypi.org/simple -rrequirements-prod.txt gunicorn==23.0
COPY services/api /srv/api
WORKDIR /srv/api
RUN poetry install --no-root && uv sync --frozen
RUN pip install --upgrade pip setuptools
COPY . /code
RUN cd /code && pip install -e .
"""


def test_dockerfile_installs_are_followed_to_the_context() -> None:
    found = [(i.kind, i.path, i.line) for i in installs(parse_text(DOCKERFILE))]
    assert found == [
        ("requirements", "backend/requirements.txt", 4),
        ("requirements", "backend/requirements-prod.txt", 4),
        ("package", "gunicorn==23.0", 4),
        ("project", "services/api", 8),
        ("package", "pip", 9),
        ("package", "setuptools", 9),
        ("project", ".", 11),  # `cd /code` first: the context copied there
    ]


def test_installs_keep_the_extras_asked_for() -> None:
    text = (
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\n"
        "RUN pip install '.[Server, tui]' && pip install -e ./[dev]\n"
        "RUN poetry install -E docs --extras 'pdf,html'\n"
        "FROM python:3.11-slim AS uv\nWORKDIR /w\nCOPY lib/ lib/\nRUN cd lib && uv sync --all-extras\n"
        "FROM python:3.11-slim AS legacy\nWORKDIR /opt\nCOPY tool/ tool/\nRUN python tool/setup.py install\n"
    )
    found = [(i.kind, i.path, i.extras, i.all_extras) for i in installs(parse_text(text))]
    assert found == [
        ("project", ".", ("server", "tui", "dev", "docs", "pdf", "html"), False),
        ("project", "lib", (), True),
        ("project", "tool", (), False),
    ]


def test_uv_lock_forks_are_chosen_for_the_image(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "numpy"\nversion = "2.2.0"\nsource = { registry = "x" }\n'
        "resolution-markers = [\"python_full_version < '3.11'\"]\n"
        '[[package]]\nname = "numpy"\nversion = "2.4.0"\nsource = { registry = "x" }\n'
        "resolution-markers = [\"python_full_version >= '3.11'\"]\n"
        '[[package]]\nname = "svc"\nversion = "0.1"\nsource = { editable = "." }\n'
    )
    chosen = read_lock(tmp_path, own="svc", python_version="3.11")
    assert chosen is not None and dict(chosen.pins) == {"numpy": "2.4.0"}
    assert chosen.skipped == ("svc",)
    unknown = read_lock(tmp_path, own="svc")
    assert unknown is not None and dict(unknown.pins) == {} and "numpy" in unknown.skipped


def test_toml_errors_name_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        tomlfile.loads('[a]\nb = "x"\nc = \n', "pyproject.toml")
    assert (caught.value.path, caught.value.line) == ("pyproject.toml", 3)
    assert "column 5" in caught.value.message


def test_phase2_installs_the_local_lines_a_runtime_lock_sets_aside() -> None:
    from dockyard.phases.phase2_plan import local_lines
    from dockyard.render.dockerfile import DockerfilePlan, render
    from dockyard.requirements.lock import set_aside_unhashed

    compiled = (
        "six==1.17.0 \\\n    --hash=sha256:a\n    # via helper\n"
        "-e ./libs/helper\n    # via -r requirements/base.in\n"
        "tool @ file:./vendor/tool-1.0-py3-none-any.whl\n"
        "lib @ git+https://github.com/org/lib@0123abc\n"
    )
    text, aside = set_aside_unhashed(compiled)
    assert len(aside) == 3
    assert local_lines(text) == ["./libs/helper", "./vendor/tool-1.0-py3-none-any.whl"]  # VCS: no git
    plan = DockerfilePlan(
        base_image="python:3.11-slim", command=("python",), port=0, health_path="", app_paths=("app.py",),
        local_installs=("./libs/helper",),
    )  # fmt: skip
    dockerfile = render(plan)
    # only the library's own files key the layer: a change to the service leaves it cached
    assert "--mount=type=bind,source=libs/helper,target=/src/libs/helper,rw" in dockerfile
    assert "--mount=type=bind,target=/src,rw" not in dockerfile
    assert "--no-deps /src/libs/helper" in dockerfile and "cd /src" not in dockerfile  # hadolint DL3003


def test_a_private_index_is_read_from_a_buildkit_secret_never_written() -> None:
    from dockyard.render.dockerfile import DockerfilePlan, render

    plan = DockerfilePlan(
        base_image="python:3.11-slim", command=("python",), port=0, health_path="", app_paths=("app.py",),
        private_index="--extra-index-url",
    )  # fmt: skip
    text = render(plan)
    assert "--mount=type=secret,id=dockyard_index" in text
    assert 'UV_EXTRA_INDEX_URL="$(cat /run/secrets/dockyard_index)"' in text
    assert "needs the private index URL as a BuildKit secret" in text
    plain = render(DockerfilePlan(base_image="python:3.11-slim", command=("python",), port=0, health_path="",
                                  app_paths=("app.py",)))  # fmt: skip
    assert "secret" not in plain


def test_a_project_copied_file_by_file_is_found_where_its_files_are() -> None:
    dockerfile = parse_text(
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY svc/pyproject.toml svc/poetry.lock ./\n"
        "RUN poetry install --no-root\nCOPY svc/ .\n"
    )
    assert [(i.kind, i.path) for i in installs(dockerfile)] == [("project", "svc")]
