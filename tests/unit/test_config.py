"""The configuration cascade: defaults < [tool.dockyard] < DOCKYARD_* < flags, unknown keys refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import config
from dockyard.errors import ConfigError


def project(tmp_path: Path, table: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.dockyard]\n{table}")
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    s = config.load(tmp_path, environ={})
    assert s.project == tmp_path.resolve()
    assert s.docker == "" and s.builder == "auto" and s.installer == "uv"
    assert s.cache_dir == Path.home() / ".cache" / "dockyard"


def test_cascade_order(tmp_path: Path) -> None:
    root = project(tmp_path, 'docker = "from-toml"\nbench-runs = 5\napp_port = 9000\n')
    assert config.load(root, environ={}).docker == "from-toml"
    env = {"DOCKYARD_DOCKER": "from-env", "DOCKYARD_BENCH_RUNS": "7"}
    s = config.load(root, environ=env)
    assert (s.docker, s.bench_runs, s.app_port) == ("from-env", 7, 9000)
    s = config.load(root, {"docker": "from-flag", "bench_runs": None}, environ=env)
    assert (s.docker, s.bench_runs) == ("from-flag", 7)


def test_types_are_coerced(tmp_path: Path) -> None:
    root = project(
        tmp_path, 'app_command = ["uvicorn", "app:app"]\n[tool.dockyard.classify]\nhttpx = "base"\n'
    )
    s = config.load(root, environ={"DOCKYARD_CACHE_DIR": "/tmp/c"})
    assert s.app_command == ("uvicorn", "app:app")
    assert dict(s.classify) == {"httpx": "base"}
    assert s.cache_dir == Path("/tmp/c")
    s = config.load(root, environ={"DOCKYARD_APP_COMMAND": "gunicorn -w 2 app:app"})
    assert s.app_command == ("gunicorn", "-w", "2", "app:app")


def test_settings_are_frozen(tmp_path: Path) -> None:
    s = config.load(tmp_path, environ={})
    with pytest.raises(AttributeError):
        s.docker = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("table", "env", "flags", "fragment"),
    [
        ("colour = 'blue'\n", {}, {}, "pyproject.toml [tool.dockyard]: unknown setting `colour`"),
        ("", {"DOCKYARD_COLOUR": "x"}, {}, "environment: unknown setting `colour`"),
        ("", {}, {"colour": "x"}, "task flags: unknown setting `colour`"),
        ("bench_runs = 'many'\n", {}, {}, "`bench_runs` = 'many' is not valid"),
        ("bench_runs = true\n", {}, {}, "is not valid"),
        ("", {}, {"builder": "legacy"}, "builder must be auto, buildx, buildkit or a buildx builder"),
        ("", {}, {"builder": "my builder"}, "builder must be auto, buildx, buildkit or a buildx builder"),
        ("", {}, {"installer": "poetry"}, "installer must be uv or pip"),
    ],
)
def test_bad_settings_name_the_key_and_source(
    tmp_path: Path, table: str, env: dict[str, str], flags: dict[str, str], fragment: str
) -> None:
    root = project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        config.load(root, flags, environ=env)
    assert fragment in caught.value.message


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: cannot be read as TOML"):
        config.load(tmp_path, environ={})


def test_missing_project(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope", environ={})


def test_project_from_environment(tmp_path: Path) -> None:
    assert config.load(None, environ={"DOCKYARD_PROJECT": str(tmp_path)}).project == tmp_path.resolve()


def test_python_version_follows_the_base_image(tmp_path: Path) -> None:
    assert config.load(tmp_path, environ={}).python_version == "3.11"
    assert (
        config.load(tmp_path, {"base_image": "python:3.12-slim-bookworm"}, environ={}).python_version
        == "3.12"
    )


@pytest.mark.parametrize(
    ("value", "instance"),
    [
        ("auto", None),
        ("buildx", None),
        ("buildkit", None),
        ("remote-bk", "remote-bk"),
        ("default", "default"),
    ],
)
def test_builder_names_a_buildx_instance_unless_it_is_a_kind(
    tmp_path: Path, value: str, instance: str | None
) -> None:
    s = config.load(project(tmp_path, ""), {"builder": value}, environ={})
    assert s.buildx_instance == instance


def test_platforms_from_pyproject_and_environment(tmp_path: Path) -> None:
    root = project(tmp_path, "platforms = ['linux/amd64', 'linux/arm64']\n")
    assert config.load(root, environ={}).platforms == ("linux/amd64", "linux/arm64")
    env = config.load(root, environ={"DOCKYARD_PLATFORMS": "linux/arm64"})
    assert env.platforms == ("linux/arm64",)


def test_build_args_from_pyproject_and_environment(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.dockyard.build_args]\nVERSION_TAG = "0.15.0"\n')
    assert dict(config.load(root, environ={}).build_args) == {"VERSION_TAG": "0.15.0"}
    env = {"DOCKYARD_BUILD_ARGS": '{"VERSION_TAG": "0.16.0"}'}
    assert dict(config.load(root, environ=env).build_args) == {"VERSION_TAG": "0.16.0"}
