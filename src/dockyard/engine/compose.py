"""docker compose v2 as dockyard drives it: argv builders, parsers of its JSON, and a background runner.

Every command is a list built by a pure function from a :class:`Stack` (which docker, which compose
files, which project name), so the tasks, the generated docs and the tests share one spelling of each
command. The project name is always passed with ``--project-name``: cleanup then finds exactly what a
stack created, whatever ``name:`` the files carry. ``--project-directory`` is never passed, so relative
paths in the files resolve against the first file's directory, as they do when a person runs compose.

Parsers turn ``config --format json``, ``ps --format json`` and the lines ``watch`` prints into small
frozen models; the unit tests feed them outputs captured from compose 2.40 (``tests/data/compose/``).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard import process
from dockyard.engine.probe import compose_version_argv
from dockyard.errors import DockyardError, ToolMissing

#: develop.watch appeared in 2.22; env_file ``required:`` and the ``!reset`` tag, which the dev override
#: uses, in 2.24.
MIN_VERSION = (2, 24)
PROJECT_LABEL = "com.docker.compose.project"
INSTALL_HINT = (
    "install the Compose v2 plugin: `apt-get install docker-compose-plugin` from Docker's apt repository, "
    "Docker Desktop, or the `docker-compose` binary of a v2 release (https://github.com/docker/compose/"
    "releases) copied to ~/.docker/cli-plugins/docker-compose; `docker compose version` must then print "
    f"v{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer"
)


@dataclass(frozen=True, kw_only=True)
class Stack:
    """One compose project: the docker executable, the files (merged in order) and the project name.

    ``plugin`` runs the compose plugin's own executable instead of ``docker compose``: docker CLIs
    before 23 pass no signal on to a plugin, so terminating ``docker compose watch`` would leave the
    plugin watching on its own (see :func:`standalone`).
    """

    docker: str
    project_name: str
    files: tuple[Path, ...]
    plugin: str | None = None


# --- argv builders -----------------------------------------------------------------------------------


def base_argv(stack: Stack) -> list[str]:
    command = [stack.plugin] if stack.plugin else [stack.docker, "compose"]
    argv = [*command, "--project-name", stack.project_name]
    for path in stack.files:
        argv += ["--file", str(path)]
    return argv


def config_argv(stack: Stack, *, interpolate: bool = True) -> list[str]:
    argv = [*base_argv(stack), "config", "--format", "json"]
    return argv if interpolate else [*argv, "--no-interpolate"]


def up_argv(
    stack: Stack, *, build: bool = True, wait: bool = True, wait_timeout: int | None = None
) -> list[str]:
    argv = [*base_argv(stack), "up", "--detach"]
    if build:
        argv.append("--build")
    if wait:
        argv.append("--wait")
    if wait and wait_timeout is not None:
        argv += ["--wait-timeout", str(wait_timeout)]
    return argv


def watch_argv(stack: Stack, *, no_up: bool = False) -> list[str]:
    """Build and start the stack, then sync, restart or rebuild as files change (runs until stopped)."""
    argv = [*base_argv(stack), "watch"]
    return [*argv, "--no-up"] if no_up else argv


def down_argv(stack: Stack, *, remove_images: bool = False) -> list[str]:
    """Stop and remove the containers, networks, named and anonymous volumes (and orphans)."""
    argv = [*base_argv(stack), "down", "--volumes", "--remove-orphans"]
    return [*argv, "--rmi", "local"] if remove_images else argv


def logs_argv(stack: Stack, *, follow: bool = False, tail: int | None = None) -> list[str]:
    argv = [*base_argv(stack), "logs"]
    if follow:
        argv.append("--follow")
    if tail is not None:
        argv += ["--tail", str(tail)]
    return argv


def exec_argv(stack: Stack, service: str, command: Sequence[str], *, user: str | None = None) -> list[str]:
    """Run a command in the service's running container, without a TTY (output is captured)."""
    argv = [*base_argv(stack), "exec", "--no-TTY"]
    if user is not None:
        argv += ["--user", user]
    return [*argv, service, *command]


def ps_argv(stack: Stack) -> list[str]:
    return [*base_argv(stack), "ps", "--all", "--format", "json"]


def port_argv(stack: Stack, service: str, port: int) -> list[str]:
    return [*base_argv(stack), "port", service, str(port)]


def container_image_argv(docker: str, container: str) -> list[str]:
    """The ID of the image a container was created from."""
    return [docker, "container", "inspect", "--format", "{{.Image}}", container]


def container_mounts_argv(docker: str, containers: Sequence[str]) -> list[str]:
    return [docker, "container", "inspect", "--format", "{{json .Mounts}}", *containers]


def labelled_argv(docker: str, kind: str, project_name: str) -> list[str]:
    """Containers, networks or volumes carrying a compose project's label, one ID or name a line."""
    listing = {"container": ["ps", "--all"], "network": ["network", "ls"], "volume": ["volume", "ls"]}[kind]
    column = "{{.Name}}" if kind == "volume" else "{{.ID}}"
    return [docker, *listing, "--filter", f"label={PROJECT_LABEL}={project_name}", "--format", column]


