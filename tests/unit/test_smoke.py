"""Which smoke probe an image gets, decided from its configuration and the settings."""

from __future__ import annotations

from pathlib import Path

from dockyard import config
from dockyard.engine.image_config import ExposedPort, ImageConfig, parse
from dockyard.smoke import command_with, health_path_in, plan_probe, port_in_argv, run_command_argv


def settings(tmp_path: Path, **flags: object) -> config.Settings:
    return config.load(tmp_path, flags, environ={})


def image(**kw: object) -> ImageConfig:
    return ImageConfig(id="sha256:x", **kw)  # type: ignore[arg-type]


def test_exposed_port_any_http_answer(tmp_path: Path, data_dir: Path) -> None:
    service = parse((data_dir / "engine" / "inspect-service.json").read_text())
    probe = plan_probe(service, settings(tmp_path))
    assert (probe.kind, probe.port, probe.path, probe.strict) == ("network", 8080, "/", False)
    assert "exposes 8080/tcp" in probe.reason


def test_no_port_is_a_command_run_with_help(tmp_path: Path) -> None:
    probe = plan_probe(image(entrypoint=("mytool",), cmd=("serve",)), settings(tmp_path))
    assert probe.kind == "command" and probe.argv == ("mytool", "--help")
    probe = plan_probe(image(cmd=("python", "-m", "pkg")), settings(tmp_path, smoke_probe=["--version"]))
    assert probe.argv == ("python", "-m", "pkg", "--version")


def test_app_port_zero_forces_a_command_even_with_expose(tmp_path: Path) -> None:
    probe = plan_probe(image(cmd=("tool",), ports=(ExposedPort(number=80),)), settings(tmp_path, app_port=0))
    assert probe.kind == "command" and "app_port = 0" in probe.reason


def test_port_from_the_command_line(tmp_path: Path) -> None:
    probe = plan_probe(image(cmd=("gunicorn", "-b", "0.0.0.0:5000", "app:app")), settings(tmp_path))
    assert (probe.kind, probe.port, probe.strict) == ("network", 5000, False)


def test_server_with_nothing_known_falls_back_to_8000_and_health(tmp_path: Path) -> None:
    probe = plan_probe(image(cmd=("uvicorn", "app:app")), settings(tmp_path))
    assert (probe.port, probe.path, probe.strict) == (8000, "/health", True)


def test_healthcheck_path_is_known_and_strict(tmp_path: Path) -> None:
    check = (
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')",
    )
    probe = plan_probe(image(ports=(ExposedPort(number=8000),), healthcheck=check), settings(tmp_path))
    assert (probe.path, probe.strict) == ("/health", True)
    assert health_path_in(check, 9000) is None


def test_configured_health_path_is_strict(tmp_path: Path) -> None:
    probe = plan_probe(image(ports=(ExposedPort(number=80),)), settings(tmp_path, health_path="/ready"))
    assert (probe.port, probe.path, probe.strict) == (80, "/ready", True)


def test_port_in_argv_forms() -> None:
    assert port_in_argv(["uvicorn", "a:b", "--port", "8001"]) == 8001
    assert port_in_argv(["uvicorn", "a:b", "--port=8002"]) == 8002
    assert port_in_argv(["gunicorn", "--bind=0.0.0.0:8003", "a:b"]) == 8003
    assert port_in_argv(["sh", "-c", "python manage.py runserver 0.0.0.0:8004"]) == 8004
    assert port_in_argv(["streamlit", "run", "x.py", "--server.port", "8501"]) == 8501
    assert port_in_argv(["mytool", "run", "pkg.mod:main"]) is None


def test_shell_form_gets_the_probe_inside_its_script() -> None:
    shell = image(entrypoint=("/bin/sh", "-c", "exec mytool"))
    assert command_with(shell, ["--help"]) == ("/bin/sh", "-c", "exec mytool --help")


def test_command_run_replaces_the_entrypoint_without_network() -> None:
    argv = run_command_argv("docker", "img", name="n", argv=("mytool", "--help"))
    assert argv == [
        "docker",
        "run",
        "--name",
        "n",
        "--network",
        "none",
        "--entrypoint",
        "mytool",
        "img",
        "--help",
    ]
