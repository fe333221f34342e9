"""The original image's running contract, read from its Dockerfile as Docker would build it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dockyard import contract
from dockyard.errors import InputError

MULTI = """\
ARG PY=3.12
FROM python:${PY}-slim-bookworm AS base
ARG APP_ENV=production
ENV APP_ENV=${APP_ENV} PATH=/home/app/.local/bin:$PATH GREETING="hello world"
LABEL org.opencontainers.image.title="svc" maintainer=me
WORKDIR /srv
WORKDIR app
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    libpq-dev gcc=4:12.2.0-3 libxml2 curl && rm -rf /var/lib/apt/lists/*
COPY backend/ .
COPY ["settings Example.json", "./"]
COPY docker/entrypoint.sh /usr/local/bin/
RUN chmod +x /usr/local/bin/entrypoint.sh && mkdir -p uploads /var/log/svc && chown -R 1000 /data
CMD ["gunicorn", "app:app"]

FROM base AS cli
ENTRYPOINT ["svc"]

FROM base AS web
VOLUME /data
EXPOSE 8000/tcp 9000
STOPSIGNAL SIGINT
SHELL ["/bin/bash", "-c"]
HEALTHCHECK --interval=5s CMD curl -f http://localhost:8000/healthz || exit 1
ENTRYPOINT /usr/local/bin/entrypoint.sh
"""


def write(tmp_path: Path, text: str, name: str = "Dockerfile") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_default_stage_is_the_last_and_shell_entrypoint_ignores_cmd(tmp_path: Path) -> None:
    c = contract.read(write(tmp_path, MULTI))
    assert (c.stage, c.stages) == ("web", ("base", "cli", "web"))
    # SHELL came before ENTRYPOINT in the stage: Docker stores the shell form with it
    assert c.entrypoint == ("/bin/bash", "-c", "/usr/local/bin/entrypoint.sh")
    assert c.cmd is None  # the inherited CMD is reset by ENTRYPOINT, and a shell form ignores CMD anyway
    assert c.command == ("/bin/bash", "-c", "/usr/local/bin/entrypoint.sh")
    assert c.workdir == "/srv/app"
    assert c.expose == ("8000/tcp", "9000/tcp") and c.ports == (8000, 9000)
    assert (c.volumes, c.stopsignal, c.shell) == (("/data",), "SIGINT", ("/bin/bash", "-c"))
    assert c.labels == {"org.opencontainers.image.title": "svc", "maintainer": "me"}
    assert c.healthcheck is not None and c.healthcheck.test[0] == "CMD-SHELL"
    assert c.base_image == "python:3.12-slim-bookworm" and c.python_version == "3.12"


def test_a_target_stage_and_its_exec_entrypoint(tmp_path: Path) -> None:
    c = contract.read(write(tmp_path, MULTI), target="cli")
    assert (c.entrypoint, c.cmd, c.command) == (("svc",), None, ("svc",))
    with pytest.raises(InputError, match="not a stage") as caught:
        contract.read(write(tmp_path, MULTI), target="nope")
    assert caught.value.hint == "set target to one of: base, cli, web"


def test_cmd_is_appended_to_an_exec_entrypoint_and_inherited(tmp_path: Path) -> None:
    text = 'FROM python:3.11-slim AS a\nCMD ["--help"]\nFROM a\nENTRYPOINT ["tini", "--"]\nCMD ["svc"]\n'
    assert contract.read(write(tmp_path, text)).command == ("tini", "--", "svc")
    inherited = 'FROM python:3.11-slim AS a\nENTRYPOINT ["svc"]\nCMD ["run"]\nFROM a\nENV X=1\n'
    c = contract.read(write(tmp_path, inherited))
    assert (c.entrypoint, c.cmd) == (("svc",), ("run",))


def test_env_keeps_run_time_references_and_substitutes_arg_defaults(tmp_path: Path) -> None:
    c = contract.read(write(tmp_path, MULTI))
    assert c.env == (
        ("APP_ENV", "production"),
        ("PATH", "/home/app/.local/bin:$PATH"),
        ("GREETING", '"hello world"'),
    )


def test_layout_packages_writable_dirs_and_executables(tmp_path: Path) -> None:
    c = contract.read(write(tmp_path, MULTI))
    assert [(a.source, a.dest) for a in c.copies] == [
        ("backend", "/srv/app"),
        ("settings Example.json", "/srv/app/settings Example.json"),
        ("docker/entrypoint.sh", "/usr/local/bin/entrypoint.sh"),
    ]
    assert c.runtime_packages == ("libxml2", "curl")
    assert c.build_packages == ("libpq-dev", "gcc=4:12.2.0-3")
    assert c.writable_dirs == ("/srv/app/uploads", "/var/log/svc", "/data", "/srv/app")
    assert c.executables == ("/usr/local/bin/entrypoint.sh",)
    assert c.runs_as_root


def test_copy_from_a_builder_stage_follows_what_it_copied(tmp_path: Path) -> None:
    text = (
        "FROM python:3.11 AS build\nCOPY . /src\nRUN pip install /src\n"
        "FROM python:3.11-slim\nCOPY --from=build /src /app\n"
    )
    c = contract.read(write(tmp_path, text))
    assert [(a.source, a.dest) for a in c.copies] == [("", "/app")]
    assert c.installs_itself


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("pip install --no-cache-dir -r requirements.txt", False),
        ("pip install .", True),
        ("pip install -e .", True),
        ("python -m pip install --no-deps /src", True),
        ("python setup.py install", True),
        ("pip install gunicorn==22.0", False),
    ],
)
def test_installs_itself(script: str, expected: bool) -> None:
    assert contract.installs_itself(script) is expected


def test_locate_the_only_candidate_or_ask_for_a_setting(tmp_path: Path) -> None:
    assert contract.locate(tmp_path) is None
    write(tmp_path, "FROM python:3.12\n", "Dockerfile.ollama")
    assert contract.locate(tmp_path) == tmp_path / "Dockerfile.ollama"
    write(tmp_path, "FROM python:3.12\n", "Dockerfile.llamacpp-cpu")
    with pytest.raises(InputError, match="several Dockerfiles") as caught:
        contract.locate(tmp_path)
    assert caught.value.hint is not None and 'dockerfile = "Dockerfile.llamacpp-cpu"' in caught.value.hint
    assert contract.locate(tmp_path, "Dockerfile.ollama") == tmp_path / "Dockerfile.ollama"
    with pytest.raises(InputError, match="not a file"):
        contract.locate(tmp_path, "nope")


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("python:3.12-slim-bookworm", "3.12"),
        ("docker.io/library/python:3.10", "3.10"),
        ("python:3.11.9-alpine", "3.11"),
        ("python:3", None),
        ("ubuntu:22.04", None),
    ],
)
def test_python_minor(image: str, version: str | None) -> None:
    assert contract.python_minor(image) == version


def test_the_base_image_follows_the_original_python(tmp_path: Path) -> None:
    write(tmp_path, MULTI)
    assert contract.base_image_for(tmp_path) == "python:3.12-slim"
    write(tmp_path, "FROM ubuntu:22.04\n")
    assert contract.base_image_for(tmp_path) is None


def test_an_arg_selected_final_stage(tmp_path: Path) -> None:
    text = (
        'ARG VARIANT=cli\nFROM python:3.11-slim AS web\nCMD ["serve"]\n'
        'FROM python:3.11-slim AS cli\nENTRYPOINT ["tool"]\nFROM ${VARIANT} AS final\nENV X=1\n'
    )
    assert contract.read(write(tmp_path, text)).command == ("tool",)
    assert contract.read(write(tmp_path, text), target="web").command == ("serve",)


def test_wildcard_and_optional_lock_sources(tmp_path: Path) -> None:
    from dockyard.phases import phase2_layout

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "a.toml").write_text("")
    (tmp_path / "config" / "b.yaml").write_text("")
    (tmp_path / "pyproject.toml").write_text("")
    text = (
        "FROM python:3.11-slim\nWORKDIR /app\n"
        "COPY ./pyproject.toml ./poetry.lock* /tmp/\nCOPY config/*.toml ./config/\n"
    )
    c = contract.read(write(tmp_path, text))
    found = phase2_layout.copies(tmp_path, c, counts=Counter())
    assert [(f.source, f.dest) for f in found] == [("config/a.toml", "/app/config/a.toml")]


def test_files_copied_without_a_workdir_keep_their_places(tmp_path: Path) -> None:
    """microblog's shape: ``COPY app app`` and no WORKDIR put the package at /app (not its files)."""
    from dockyard.phases import phase2_layout

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "email.py").write_text("")
    (tmp_path / "microblog.py").write_text("")
    text = "FROM python:slim\nCOPY app app\nCOPY microblog.py ./\nENTRYPOINT ['./boot.sh']\n"
    c = contract.read(write(tmp_path, text))
    assert phase2_layout.project_dir(c) == "/app"  # the dev stage's copy; the runtime runs from /
    found = phase2_layout.copies(tmp_path, c, counts=Counter())
    assert sorted((f.source, f.dest) for f in found) == [("app", "/app"), ("microblog.py", "/microblog.py")]
    assert (
        phase2_layout.project_dir(contract.read(write(tmp_path, "FROM python:slim\nCMD ['x']\n"))) == "/app"
    )


def test_runtime_paths_leave_out_what_the_context_does_not_send(tmp_path: Path) -> None:
    """sherlock's shape: nothing copied by the original, a `devel/` its .dockerignore leaves out."""
    from dockyard.phases import phase2_layout

    for name in ("sherlock_project", "devel", "tests"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.py").write_text("")
    (tmp_path / "pytest.ini").write_text("")
    assert phase2_layout.runtime_paths(tmp_path) == ["devel", "sherlock_project"]
    (tmp_path / ".dockerignore").write_text("devel/\n*.txt\n!/requirements.txt\n")
    assert phase2_layout.runtime_paths(tmp_path) == ["sherlock_project"]
    (tmp_path / ".dockerignore").write_text("devel/\n!devel/keep.py\n")  # the context keeps part of it
    assert phase2_layout.runtime_paths(tmp_path) == ["devel", "sherlock_project"]


def test_an_original_that_installs_the_projects_own_release_installs_the_project(tmp_path: Path) -> None:
    from dockyard.phases import phase2_layout

    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "sherlock-project"\n[build-system]\nrequires = ["poetry-core"]\n'
    )
    text = "FROM python:3.12-slim\nARG VERSION_TAG\nRUN pip3 install sherlock-project==$VERSION_TAG\n"
    assert phase2_layout.installs_project(tmp_path, contract.read(write(tmp_path, text)))
    other = "FROM python:3.12-slim\nRUN pip3 install requests==2.32.0\n"
    assert not phase2_layout.installs_project(tmp_path, contract.read(write(tmp_path, other)))


@pytest.mark.parametrize(
    ("entrypoint", "cmd", "expected"),
    [
        (None, ("poetry", "run", "uvicorn", "app:app"), (None, ("uvicorn", "app:app"), "poetry run")),
        (("pipenv", "run"), ("gunicorn", "app:app"), (None, ("gunicorn", "app:app"), "pipenv run")),
        (None, ("uv", "run", "--", "svc"), (None, ("svc",), "uv run")),
        (None, ("uv", "run", "--no-dev", "svc"), (None, ("uv", "run", "--no-dev", "svc"), None)),
        (
            ("/bin/sh", "-c", "exec poetry run uvicorn app:app --port $PORT"),
            None,
            (("/bin/sh", "-c", "exec uvicorn app:app --port $PORT"), None, "poetry run"),
        ),
        (("/usr/local/bin/pdm", "run", "svc"), ("--x",), (("svc",), ("--x",), "pdm run")),
        (None, ("python", "-m", "svc"), (None, ("python", "-m", "svc"), None)),
    ],
)
def test_an_installer_run_wrapper_comes_off_the_command(
    entrypoint: tuple[str, ...] | None,
    cmd: tuple[str, ...] | None,
    expected: tuple[object, ...],
) -> None:
    assert contract.without_runner(entrypoint, cmd) == expected
