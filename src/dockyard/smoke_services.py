"""The compose services the project's service depends on (a database, a cache), started for
verify's smoke test as compose starts them: on a network of their own, each reachable by its service
name, with the environment and command its compose file gives, and ready (its exposed ports accept
connections) before the images under test run.

Only services that name an ``image`` are started; one that compose builds, or whose image cannot be
run here, is reported and left out, and the smoke test runs as it would without it.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard import process, smoke_env
from dockyard.engine import cli as docker_cli


@dataclass(frozen=True, kw_only=True)
class Dependency:
    name: str  # the compose service name: its network alias
    image: str
    env: tuple[str, ...] = ()  # KEY=VALUE
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()

    def run_argv(self, docker: str, *, container: str, network: str) -> list[str]:
        argv = [docker, "run", "--detach", "--name", container, "--network", network]
        argv += ["--network-alias", self.name]
        for item in self.env:
            argv += ["--env", item]
        if self.entrypoint:
            return [
                *argv,
                "--entrypoint",
                self.entrypoint[0],
                self.image,
                *self.entrypoint[1:],
                *self.command,
            ]
        return [*argv, self.image, *self.command]


@dataclass(frozen=True, kw_only=True)
class Started:
    network: str | None  # None: nothing was started
    names: tuple[str, ...] = ()  # the services running
    notes: tuple[str, ...] = ()  # what was started, and what was not and why


def dependencies(project: Path) -> tuple[list[Dependency], list[str]]:
    """The services the compose service that builds ``project`` depends on: those it can start,
    and a note for each it cannot."""
    for compose in smoke_env.building_services(project):
        wanted = smoke_env.depends_on(compose.definition)
        if not wanted:
            continue
        found: list[Dependency] = []
        skipped: list[str] = []
        for name in wanted:
            service = compose.services.get(name)
            image = service.get("image") if isinstance(service, dict) else None
            if not isinstance(service, dict) or not isinstance(image, str) or "$" in image:
                skipped.append(f"{name} (depends_on in {compose.where(project)}): no image to run")
                continue
            env, _ = smoke_env.service_env(compose, service)
            found.append(
                Dependency(
                    name=name,
                    image=image,
                    env=tuple(f"{k}={v}" for k, v in sorted(env.items())),
                    entrypoint=smoke_env.compose_argv(service.get("entrypoint")),
                    command=smoke_env.compose_argv(service.get("command")),
                )
            )
        return found, skipped
    return [], []


@contextmanager
def started(docker: str, project: Path, *, ready_timeout: float = 60.0) -> Iterator[Started]:
    """Start the dependencies for the length of the block; everything is removed afterwards."""
    wanted, skipped = dependencies(project)
    if not wanted:
        yield Started(network=None, notes=tuple(f"not started: {s}" for s in skipped))
        return
    network = f"dockyard-verify-{uuid.uuid4().hex[:10]}"
    process.run([docker, "network", "create", network], echo=False)
    containers: list[str] = []
    notes: list[str] = [f"not started: {s}" for s in skipped]
    running: list[str] = []
    try:
        for dep in wanted:
            container = f"{network}-{dep.name}"
            ran = process.run(dep.run_argv(docker, container=container, network=network), check=False)
            containers.append(container)
            if ran.returncode != 0:
                notes.append(f"not started: {dep.name} ({dep.image}): {_why(ran.stderr)}")
                continue
            waited = _wait_ready(docker, container, network, timeout=ready_timeout)
            notes.append(f"started {dep.name} ({dep.image}) from the compose file{waited}")
            running.append(dep.name)
        yield Started(network=network, names=tuple(running), notes=tuple(notes))
    finally:
        for container in containers:
            process.run(docker_cli.remove_container_argv(docker, container), check=False, echo=False)
        process.run([docker, "network", "rm", network], check=False, echo=False)


def _why(stderr: str) -> str:
    """docker run's own error line ("Error response from daemon: pull access denied ..."), not the
    "See 'docker run --help'." it ends with."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("See '")]
    chosen = next(
        (line for line in lines if "Error response" in line), lines[-1] if lines else "it did not start"
    )
    return chosen.removeprefix("docker: ")[:200]


def _wait_ready(docker: str, container: str, network: str, *, timeout: float) -> str:
    """Wait until every TCP port the container exposes accepts a connection (from the host, at
    the container's address on the network); what the report says about it."""
    fmt = "{{.State.Running}} {{json .Config.ExposedPorts}} {{json .NetworkSettings.Networks}}"
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        shown = process.run([docker, "inspect", "--format", fmt, container], check=False, echo=False)
        if shown.returncode != 0:
            return ", but it stopped"
        running, ports_json, networks_json = shown.stdout.strip().split(" ", 2)
        if running != "true":
            return ", but it exited"
        ports = [int(p.split("/")[0]) for p in (json.loads(ports_json) or {}) if p.endswith("/tcp")]
        address = ((json.loads(networks_json) or {}).get(network) or {}).get("IPAddress", "")
        if not ports or not address:
            return ""  # nothing to wait for: it runs
        if all(_accepts(address, port) for port in ports):
            return f", ready on {', '.join(str(p) for p in ports)} after {time.monotonic() - started:.1f}s"
        time.sleep(0.5)
    return f", not accepting connections after {timeout:.0f}s"


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1.0):
            return True
    except OSError:
        return False
