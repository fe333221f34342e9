"""The image contract parsed from real ``docker image inspect`` output (tests/data/engine)."""

from __future__ import annotations

from pathlib import Path

from dockyard.engine.image_config import ExposedPort, parse


def test_service_image(data_dir: Path) -> None:
    image = parse((data_dir / "engine" / "inspect-service.json").read_text())
    assert image.id.startswith("sha256:")
    assert image.entrypoint == ("python3", "-m", "http.server") and image.cmd == ("8080",)
    assert image.argv == ("python3", "-m", "http.server", "8080")
    assert image.env["APP_MODE"] == "prod" and image.env["LOG_LEVEL"] == "info"
    assert image.env["PATH"].startswith("/usr/local/sbin:")
    assert image.workdir == "/srv/app"
    assert image.ports == (ExposedPort(number=8080), ExposedPort(number=9000, protocol="udp"))
    assert image.tcp_ports == (8080,)
    assert image.volumes == ("/data",)
    assert image.user == "svc" and not image.runs_as_root
    assert image.labels == {"org.example.role": "web"}
    assert image.stop_signal == "SIGINT"
    assert image.healthcheck == ("CMD", "python3", "-c", "print(1)")


def test_base_image_has_nulls_for_what_it_does_not_set(data_dir: Path) -> None:
    image = parse((data_dir / "engine" / "inspect-python-base.json").read_text())
    assert image.entrypoint == () and image.cmd == ("python3",)
    assert image.ports == () and image.volumes == () and image.labels == {}
    assert image.workdir == "" and image.user == "" and image.runs_as_root
