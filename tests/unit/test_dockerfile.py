from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.dockerfile import expand, parse_file, parse_mount, parse_text
from dockyard.errors import InputError


@pytest.fixture
def dockerfiles(data_dir: Path) -> Path:
    return data_dir / "dockerfiles"


def test_naive_single_stage(dockerfiles: Path) -> None:
    df = parse_file(dockerfiles / "naive.Dockerfile")
    assert len(df.stages) == 1
    stage = df.final_stage
    assert (stage.index, stage.name, stage.base, stage.base_stage) == (0, None, "python:3.11-slim", None)
    assert [p.path for p in df.context_paths] == ["."]
    assert [r.args for r in stage.runs] == [
        ("apt-get update",),
        ("apt-get install -y build-essential gcc git",),
        ("pip install -r requirements.txt",),
    ]
    assert [r.line for r in stage.runs] == [3, 4, 10]
    assert stage.cmd is not None
    assert stage.cmd.form == "exec"
    assert stage.cmd.args[:2] == ("uvicorn", "inference_service.app:app")
    assert [p.number for p in stage.expose] == [8000]
    assert stage.env == {"LOG_LEVEL": "info"}
    assert stage.workdir == "/app"
    assert stage.user is None and stage.healthcheck is None


def test_multistage_stages_and_inheritance(dockerfiles: Path) -> None:
    df = parse_file(dockerfiles / "multistage.Dockerfile")
    assert [(s.name, s.base, s.base_stage) for s in df.stages] == [
        ("builder", "python:3.11-slim", None),
        ("test", "builder", 0),
        ("runtime", "python:3.11-slim", None),
    ]
    assert df.global_args == {"PYTHON_IMAGE": "python:3.11-slim", "APP_DIR": "/app"}
    builder, test, runtime = df.stages
    assert builder.env == {"VIRTUAL_ENV": "/opt/venv", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    assert test.env == builder.env  # FROM builder inherits its ENV
    assert df.stage("runtime") is runtime
    assert df.stage("1") is test
    assert df.stage("nope") is None


def test_multistage_context_paths_skip_from_copies(dockerfiles: Path) -> None:
    df = parse_file(dockerfiles / "multistage.Dockerfile")
    assert [(p.path, p.keyword, p.line, p.stage) for p in df.context_paths] == [
        ("requirements/base.txt", "COPY", 9, 0),
        ("requirements/ml.txt", "COPY", 9, 0),
        ("constraints.txt", "RUN", 10, 0),
        ("requirements/test.txt", "COPY", 15, 1),
        ("tests/", "COPY", 17, 1),
        ("inference_service/", "COPY", 18, 1),
        ("inference_service/", "COPY", 28, 2),
        ("config/*.toml", "COPY", 29, 2),
        ("config/*.yaml", "COPY", 29, 2),
    ]
    runtime = df.final_stage
    from_copies = [c for c in runtime.copies if c.from_]
    assert [(c.from_, c.sources, c.context_sources) for c in from_copies] == [
        ("builder", ("/opt/venv",), ()),
        ("docker.io/library/busybox:1.36", ("/bin/wget",), ()),
    ]
    assert from_copies[0].link is True
    app = runtime.copies[1]
    assert (app.chown, app.chmod, app.link, app.dest) == ("app:app", "0755", False, "./inference_service/")


def test_multistage_run_mounts_and_forms(dockerfiles: Path) -> None:
    df = parse_file(dockerfiles / "multistage.Dockerfile")
    builder, test, _ = df.stages
    install = builder.runs[1]
    assert install.line == 10
    assert install.mounts == (
        {"type": "cache", "target": "/root/.cache/pip", "sharing": "locked"},
        {"type": "bind", "source": "constraints.txt", "target": "/tmp/constraints.txt"},
    )
    assert install.form == "shell"
    assert 'pip" install -r /tmp/requirements/base.txt' in install.args[0]
    pytest_run = test.runs[-1]
    assert pytest_run.form == "exec"
    assert pytest_run.args == ("/opt/venv/bin/python", "-m", "pytest", "/src/tests")
    assert test.copies[1].sources == ("tests/",)  # JSON form


def test_multistage_runtime_config(dockerfiles: Path) -> None:
    runtime = parse_file(dockerfiles / "multistage.Dockerfile").final_stage
    assert runtime.user == "app"
    assert runtime.workdir == "/app"  # ARG APP_DIR re-declared in the stage takes the global default
    assert runtime.args == {"APP_DIR": "/app", "PORT": "8000"}
    assert runtime.env["PATH"] == "/opt/venv/bin:"  # $PATH of the base image is unknown here
    assert [(p.value, p.protocol, p.number) for p in runtime.expose] == [("8000", "tcp", 8000)]
    assert runtime.healthcheck is not None
    assert runtime.healthcheck.options == {"interval": "10s", "timeout": "3s", "retries": "3"}
    assert runtime.healthcheck.form == "exec"
    assert runtime.healthcheck.args[0] == "python"
    assert runtime.entrypoint is not None and runtime.cmd is not None
    assert (runtime.entrypoint.form, runtime.entrypoint.args) == ("exec", ("uvicorn",))
    assert runtime.cmd.args[0] == "inference_service.app:app"


def test_heredoc_and_syntax_directive(dockerfiles: Path) -> None:
    df = parse_file(dockerfiles / "heredoc.Dockerfile")
    assert df.syntax == "docker/dockerfile:1"
    assert df.directives["check"] == "skip=JSONArgsRecommended"
    stage = df.final_stage
    run = stage.runs[0]
    assert (run.line, run.args) == (4, ("<<EOT",))
    assert run.heredocs[0].content.startswith("set -eux\napt-get update\n")
    assert "rm -rf /var/lib/apt/lists/*" in run.script
    # The heredoc COPY writes a file; only app.py comes from the context.
    assert [p.path for p in df.context_paths] == ["app.py"]
    assert stage.copies[0].heredoc_names == ("EOF",)
    assert stage.entrypoint is not None
    assert (stage.entrypoint.form, stage.entrypoint.args) == ("shell", ("python /srv/app.py",))
    assert stage.healthcheck is not None and stage.healthcheck.disabled


@pytest.mark.parametrize(
    ("name", "line", "message", "hint"),
    [
        ("unknown_instruction", 3, "unknown instruction RUNN", "did you mean RUN?"),
        ("no_from", 2, "WORKDIR comes before the first FROM", "only ARG may precede FROM"),
        ("empty", None, "has no instructions", "FROM"),
        ("unterminated_heredoc", 2, "unterminated heredoc", "terminator"),
        ("bad_flag", 2, "COPY does not accept the flag --chmown", "did you mean --chown?"),
        ("copy_one_arg", 2, "COPY needs at least one source and a destination", "COPY [--from=stage]"),
    ],
)
def test_broken_dockerfiles_name_file_line_and_fix(
    dockerfiles: Path, name: str, line: int | None, message: str, hint: str
) -> None:
    path = dockerfiles / "broken" / f"{name}.Dockerfile"
    with pytest.raises(InputError) as caught:
        parse_file(path)
    err = caught.value
    assert err.path == str(path)
    assert err.line == line
    assert message in err.message
    assert err.hint is not None and hint in err.hint
    where = f"{path}:{line}" if line else str(path)
    assert err.render().startswith(f"error: {where}: ")


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        parse_file(tmp_path / "Dockerfile")
    bad = tmp_path / "Latin1.Dockerfile"
    bad.write_bytes(b"FROM python:3.11-slim\nLABEL author=\xe9\n")
    with pytest.raises(InputError, match="not UTF-8"):
        parse_file(bad)


def test_bom_is_ignored() -> None:
    assert parse_text("\ufeffFROM scratch\n").final_stage.base == "scratch"


def test_only_arg_before_from_and_malformed_from() -> None:
    df = parse_text("ARG BASE=alpine:3\nFROM $BASE\n")
    assert df.final_stage.base == "alpine:3"
    with pytest.raises(InputError, match="FROM takes an image") as caught:
        parse_text("FROM alpine AS\n")
    assert caught.value.line == 1
    with pytest.raises(InputError, match="no FROM"):
        parse_text("ARG X=1\n")


def test_add_urls_and_heredocs_are_not_context_paths() -> None:
    df = parse_text(
        "FROM scratch\n"
        "ADD https://example.com/a.tgz /tmp/\n"
        "ADD --checksum=sha256:0 vendor.tgz /opt/\n"
        "ADD git@github.com:moby/moby.git /src\n"
    )
    assert [(p.path, p.keyword, p.line) for p in df.context_paths] == [("vendor.tgz", "ADD", 3)]


def test_entrypoint_resets_inherited_cmd_but_not_own() -> None:
    df = parse_text(
        'FROM scratch AS base\nCMD ["serve"]\nUSER app\n'
        'FROM base AS child\nENTRYPOINT ["tini", "--"]\n'
        'FROM base\nCMD ["other"]\nENTRYPOINT ["run"]\n'
    )
    base, child, last = df.stages
    assert base.cmd is not None and child.cmd is None
    assert child.user == "app"
    assert last.cmd is not None and last.cmd.args == ("other",)


def test_unresolved_variables_are_marked() -> None:
    df = parse_text("FROM scratch\nARG SRC\nCOPY ${SRC}/app.py /app/\nCOPY ${OTHER:-lib} /lib/\n")
    assert [(p.path, p.resolved) for p in df.context_paths] == [("/app.py", False), ("lib", True)]


def test_parse_mount() -> None:
    assert parse_mount("type=cache,dst=/root/.cache,ro") == {
        "type": "cache",
        "target": "/root/.cache",
        "readonly": "true",
    }
    # BuildKit reads the spec as CSV: a comma inside a value needs the whole field quoted.
    assert parse_mount('src=req.txt,"target=/tmp/a,b"') == {
        "source": "req.txt",
        "target": "/tmp/a,b",
        "type": "bind",
    }


def test_expand() -> None:
    scope = {"A": "1", "EMPTY": ""}
    assert expand("$A-${A}", scope) == ("1-1", True)
    assert expand("${EMPTY:-x}${A:+y}${NONE:+z}", scope) == ("xy", True)
    assert expand("${NONE}/x", scope) == ("/x", False)
