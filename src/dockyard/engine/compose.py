"""docker compose v2 as dockyard drives it: argv builders, version checks and a background runner.

Every command is a list built by a pure function from a :class:`Stack` (which docker, which compose
files, which project name), so the tasks, the generated docs and the tests share one spelling of each
command. The project name is always passed with ``--project-name``: cleanup then finds exactly what a
stack created, whatever ``name:`` the files carry. ``--project-directory`` is never passed, so relative
paths in the files resolve against the first file's directory, as they do when a person runs compose.

What compose prints back (``config --format json``, ``ps --format json``, ``watch`` lines) is read into
frozen models by :mod:`dockyard.engine.compose_models`.
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

from dockyard import process
from dockyard.engine.compose_models import WatchEvent, parse_watch_line
from dockyard.engine.probe import compose_version_argv
from dockyard.errors import ToolMissing

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
