"""docker compose argv builders and parsers, against outputs captured from compose 2.40.3."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dockyard.engine import compose, compose_models
from dockyard.errors import DockyardError, ToolMissing

STACK = compose.Stack(
    docker="docker",
    project_name="svc-dev",
    files=(Path("/p/docker/compose.yaml"), Path("/p/docker/compose.dev.yaml")),
)
BASE = ["docker", "compose", "--project-name", "svc-dev", "--file", "/p/docker/compose.yaml",
        "--file", "/p/docker/compose.dev.yaml"]  # fmt: skip
CAPTURE = "/tmp/capture/inference-service"


@pytest.fixture
def data(data_dir: Path) -> Path:
    return data_dir / "compose"


# --- argv -------------------------------------------------------------------------------------------


def test_every_command_names_the_project_and_the_files_in_order() -> None:
    assert compose.base_argv(STACK) == BASE
    assert compose.config_argv(STACK) == [*BASE, "config", "--format", "json"]
    assert compose.config_argv(STACK, interpolate=False)[-1] == "--no-interpolate"


def test_up_waits_for_health_and_builds() -> None:
    assert compose.up_argv(STACK) == [*BASE, "up", "--detach", "--build", "--wait"]
    assert compose.up_argv(STACK, build=False, wait_timeout=60) == [
        *BASE, "up", "--detach", "--wait", "--wait-timeout", "60"
    ]  # fmt: skip
    assert compose.up_argv(STACK, wait=False, wait_timeout=60) == [*BASE, "up", "--detach", "--build"]


def test_down_removes_volumes_and_orphans_and_on_request_the_images() -> None:
    assert compose.down_argv(STACK) == [*BASE, "down", "--volumes", "--remove-orphans"]
    assert compose.down_argv(STACK, remove_images=True)[-2:] == ["--rmi", "local"]


def test_watch_logs_exec_ps_port() -> None:
    assert compose.watch_argv(STACK) == [*BASE, "watch"]
    assert compose.watch_argv(STACK, no_up=True) == [*BASE, "watch", "--no-up"]
    assert compose.logs_argv(STACK, follow=True, tail=50) == [*BASE, "logs", "--follow", "--tail", "50"]
    assert compose.exec_argv(STACK, "app", ["pytest", "-q"], user="10001") == [
        *BASE, "exec", "--no-TTY", "--user", "10001", "app", "pytest", "-q"
    ]  # fmt: skip
    assert compose.ps_argv(STACK) == [*BASE, "ps", "--all", "--format", "json"]
    assert compose.port_argv(STACK, "app", 8000) == [*BASE, "port", "app", "8000"]


def test_a_standalone_plugin_runs_without_the_docker_cli() -> None:
    stack = compose.Stack(docker="docker", project_name="x", files=(Path("c.yaml"),), plugin="/bin/dc")
    assert compose.base_argv(stack) == ["/bin/dc", "--project-name", "x", "--file", "c.yaml"]


def test_leftover_listings_filter_on_the_project_label() -> None:
    label = ["--filter", "label=com.docker.compose.project=svc-dev"]
    assert compose.labelled_argv("docker", "container", "svc-dev") == [
        "docker", "ps", "--all", *label, "--format", "{{.ID}}"
    ]  # fmt: skip
    assert compose.labelled_argv("docker", "network", "svc-dev") == [
        "docker", "network", "ls", *label, "--format", "{{.ID}}"
    ]  # fmt: skip
    assert compose.labelled_argv("docker", "volume", "svc-dev") == [
        "docker", "volume", "ls", *label, "--format", "{{.Name}}"
    ]  # fmt: skip


# --- compose v2 itself --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2.40.3", (2, 40)), ("v2.23.3-desktop.2", (2, 23)), ("1.29.2", (1, 29)), ("", (0, 0)), ("dev", (0, 0))],
)
def test_version_tuple(text: str, expected: tuple[int, int]) -> None:
    assert compose.version_tuple(text) == expected


def test_require_v2_returns_the_captured_version(fake_process, data: Path) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], stdout=(data / "version.json").read_text())
    assert compose.require_v2("docker") == "2.40.3"


def test_require_v2_refuses_an_old_v2(fake_process) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], stdout='{"version":"v2.20.2"}')
    with pytest.raises(ToolMissing, match=r"2\.20\.2 is too old.*2\.24") as caught:
        compose.require_v2("docker")
    assert "cli-plugins" in (caught.value.hint or "")


def test_require_v2_names_a_v1_it_found(fake_process, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(
        ["docker", "compose", "version"], returncode=1, stderr="'compose' is not a docker command"
    )
    fake_process.on(["/usr/bin/docker-compose", "version", "--short"], stdout="1.29.2\n")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/docker-compose")
    with pytest.raises(ToolMissing, match=r"`docker compose` \(Compose v2\) is not installed.*1\.29\.2.*v1"):
        compose.require_v2("docker")


def test_require_v2_without_any_compose(fake_process, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], returncode=1)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match="not installed") as caught:
        compose.require_v2("docker")
    assert "v1" not in caught.value.message
    assert "docker-compose-plugin" in (caught.value.hint or "")


def test_the_compose_plugin_path_from_docker_info(data: Path) -> None:
    text = (data / "info-plugins.json").read_text()
    assert compose.parse_plugin_path(text) == "/root/.docker/cli-plugins/docker-compose"
    assert compose.parse_plugin_path(text, "buildx") is None
    assert compose.parse_plugin_path("Error: no daemon\n") is None


def test_standalone_falls_back_to_docker_compose(fake_process) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "info"], returncode=1, stdout="null")
    assert compose.standalone(STACK) == STACK
    fake_process.on(["docker", "info"], stdout='[{"Name":"compose","Path":"/x/docker-compose"}]')
    assert compose.standalone(STACK).plugin == "/x/docker-compose"


# --- config -------------------------------------------------------------------------------------------


def test_parse_the_dev_config(data: Path) -> None:
    project = compose_models.parse_config((data / "config-dev.json").read_text())
    assert project.name == "inference-service-dev"
    assert project.networks == ("default",)
    app = project.service("app")
    assert app.build == compose_models.Build(context=CAPTURE, dockerfile="docker/Dockerfile", target="dev")
    assert app.user == "root"
    assert app.entrypoint == ("setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "--")
    assert app.command is not None and app.command[0] == "uvicorn" and app.command[-1] == "--reload"
    assert app.cap_drop == ()  # `!reset []` emptied the production file's ALL
    assert not app.read_only
    assert app.init
    assert app.restart == "no"
    assert app.ports == (compose_models.PortBinding(target=8000, published="8000", host_ip="127.0.0.1"),)
    assert app.volumes == (
        compose_models.Mount(type="bind", source=f"{CAPTURE}/tests", target="/app/tests", read_only=True),
    )
    actions = [(t.action, t.path.removeprefix(CAPTURE + "/"), t.target) for t in app.watch]
    assert actions == [
        ("sync+restart", "config", "/app/config"),
        ("sync", "inference_service", "/app/inference_service"),
        ("rebuild", "requirements/base.txt", None),
        ("rebuild", "requirements/ml.txt", None),
        ("rebuild", "requirements/dev.txt", None),
        ("rebuild", "requirements/test.txt", None),
        ("rebuild", "docker/Dockerfile", None),
        ("rebuild", ".dockerignore", None),
    ]
    assert "**/__pycache__" in app.watch[1].ignore
    assert app.healthcheck is not None and app.healthcheck.test[:2] == ("CMD", "python")


def test_parse_the_production_config(data: Path) -> None:
    app = compose_models.parse_config((data / "config-production.json").read_text()).service("app")
    assert app.build is not None and app.build.target == "runtime"
    assert app.read_only and app.cap_drop == ("ALL",)
    assert app.restart == "unless-stopped"
    assert app.user is None and app.watch == () and app.volumes == ()
    assert app.healthcheck == compose_models.Healthcheck(
        test=app.healthcheck.test if app.healthcheck else (),
        interval="10s",
        timeout="3s",
        start_period="20s",
        retries=3,
    )


def test_parse_the_files_as_written(data: Path) -> None:
    """--no-interpolate keeps the short port syntax with its variables, and an absent .env file."""
    app = compose_models.parse_config((data / "config-dev-as-written.json").read_text()).service("app")
    assert app.ports == (
        compose_models.PortBinding(
            target=8000, published="${APP_PORT:-8000}", host_ip="${APP_BIND:-127.0.0.1}"
        ),
    )
    assert app.env_files == (f"{CAPTURE}/.env",)
    interpolated = compose_models.parse_config((data / "config-dev.json").read_text()).service("app")
    assert interpolated.env_files == ()  # compose drops an optional env file that does not exist


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8000", compose_models.PortBinding(target=8000, published=None, host_ip=None)),
        ("9000:8000", compose_models.PortBinding(target=8000, published="9000", host_ip=None)),
        (
            "127.0.0.1:9000:8000/udp",
            compose_models.PortBinding(target=8000, published="9000", host_ip="127.0.0.1", protocol="udp"),
        ),
    ],
)
def test_short_port_syntax(spec: str, expected: compose_models.PortBinding) -> None:
    text = json.dumps({"name": "x", "services": {"a": {"ports": [spec]}}})
    assert compose_models.parse_config(text).service("a").ports == (expected,)


def test_unreadable_config_is_an_expected_error() -> None:
    with pytest.raises(DockyardError, match="cannot read `docker compose config"):
        compose_models.parse_config('{"services": {}}')
    with pytest.raises(DockyardError):
        compose_models.parse_config("not json")


# --- ps, port, mounts -----------------------------------------------------------------------------------


def test_parse_ps_of_a_healthy_dev_stack(data: Path) -> None:
    (container,) = compose_models.parse_ps((data / "ps-running.json").read_text())
    assert container.service == "app"
    assert container.project == "inference-service-dev"
    assert container.name == "inference-service-dev-app-1"
    assert container.healthy
    assert container.published_port(8000) == 18770
    assert container.published_port(9999) is None


def test_parse_ps_reads_the_older_array_format_and_nothing(data: Path) -> None:
    lines = (data / "ps-running.json").read_text().splitlines()
    as_array = "[" + ",".join(lines) + "]"  # compose before 2.21 printed one array
    assert compose_models.parse_ps(as_array) == compose_models.parse_ps("\n".join(lines))
    assert compose_models.parse_ps((data / "ps-empty.txt").read_text()) == ()
    with pytest.raises(DockyardError):
        compose_models.parse_ps('{"ID": "x"}')


def test_parse_port(data: Path) -> None:
    assert compose_models.parse_port((data / "port.txt").read_text()) == ("127.0.0.1", 18770)
    assert compose_models.parse_port("[::1]:8000\n") == ("::1", 8000)
    with pytest.raises(DockyardError):
        compose_models.parse_port("")


def test_anonymous_volumes_from_container_mounts(data: Path) -> None:
    assert compose_models.parse_mount_volumes((data / "mounts.txt").read_text()) == ()
    (name,) = compose_models.parse_mount_volumes((data / "mounts-anonymous-volume.txt").read_text())
    assert len(name) == 64


# --- watch output -------------------------------------------------------------------------------------


def test_watch_events_in_a_real_session(data: Path) -> None:
    lines = (data / "watch.log").read_text().splitlines()
    events = [e for e in map(compose_models.parse_watch_line, lines) if e is not None]
    assert [e.kind for e in events] == ["enabled", "sync", "restarted", "sync", "rebuild", "built"]
    assert events[1].service == "app" and events[1].count == 3
    assert events[4].service == "app"


def test_the_ownership_failure_is_an_error_event(data: Path) -> None:
    lines = (data / "watch-getent-error.log").read_text().splitlines()
    errors = [e for e in map(compose_models.parse_watch_line, lines) if e is not None and e.kind == "error"]
    assert len(errors) == 1
    assert 'getent unable to find entry \\"10001:10001\\"' in errors[0].text


def test_build_output_is_not_an_event() -> None:
    assert compose_models.parse_watch_line("#14 naming to docker.io/library/x done") is None
    assert compose_models.parse_watch_line(" Container x-app-1  Started") is None
    assert compose_models.parse_watch_line("") is None


# --- background -------------------------------------------------------------------------------------------


def test_background_collects_output_and_ends(fake_process, data: Path) -> None:  # type: ignore[no-untyped-def]
    fake_process.on([*BASE, "watch"], stdout=(data / "watch.log").read_text())
    with compose.background(compose.watch_argv(STACK)) as output:
        enabled = output.wait_for(lambda e: e.kind == "enabled", timeout=5)
        assert enabled is not None
        assert (
            output.wait_for(lambda e: e.kind == "never", timeout=5) is None
        )  # returns once the output ended
    assert output.done
    assert any("Watch enabled" in line for line in output.snapshot())


def test_background_passes_errors_through(fake_process) -> None:  # type: ignore[no-untyped-def]
    fake_process.on([*BASE, "watch"], stdout="Watch enabled\n")
    with pytest.raises(RuntimeError, match="boom"), compose.background(compose.watch_argv(STACK)):
        raise RuntimeError("boom")
