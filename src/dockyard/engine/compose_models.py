"""compose v2's JSON output read into frozen models: ``config``, ``ps``, ``port``, mounts and ``watch`` lines.

The unit tests feed these parsers outputs captured from compose 2.40 (``tests/data/compose/``); the
commands that produce that output are built in :mod:`dockyard.engine.compose`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.errors import DockyardError

# --- models ----------------------------------------------------------------------------------------------


class ComposeOutputError(DockyardError):
    """compose printed something dockyard cannot read (a newer format, or not JSON at all)."""


@dataclass(frozen=True, kw_only=True)
class Build:
    context: str
    dockerfile: str
    target: str | None


@dataclass(frozen=True, kw_only=True)
class PortBinding:
    target: int
    published: str | None
    host_ip: str | None
    protocol: str = "tcp"


@dataclass(frozen=True, kw_only=True)
class Mount:
    type: str
    source: str | None
    target: str
    read_only: bool


@dataclass(frozen=True, kw_only=True)
class WatchTrigger:
    action: str  # sync, sync+restart, rebuild, restart, sync+exec
    path: str  # absolute, as compose resolved it
    target: str | None
    ignore: tuple[str, ...] = ()
    include: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Healthcheck:
    test: tuple[str, ...]
    interval: str | None
    timeout: str | None
    start_period: str | None
    retries: int | None


@dataclass(frozen=True, kw_only=True)
class Service:
    name: str
    image: str | None
    build: Build | None
    command: tuple[str, ...] | None
    entrypoint: tuple[str, ...] | None
    user: str | None
    ports: tuple[PortBinding, ...]
    volumes: tuple[Mount, ...]
    watch: tuple[WatchTrigger, ...]
    healthcheck: Healthcheck | None
    environment: tuple[tuple[str, str | None], ...]
    env_files: tuple[str, ...]
    read_only: bool
    init: bool
    restart: str | None
    cap_drop: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Project:
    """``docker compose config``: the merged, interpolated model compose will run."""

    name: str
    services: tuple[Service, ...]
    networks: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)


def _argv(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(part) for part in value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value or ())


_PORT_PART = re.compile(r"(?:\$\{[^}]*\}|[^:])+")


def _port(entry: Any) -> PortBinding:
    """A long-syntax port (interpolated output) or a short one (``--no-interpolate`` keeps ``${...}``)."""
    if isinstance(entry, Mapping):
        published = entry.get("published")
        return PortBinding(
            target=int(entry["target"]),
            published=None if published is None else str(published),
            host_ip=entry.get("host_ip"),
            protocol=entry.get("protocol", "tcp"),
        )
    spec, _, protocol = str(entry).partition("/")
    parts = _PORT_PART.findall(spec)
    host_ip = parts[-3] if len(parts) >= 3 else None
    published = parts[-2] if len(parts) >= 2 else None
    return PortBinding(
        target=int(parts[-1]), published=published, host_ip=host_ip, protocol=protocol or "tcp"
    )


def _service(name: str, data: Mapping[str, Any]) -> Service:
    build = data.get("build")
    health = data.get("healthcheck")
    watch = (data.get("develop") or {}).get("watch") or ()
    environment = data.get("environment") or {}
    return Service(
        name=name,
        image=data.get("image"),
        build=(
            Build(
                context=build["context"],
                dockerfile=build.get("dockerfile", "Dockerfile"),
                target=build.get("target"),
            )
            if build
            else None
        ),
        command=_argv(data.get("command")),
        entrypoint=_argv(data.get("entrypoint")),
        user=data.get("user"),
        ports=tuple(map(_port, data.get("ports") or ())),
        volumes=tuple(
            Mount(
                type=volume["type"],
                source=volume.get("source"),
                target=volume["target"],
                read_only=bool(volume.get("read_only", False)),
            )
            for volume in data.get("volumes") or ()
        ),
        watch=tuple(
            WatchTrigger(
                action=trigger["action"],
                path=trigger["path"],
                target=trigger.get("target") or None,
                ignore=_strings(trigger.get("ignore")),
                include=_strings(trigger.get("include")),
            )
            for trigger in watch
        ),
        healthcheck=(
            Healthcheck(
                test=_argv(health.get("test")) or (),
                interval=health.get("interval"),
                timeout=health.get("timeout"),
                start_period=health.get("start_period"),
                retries=health.get("retries"),
            )
            if health and not health.get("disable")
            else None
        ),
        environment=tuple(sorted((str(k), None if v is None else str(v)) for k, v in environment.items())),
        env_files=tuple(
            str(entry["path"] if isinstance(entry, Mapping) else entry)
            for entry in data.get("env_file") or ()
        ),
        read_only=bool(data.get("read_only", False)),
        init=bool(data.get("init", False)),
        restart=data.get("restart"),
        cap_drop=_strings(data.get("cap_drop")),
    )


def parse_config(text: str) -> Project:
    """Parse ``docker compose config --format json``, with or without ``--no-interpolate``."""
    try:
        data = json.loads(text)
        return Project(
            name=data["name"],
            services=tuple(_service(name, body) for name, body in sorted(data["services"].items())),
            networks=tuple(sorted(data.get("networks") or ())),
            volumes=tuple(sorted(data.get("volumes") or ())),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ComposeOutputError(
            f"cannot read `docker compose config --format json` output ({type(exc).__name__}: {exc})",
            hint="check `docker compose version` (dockyard reads compose 2.24 and newer)",
        ) from exc


@dataclass(frozen=True, kw_only=True)
class Publisher:
    url: str
    target_port: int
    published_port: int
    protocol: str


@dataclass(frozen=True, kw_only=True)
class Container:
    """One line of ``docker compose ps --format json``."""

    id: str
    name: str
    service: str
    project: str
    state: str  # created, running, restarting, exited, ...
    health: str  # "", starting, healthy, unhealthy
    exit_code: int
    publishers: tuple[Publisher, ...] = ()

    @property
    def healthy(self) -> bool:
        return self.state == "running" and self.health == "healthy"

    def published_port(self, target: int) -> int | None:
        for publisher in self.publishers:
            if publisher.target_port == target and publisher.published_port:
                return publisher.published_port
        return None


def _container(data: Mapping[str, Any]) -> Container:
    return Container(
        id=data["ID"],
        name=data["Name"],
        service=data["Service"],
        project=data.get("Project", ""),
        state=data["State"],
        health=data.get("Health", ""),
        exit_code=int(data.get("ExitCode", 0)),
        publishers=tuple(
            Publisher(
                url=p.get("URL", ""),
                target_port=int(p["TargetPort"]),
                published_port=int(p.get("PublishedPort", 0)),
                protocol=p.get("Protocol", "tcp"),
            )
            for p in data.get("Publishers") or ()
        ),
    )


def parse_ps(text: str) -> tuple[Container, ...]:
    """Parse ``docker compose ps --format json``: one object a line (2.21+) or one array (before)."""
    stripped = text.strip()
    try:
        if not stripped:
            return ()
        if stripped.startswith("["):
            items = json.loads(stripped)
        else:
            items = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        return tuple(_container(item) for item in items)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ComposeOutputError(
            f"cannot read `docker compose ps --format json` output ({type(exc).__name__}: {exc})"
        ) from exc


def parse_port(text: str) -> tuple[str, int]:
    """``docker compose port`` prints "127.0.0.1:49153" (or "[::1]:49153")."""
    host, _, port = text.strip().splitlines()[0].rpartition(":") if text.strip() else ("", "", "")
    if not port.isdigit():
        raise ComposeOutputError(f"cannot read `docker compose port` output: {text.strip()!r}")
    return host.strip("[]"), int(port)


def parse_mount_volumes(text: str) -> tuple[str, ...]:
    """Names of the volumes in ``docker container inspect --format '{{json .Mounts}}'`` (a line each)."""
    names: list[str] = []
    for line in text.splitlines():
        if line.strip():
            names += [m["Name"] for m in json.loads(line) if m.get("Type") == "volume" and m.get("Name")]
    return tuple(names)


# --- what `watch` prints ------------------------------------------------------------------------------

_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("enabled", re.compile(r"Watch enabled")),
    ("disabled", re.compile(r"Watch disabled")),
    (
        "sync",
        re.compile(
            r"Syncing service \"(?P<service>[^\"]+)\" after (?P<count>\d+) changes? (?:were|was) detected"
        ),
    ),
    (
        "rebuild",
        re.compile(r"Rebuilding service\(s\) \[\"?(?P<service>[^\]\"]+)\"?\] after changes were detected"),
    ),
    ("built", re.compile(r"service\(s\) \[\"?(?P<service>[^\]\"]+)\"?\] successfully built")),
    ("restarted", re.compile(r"service\(s\) \[\"?(?P<service>[^\]\"]+)\"?\] restarted")),
    (
        "error",
        re.compile(
            r"copying files to \S+: .*|Error handling changed files.*|none of the selected services.*"
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class WatchEvent:
    kind: str  # enabled, disabled, sync, rebuild, built, restarted, error
    text: str
    service: str | None = None
    count: int | None = None


def parse_watch_line(line: str) -> WatchEvent | None:
    """The event a line of ``docker compose watch`` output reports, or None for build and other noise."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    for kind, pattern in _EVENTS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            count = groups.get("count")
            return WatchEvent(
                kind=kind, text=text, service=groups.get("service"), count=int(count) if count else None
            )
    return None


# --- a long-running compose command in the background ---------------------------------------------------
