"""What an image does when it runs, read from ``docker image inspect``: its running contract.

Entrypoint, command, environment, working directory, ports, volumes, user, labels, stop signal and
health check, as one frozen value that ``dockyard verify`` and the smoke test compare and probe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dockyard import process
from dockyard.engine import cli

EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class ExposedPort:
    number: int
    protocol: str = "tcp"

    def __str__(self) -> str:
        return f"{self.number}/{self.protocol}"


@dataclass(frozen=True, kw_only=True)
class ImageConfig:
    id: str
    tags: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    workdir: str = ""
    ports: tuple[ExposedPort, ...] = ()
    volumes: tuple[str, ...] = ()
    user: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    stop_signal: str = ""
    healthcheck: tuple[str, ...] = ()
    size: int = 0

    @property
    def argv(self) -> tuple[str, ...]:
        """What the container runs, combined as Docker combines ENTRYPOINT and CMD."""
        return (*self.entrypoint, *self.cmd)

    @property
    def tcp_ports(self) -> tuple[int, ...]:
        return tuple(sorted(p.number for p in self.ports if p.protocol == "tcp"))

    @property
    def runs_as_root(self) -> bool:
        """An empty USER, ``root``, ``0`` or ``0:...`` runs as root."""
        name = self.user.split(":", 1)[0]
        return name in ("", "root", "0")


def parse_env(items: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items or ():
        key, _, value = str(item).partition("=")
        env[key] = value
    return env


def parse_port(spec: str) -> ExposedPort:
    number, _, protocol = spec.partition("/")
    return ExposedPort(number=int(number), protocol=protocol or "tcp")


def parse(text: str) -> ImageConfig:
    """``docker image inspect REF`` (a list) or ``--format '{{json .}}'`` (one object)."""
    data = json.loads(text)
    if isinstance(data, list):
        data = data[0]
    config = data.get("Config") or {}
    return ImageConfig(
        id=str(data["Id"]),
        tags=tuple(data.get("RepoTags") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        env=MappingProxyType(parse_env(config.get("Env"))),
        workdir=str(config.get("WorkingDir") or ""),
        ports=tuple(
            sorted(
                (parse_port(p) for p in config.get("ExposedPorts") or {}),
                key=lambda p: (p.protocol, p.number),
            )
        ),
        volumes=tuple(sorted(config.get("Volumes") or {})),
        user=str(config.get("User") or ""),
        labels=MappingProxyType({str(k): str(v) for k, v in (config.get("Labels") or {}).items()}),
        stop_signal=str(config.get("StopSignal") or ""),
        healthcheck=tuple((config.get("Healthcheck") or {}).get("Test") or ()),
        size=int(data.get("Size", 0)),
    )


def inspect(docker: str, ref: str) -> ImageConfig:
    return parse(process.run(cli.image_inspect_argv(docker, ref), echo=False).stdout)
