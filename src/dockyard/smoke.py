"""Smoke tests that fit what the image is: a command-line program runs its command with ``--help``
(or the ``smoke_probe`` setting); a network service is probed on its port, over HTTP when it speaks
HTTP, else by a TCP connect. Containers run on loopback and are removed afterwards.
"""

from __future__ import annotations

import http.client
import json
import re
import shlex
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dockyard import process
from dockyard.config import Settings
from dockyard.engine import Engine
from dockyard.engine import cli as docker_cli
from dockyard.engine.image_config import ImageConfig, inspect
from dockyard.errors import DockyardError

Kind = Literal["command", "network"]

#: Programs that serve a port, and the port each listens on when its arguments name none.
SERVER_PORTS = {
    "uvicorn": 8000,
    "gunicorn": 8000,
    "hypercorn": 8000,
    "daphne": 8000,
    "granian": 8000,
    "runserver": 8000,
    "waitress-serve": 8080,
    "flask": 5000,
    "streamlit": 8501,
    "gradio": 7860,
}
_PORT_FLAG = re.compile(r"^--?(?:port|p|server\.port)(?:=(\d+))?$")
_BIND = re.compile(r"^(?:--bind|-b)(?:=(.+))?$")
_HOST_PORT = re.compile(r"^(?:[\w.\[\]:-]*):(\d{2,5})$")
_LOCAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(/[^\s'\"]*)?")
SHELLS = frozenset({"sh", "/bin/sh", "bash", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash"})


@dataclass(frozen=True, kw_only=True)
class Probe:
    """How one image is smoke-tested, decided from its configuration and the settings."""

    kind: Kind
    reason: str
    argv: tuple[str, ...] = ()  # command: the whole command line the container runs
    port: int = 0  # network: the container port
    path: str = "/"  # network: the HTTP path requested
    strict: bool = False  # network: the HTTP status must be 2xx or 3xx (a configured or known path)
    env: tuple[str, ...] = ()  # ``KEY=VALUE`` the container runs with (dockyard.smoke_env)
    command: tuple[str, ...] = ()  # network: run this instead of the image's own command
    network: str | None = None  # the network of the services it depends on (dockyard.smoke_services)

    def describe(self) -> str:
        if self.kind == "command":
            return f"`{shlex.join(self.argv)}`"
        run = f"`{shlex.join(self.command)}` on " if self.command else ""
        return f"{run}port {self.port}, GET {self.path}" + (
            " (2xx/3xx)" if self.strict else " (any HTTP answer)"
        )


@dataclass(frozen=True, kw_only=True)
class SmokeResult:
    image: str
    probe: Probe
    ok: bool
    protocol: str  # "command", "http" or "tcp" (what answered), "" when nothing did
    target: str  # the command line or the URL or host:port
    seconds: float
    exit_code: int | None = None
    status: int | None = None  # HTTP status
    output: str = ""  # command output, HTTP body head, or the container's last log lines
    detail: str = ""  # why it failed

    @property
    def summary(self) -> str:
        if self.protocol == "command":
            lines = len(self.output.splitlines())
            text = f"{self.target} exited {self.exit_code} ({lines} lines of output)"
        elif self.protocol == "http":
            text = f"{self.target} answered HTTP {self.status} after {self.seconds:.1f}s"
        elif self.protocol == "tcp":
            text = f"{self.target} accepted a TCP connection after {self.seconds:.1f}s (not HTTP)"
        else:
            text = f"{self.probe.describe()}: no answer"
        return text if self.ok else f"{text}: {self.detail}" if self.detail else text

    # The fields phase 2's older smoke test returned, so callers can switch without changes.
    @property
    def url(self) -> str:
        return self.target

    @property
    def seconds_to_healthy(self) -> float:
        return self.seconds

    @property
    def body(self) -> str:
        return self.output


# --- deciding (pure) -------------------------------------------------------------------------------


def port_in_argv(argv: Sequence[str]) -> int | None:
    """A port named in a server's arguments: ``--port 8080``, ``-b 0.0.0.0:5000``, ``0.0.0.0:8000``."""
    words = [w for item in argv for w in (shlex.split(item) if " " in item else [item])]
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if m := _PORT_FLAG.match(word):
            value = m.group(1) or nxt
            if value.isdigit():
                return int(value)
        elif m := _BIND.match(word):
            hp = _HOST_PORT.match(m.group(1) or nxt)
            if hp:
                return int(hp.group(1))
        elif (hp := _HOST_PORT.match(word)) and not word.startswith(("http", "/")):
            return int(hp.group(1))
    return None


def server_in(argv: Sequence[str]) -> str | None:
    """The known server a command runs (``uvicorn``, ``manage.py runserver``, ...), if any."""
    words = [w for item in argv for w in (shlex.split(item) if " " in item else [item])]
    for word in words:
        if (name := word.rsplit("/", 1)[-1]) in SERVER_PORTS:
            return name
    return None


def health_path_in(healthcheck: Sequence[str], port: int) -> str | None:
    """The path an image's own HEALTHCHECK requests on ``port`` (it is known to answer there)."""
    for m in _LOCAL_URL.finditer(" ".join(healthcheck)):
        if int(m.group(1) or 80) == port:
            return m.group(2) or "/"
    return None


def command_with(image: ImageConfig, args: Sequence[str]) -> tuple[str, ...]:
    """The image's command with ``args`` appended, as ``docker run IMAGE ARGS`` would run it; a
    shell-form ENTRYPOINT or CMD (``sh -c "..."``) gets them inside its script."""
    base = image.entrypoint or image.cmd
    if len(base) == 3 and base[0] in SHELLS and base[1] == "-c":
        return (base[0], "-c", f"{base[2]} {shlex.join(args)}".strip())
    return (*base, *args)


def plan_probe(image: ImageConfig, settings: Settings) -> Probe:
    """Command or network, which port and path, and why. The port: ``app_port`` when it is set, the
    first exposed TCP port, a port in the command, or a known server's default; none is a command.
    The path must answer 2xx/3xx only when known (``health_path`` set, or the image's HEALTHCHECK)."""
    argv = image.argv
    port, why = 0, ""
    if settings.is_set("app_port"):
        port, why = settings.app_port, f"app_port = {settings.app_port} is set"
    elif image.tcp_ports:
        port, why = image.tcp_ports[0], f"the image exposes {image.tcp_ports[0]}/tcp"
    elif (named := port_in_argv(argv)) is not None:
        port, why = named, f"its command names port {named}"
    elif (server := server_in(argv)) is not None:
        port, why = (
            SERVER_PORTS[server],
            f"its command runs {server}, whose default port is {SERVER_PORTS[server]}",
        )
    if port == 0:
        args = settings.smoke_probe
        reason = "app_port = 0 is set" if settings.is_set("app_port") else "no port is exposed or named"
        return Probe(
            kind="command",
            reason=f"{reason}: run its command with {shlex.join(args)}",
            argv=command_with(image, args),
        )
    if settings.is_set("health_path") and settings.health_path:
        return Probe(
            kind="network",
            reason=f"{why}; health_path is set",
            port=port,
            path=settings.health_path,
            strict=True,
        )
    known = health_path_in(image.healthcheck, port)
    if known is not None:
        return Probe(
            kind="network",
            reason=f"{why}; its HEALTHCHECK requests {known}",
            port=port,
            path=known,
            strict=True,
        )
    return Probe(kind="network", reason=f"{why}; any HTTP answer, or a TCP connect, counts", port=port)


# --- running -----------------------------------------------------------------------------------------


def run_command_argv(
    docker: str,
    image: str,
    *,
    name: str,
    argv: Sequence[str],
    env: Sequence[str] = (),
    network: str | None = None,
) -> list[str]:
    """The probe command replaces the entrypoint, so it runs exactly ``argv``; no network unless
    the services it depends on run on one."""
    flags = [item for pair in env for item in ("--env", pair)]
    return [
        docker,
        "run",
        "--name",
        name,
        "--network",
        network or "none",
        *flags,
        "--entrypoint",
        argv[0],
        image,
        *argv[1:],
    ]


def smoke_test(engine: Engine, image: str, settings: Settings, *, timeout: float = 120) -> SmokeResult:
    """Inspect ``image``, plan its probe and run it. A failing image gives ``ok=False``, never raises."""
    config = inspect(engine.docker, image)
    return run_probe(engine.docker, image, plan_probe(config, settings), timeout=timeout)


def run_probe(docker: str, image: str, probe: Probe, *, timeout: float = 120) -> SmokeResult:
    name = f"dockyard-smoke-{uuid.uuid4().hex[:10]}"
    try:
        if probe.kind == "command":
            # a command that is still running after a minute is no command-line program: say so sooner
            return _run_command(docker, image, probe, name=name, timeout=min(timeout, 60))
        return _run_network(docker, image, probe, name=name, timeout=timeout)
    finally:
        process.run(docker_cli.remove_container_argv(docker, name), check=False, echo=False)


def require(result: SmokeResult) -> SmokeResult:
    """Raise when the smoke test failed, with what the container said (phase 2's gate)."""
    if not result.ok:
        raise DockyardError(
            f"the smoke test of {result.image} failed: {result.summary}\n{result.output[-2000:]}",
            hint="check app_command, app_port, health_path and smoke_probe in [tool.dockyard]",
        )
    return result


def _run_command(docker: str, image: str, probe: Probe, *, name: str, timeout: float) -> SmokeResult:
    if not probe.argv:
        return SmokeResult(
            image=image,
            probe=probe,
            ok=False,
            protocol="",
            target="",
            seconds=0.0,
            detail="the image has neither ENTRYPOINT nor CMD",
        )
    started = time.monotonic()
    target = shlex.join(probe.argv)
    try:
        done = process.run(
            run_command_argv(docker, image, name=name, argv=probe.argv, env=probe.env, network=probe.network),
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return SmokeResult(
            image=image,
            probe=probe,
            ok=False,
            protocol="command",
            target=target,
            seconds=timeout,
            detail=f"still running after {timeout:.0f}s (a service? set app_port)",
        )
    return SmokeResult(
        image=image,
        probe=probe,
        ok=done.returncode == 0,
        protocol="command",
        target=target,
        seconds=time.monotonic() - started,
        exit_code=done.returncode,
        output=done.stdout + done.stderr,
        detail="" if done.returncode == 0 else f"exit code {done.returncode}",
    )


@dataclass(frozen=True)
class _Answer:
    protocol: str
    status: int | None
    body: str


def _run_network(docker: str, image: str, probe: Probe, *, name: str, timeout: float) -> SmokeResult:
    started = time.monotonic()
    run = docker_cli.run_detached_argv(
        docker,
        image,
        name=name,
        publish=[f"127.0.0.1::{probe.port}"],
        env=probe.env,
        command=probe.command,
        network=probe.network,
    )
    ran = process.run(run, check=False)
    published = process.run(docker_cli.port_argv(docker, name, probe.port), check=False, echo=False)
    if ran.returncode != 0 or published.returncode != 0 or not published.stdout.strip():
        logs = process.run([docker, "logs", "--tail", "30", name], check=False, echo=False)
        return SmokeResult(
            image=image,
            probe=probe,
            ok=False,
            protocol="",
            target=f"port {probe.port}",
            seconds=time.monotonic() - started,
            output=ran.stderr + logs.stdout + logs.stderr,
            detail="the container did not start" if ran.returncode else "it exited at once",
        )
    host_port = docker_cli.parse_port(published.stdout)
    url = f"http://127.0.0.1:{host_port}{probe.path}"
    started = time.monotonic()
    answer: _Answer | None = None
    while time.monotonic() - started < timeout:
        answer = probe_once(host_port, probe.path)
        if answer is not None and not (probe.strict and answer.status is not None and answer.status >= 500):
            break
        if not _running(docker, name):
            break
        time.sleep(0.5)
    seconds = time.monotonic() - started
    if answer is None:
        logs = process.run([docker, "logs", "--tail", "30", name], check=False, echo=False)
        state = "it exited" if not _running(docker, name) else f"nothing answered in {timeout:.0f}s"
        return SmokeResult(
            image=image,
            probe=probe,
            ok=False,
            protocol="",
            target=url,
            seconds=seconds,
            output=logs.stdout + logs.stderr,
            detail=state,
        )
    if answer.protocol == "tcp":
        target = f"127.0.0.1:{host_port}"
        ok, detail = not probe.strict, "" if not probe.strict else f"no HTTP answer on {probe.path}"
    else:
        target = url
        good = answer.status is not None and 200 <= answer.status < 400
        ok, detail = (good or not probe.strict), "" if good or not probe.strict else f"HTTP {answer.status}"
    return SmokeResult(
        image=image,
        probe=probe,
        ok=ok,
        protocol=answer.protocol,
        target=target,
        seconds=seconds,
        status=answer.status,
        output=answer.body[:2000],
        detail=detail,
    )


def probe_once(port: int, path: str, *, host: str = "127.0.0.1") -> _Answer | None:
    """One attempt: None when nothing listens yet. Docker's userland proxy accepts a connection on
    the published port and closes it at once while the container does not listen, so an accepted
    connection counts only when it stays open (or the server speaks first)."""
    try:
        sock = socket.create_connection((host, port), timeout=3)
    except OSError:
        return None
    with sock:
        sock.settimeout(1.0)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            first = None  # open and silent: something listens
        except OSError:
            return None
        if first == b"":
            return None
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path or "/")
        response = conn.getresponse()
        return _Answer("http", response.status, response.read(2000).decode(errors="replace"))
    except (http.client.HTTPException, OSError):
        return _Answer("tcp", None, "")
    finally:
        conn.close()


def _running(docker: str, name: str) -> bool:
    result = process.run(
        [docker, "inspect", "--format", "{{json .State.Running}}", name], check=False, echo=False
    )
    return result.returncode == 0 and json.loads(result.stdout or "false") is True