def volume_names_argv(docker: str) -> list[str]:
    return [docker, "volume", "ls", "--format", "{{.Name}}"]


def plugins_argv(docker: str) -> list[str]:
    return [docker, "info", "--format", "{{json .ClientInfo.Plugins}}"]


def parse_plugin_path(text: str, name: str = "compose") -> str | None:
    """The executable of CLI plugin ``name`` in ``docker info --format '{{json .ClientInfo.Plugins}}'``."""
    for line in text.splitlines():
        try:
            plugins = json.loads(line)
        except ValueError:
            continue
        for plugin in plugins if isinstance(plugins, list) else ():
            if isinstance(plugin, dict) and plugin.get("Name") == name and plugin.get("Path"):
                return str(plugin["Path"])
    return None


def standalone(stack: Stack) -> Stack:
    """``stack`` run through the compose plugin's executable, when the docker CLI can say where it is.

    For long-running commands that dockyard stops itself (watch): the plugin then gets the signal.
    """
    result = process.run(plugins_argv(stack.docker), check=False, echo=False, timeout=60)
    path = parse_plugin_path(result.stdout)
    return dataclasses.replace(stack, plugin=path) if path else stack


# --- compose v2 itself ----------------------------------------------------------------------------------


def version_tuple(version: str) -> tuple[int, int]:
    """(major, minor) of "2.40.3", "v2.23.3-desktop.2"; (0, 0) when unreadable."""
    match = re.match(r"v?(\d+)\.(\d+)", version.strip())
    return (int(match[1]), int(match[2])) if match else (0, 0)


def installed_version(docker: str) -> str | None:
    """The version of ``docker compose`` (the v2 plugin), or None when the client has none."""
    try:
        result = process.run(compose_version_argv(docker), check=False, timeout=30, echo=False)
    except ToolMissing:
        return None
    if result.returncode != 0:
        return None
    try:
        return str(json.loads(result.stdout)["version"]).lstrip("v")
    except (ValueError, KeyError, TypeError):
        return None


def legacy_version() -> str | None:
    """The version of a standalone ``docker-compose`` (v1, or a v2 binary not installed as a plugin)."""
    exe = shutil.which("docker-compose")
    if exe is None:
        return None
    result = process.run([exe, "version", "--short"], check=False, timeout=30, echo=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def require_v2(docker: str) -> str:
    """The compose version, or :class:`ToolMissing` saying what is there and what to install."""
    version = installed_version(docker)
    if version is not None and version_tuple(version) >= MIN_VERSION:
        return version
    wanted = f"{MIN_VERSION[0]}.{MIN_VERSION[1]}"
    if version is not None:
        message = (
            f"docker compose {version} is too old: the dev stack needs {wanted} or newer "
            "(develop.watch arrived in 2.22, env_file `required:` and `!reset` in 2.24)"
        )
    else:
        message = f"`{docker} compose` (Compose v2) is not installed; the dev stack's develop.watch needs it"
        legacy = legacy_version()
        if legacy is not None and version_tuple(legacy) < (2, 0):
            message += f". `docker-compose` {legacy} was found, but that is Compose v1, which has no watch"
    raise ToolMissing(message, hint=INSTALL_HINT)


# --- parsing ----------------------------------------------------------------------------------------------


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


class _Stop(Exception):
    """Leaves process.stream's block so that it terminates the command instead of waiting for its end."""


@dataclass
class LiveOutput:
    """The lines a background command printed so far; thread-safe, and ``done`` once it ended."""

    lines: list[str] = field(default_factory=list)
    done: bool = False
    returncode: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def events(self) -> list[WatchEvent]:
        return [event for event in map(parse_watch_line, self.snapshot()) if event is not None]

    def wait_for(
        self, predicate: Callable[[WatchEvent], bool], *, timeout: float, poll: float = 0.1
    ) -> WatchEvent | None:
        """The first event matching ``predicate`` (seen already or arriving within ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events():
                if predicate(event):
                    return event
            if self.done or time.monotonic() >= deadline:
                return None
            time.sleep(poll)


@contextmanager
def background(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> Iterator[LiveOutput]:
    """Run ``argv`` while the block runs, collecting its output; the command is terminated on leaving."""
    output = LiveOutput()
    reader: threading.Thread | None = None

    def consume(lines: Iterator[str]) -> None:
        try:
            for line in lines:
                output.add(line)
        except ValueError:  # the pipe was closed under us when the command was terminated
            pass
        finally:
            output.done = True

    handle: process.Streamed | None = None
    try:
        with process.stream(argv, env=env) as handle:
            reader = threading.Thread(target=consume, args=(handle.lines,), daemon=True)
            reader.start()
            yield output
            raise _Stop
    except _Stop:
        pass
    finally:
        if reader is not None:
            reader.join(timeout=10)
        output.done = True
        output.returncode = None if handle is None else handle.returncode
