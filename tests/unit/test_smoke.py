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


def test_a_known_server_without_a_port_gets_its_default_port(tmp_path: Path) -> None:
    probe = plan_probe(image(cmd=("uvicorn", "app:app")), settings(tmp_path))
    assert (probe.port, probe.path, probe.strict) == (8000, "/", False)
    assert probe.reason.startswith("its command runs uvicorn, whose default port is 8000")
    probe = plan_probe(image(cmd=("sh", "-c", "flask --app web run --host 0.0.0.0")), settings(tmp_path))
    assert probe.port == 5000
    probe = plan_probe(image(cmd=("python", "manage.py", "runserver")), settings(tmp_path))
    assert probe.port == 8000


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


def test_settings_know_what_was_given(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dockyard]\nhealth_path = "/ready"\nsmoke_probe = "--version -q"\n'
    )
    loaded = config.load(tmp_path, {"app_port": None}, environ={"DOCKYARD_APP_PORT": "9000"})
    assert loaded.is_set("health_path") and loaded.is_set("app_port") and loaded.is_set("smoke_probe")
    assert not loaded.is_set("installer") and not loaded.is_set("cache_dir")
    assert loaded.smoke_probe == ("--version", "-q")
    assert not config.load(tmp_path / "..", environ={}).is_set("app_port")


def test_a_container_that_does_not_start_is_a_failed_smoke_test_and_is_removed(fake_process) -> None:  # type: ignore[no-untyped-def]
    from dockyard.smoke import Probe, run_probe

    fake_process.on(["docker", "run"], returncode=125, stderr="exec: uvicorn: not found")
    fake_process.on(["docker", "port"], returncode=1)
    fake_process.on(["docker", "logs"], stdout="")
    fake_process.on(["docker", "rm"])
    result = run_probe("docker", "img", Probe(kind="network", reason="", port=8000))
    assert not result.ok and result.detail == "the container did not start"
    assert "uvicorn: not found" in result.output
    assert fake_process.calls[-1][:4] == ("docker", "rm", "--force", "--volumes")


def test_a_command_probe_reports_the_exit_code(fake_process) -> None:  # type: ignore[no-untyped-def]
    from dockyard.smoke import Probe, run_probe

    fake_process.on(["docker", "run"], returncode=2, stdout="usage: tool\n", stderr="tool: error: bad\n")
    fake_process.on(["docker", "rm"])
    result = run_probe("docker", "img", Probe(kind="command", reason="", argv=("tool", "--help")))
    assert not result.ok and result.exit_code == 2 and result.detail == "exit code 2"
    assert result.summary == "tool --help exited 2 (2 lines of output): exit code 2"
