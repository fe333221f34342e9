"""What the machine can do: docker client and server, builder, compose v2, hadolint.

The probe decides the builder once: buildx when the client has it, else a client that builds with
BuildKit natively (CLI before 23 with ``DOCKER_BUILDKIT=1``), else none, and then dockyard stops
with a message rather than fall back to the legacy builder.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard import process
from dockyard.config import BUILDER_KINDS, Settings
from dockyard.engine import cli
from dockyard.engine.builders import BUILDERS, Builder, Buildx
from dockyard.errors import EngineUnavailable, ToolMissing

#: Docker CLI 23 made buildx the only way to BuildKit; older clients embed a BuildKit session.
NATIVE_BUILDKIT_BEFORE = 23


@dataclass(frozen=True)
class Capabilities:
    docker: str
    docker_path: str | None
    client_version: str | None
    server_version: str | None
    daemon_error: str | None
    buildx_version: str | None
    native_buildkit: bool
    compose_version: str | None
    hadolint_version: str | None
    builder: str | None
    alternatives: tuple[str, ...] = ()
    #: the driver of buildx's builder: "docker" (the daemon's BuildKit), "docker-container", "remote", ...
    buildx_driver: str | None = None
    #: the buildx builder the ``builder`` setting names (None: buildx's current one)
    buildx_instance: str | None = None
    #: why the named buildx builder cannot be used (it does not exist, or there is no buildx)
    instance_error: str | None = None
    #: the platforms the buildx builder says it can build (emulated ones once qemu is registered)
    buildx_platforms: tuple[str, ...] = ()

    @property
    def can_build(self) -> bool:
        return self.builder is not None and self.server_version is not None and self.instance_error is None

    def problems(self) -> list[str]:
        """One line per missing piece, each saying what to install or start."""
        lines: list[str] = []
        if self.docker_path is None:
            lines.append(f"docker: `{self.docker}` not found. {process.INSTALL_HINTS['docker']}.")
            return lines
        if self.server_version is None:
            lines.append(
                f"daemon: not answering ({self.daemon_error}). Start Docker (Docker Desktop, "
                "`sudo systemctl start docker`, or `dockerd &`) and check `docker info`."
            )
        if self.instance_error is not None:
            lines.append(self.instance_error)
        elif self.builder is None:
            fix = "install the buildx plugin (docker-buildx-plugin, or Docker Desktop)"
            if self.alternatives:
                better = self.alternatives[0]
                fix += f", or point dockyard at a client that has BuildKit: DOCKYARD_DOCKER={better}"
            lines.append(
                f"builder: `{self.docker}` (CLI {self.client_version}) has no buildx and does not build "
                f"with BuildKit natively; the legacy builder ignores RUN --mount, so dockyard will not "
                f"use it. Fix: {fix}."
            )
        return lines

    def rows(self) -> list[tuple[str, str]]:
        def show(value: str | None, missing: str = "missing") -> str:
            return value if value else missing

        builder = self.builder or "none"
        if self.builder == "buildx":
            named = f"builder {self.buildx_instance}, " if self.buildx_instance else ""
            builder = f"buildx {self.buildx_version} ({named}{self.buildx_driver or 'unknown'} driver)"
            if self.buildx_platforms:
                builder += f"; platforms {', '.join(self.buildx_platforms)}"
        elif self.builder == "buildkit":
            builder = "buildkit (client's native BuildKit, DOCKER_BUILDKIT=1)"
        return [
            ("docker executable", show(self.docker_path, f"{self.docker} (not found)")),
            ("client version", show(self.client_version, "unknown")),
            ("server version", show(self.server_version, "not answering")),
            ("daemon answers", "yes" if self.server_version else f"no: {self.daemon_error}"),
            ("builder", builder),
            ("compose v2", show(self.compose_version)),
            ("hadolint", show(self.hadolint_version)),
        ]


def buildx_version_argv(docker: str) -> list[str]:
    return [docker, "buildx", "version"]


def buildx_driver_argv(docker: str, instance: str | None = None) -> list[str]:
    return [docker, "buildx", "inspect", *([instance] if instance else [])]


def parse_buildx_driver(text: str) -> str | None:
    """``docker buildx inspect`` prints ``Driver:        docker`` among its fields."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "Driver":
            return value.strip() or None
    return None


def parse_buildx_platforms(text: str) -> tuple[str, ...]:
    """Every node's ``Platforms:`` line (``linux/amd64*, linux/arm64``; ``*`` marks configured ones)."""
    found: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "Platforms":
            for item in value.split(","):
                name = item.strip().rstrip("*")
                if name and name not in found:
                    found.append(name)
    return tuple(found)


@dataclass(frozen=True)
class BuildxBuilder:
    """What ``docker buildx inspect [NAME]`` says, or why the named builder cannot be used."""

    driver: str | None = None
    platforms: tuple[str, ...] = ()
    error: str | None = None


def _inspect_buildx(docker: str, instance: str | None = None) -> BuildxBuilder:
    result = process.run(buildx_driver_argv(docker, instance), check=False, timeout=30, echo=False)
    if result.returncode == 0:
        return BuildxBuilder(parse_buildx_driver(result.stdout), parse_buildx_platforms(result.stdout))
    if instance is None:
        return BuildxBuilder()
    return BuildxBuilder(error=missing_instance(instance, (result.stderr or result.stdout).strip()))


def missing_instance(instance: str, said: str) -> str:
    return (
        f"builder: there is no buildx builder named {instance!r} ({said[:160] or 'buildx inspect failed'}). "
        f"Fix: create it (`docker buildx create --name {instance} --driver docker-container`, or "
        f"`--driver remote tcp://BUILDKITD:1234` for a shared BuildKit), or set `builder` to one "
        "`docker buildx ls` lists."
    )


def classic_instance(instance: str, docker: str, client: str | None) -> str:
    """The problem of a ``builder`` naming a buildx builder on a client without buildx."""
    return (
        f"builder: `builder` names the buildx builder {instance!r}, but `{docker}` (CLI {client}) has no "
        "buildx: the classic client builds only on the daemon's own BuildKit and has no --builder. "
        "Fix: install the buildx plugin (docker-buildx-plugin) and point dockyard at that docker "
        "(DOCKYARD_DOCKER), or unset `builder` ([tool.dockyard] or DOCKYARD_BUILDER) to build on the "
        "daemon's BuildKit."
    )


def compose_version_argv(docker: str) -> list[str]:
    return [docker, "compose", "version", "--format", "json"]


def _buildx_version(docker: str) -> str | None:
    result = process.run(buildx_version_argv(docker), check=False, timeout=30, echo=False)
    if result.returncode != 0:
        return None
    # "github.com/docker/buildx v0.12.1 30feaa1"
    parts = result.stdout.split()
    return parts[1] if len(parts) >= 2 else result.stdout.strip()


def _compose_version(docker: str) -> str | None:
    result = process.run(compose_version_argv(docker), check=False, timeout=30, echo=False)
    if result.returncode != 0:
        return None
    try:
        version = str(json.loads(result.stdout)["version"])
    except (ValueError, KeyError, TypeError):
        return None
    return version.lstrip("v")


def _hadolint_version() -> str | None:
    exe = process.tool_path("hadolint")
    if exe is None:
        return None
    result = process.run([exe, "--version"], check=False, timeout=30, echo=False)
    words = result.stdout.split()
    return words[-1] if result.returncode == 0 and words else None


def docker_candidates(docker: str) -> list[str]:
    """Other docker executables on PATH (and Debian's /usr/bin/docker), for the hint."""
    seen: list[str] = []
    for folder in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]:
        candidate = Path(folder) / "docker"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            real = str(candidate)
            if real not in seen:
                seen.append(real)
    resolved = shutil.which(docker)
    return [c for c in seen if c != resolved]


def choose_builder(preference: str, *, buildx: str | None, native: bool) -> str | None:
    """``preference``: auto, buildx, buildkit, or a buildx builder's name (which needs buildx)."""
    if preference == "buildx" or preference not in BUILDER_KINDS:
        return "buildx" if buildx else None
    if preference == "buildkit":
        return "buildkit" if native else None
    if buildx:
        return "buildx"
    return "buildkit" if native else None


def probe(settings: Settings) -> Capabilities:
    """Probe the configured docker; with none configured, the first one on PATH that can BuildKit."""
    if settings.docker:
        return probe_docker(settings.docker, settings.builder)
    first = probe_docker("docker", settings.builder)
    if first.builder is not None or first.docker_path is None:
        return first
    for candidate in first.alternatives:
        caps = probe_docker(candidate, settings.builder)
        if caps.builder is not None:
            return caps
    return first


def probe_docker(docker: str, preference: str) -> Capabilities:
    docker_path = shutil.which(docker)
    if docker_path is None:
        return Capabilities(
            docker, None, None, None, "docker not found", None, False, None, _hadolint_version(), None
        )
    versions, daemon_error = cli.versions(docker)
    buildx = _buildx_version(docker)
    native = versions.client_major < NATIVE_BUILDKIT_BEFORE and versions.client_major > 0
    builder = choose_builder(preference, buildx=buildx, native=native)
    alternatives: tuple[str, ...] = ()
    if builder is None:
        alternatives = tuple(c for c in docker_candidates(docker) if _native_or_buildx(c))
    instance = None if preference in BUILDER_KINDS else preference
    inspected = BuildxBuilder()
    if builder == "buildx":
        inspected = _inspect_buildx(docker, instance)
    elif instance is not None:
        inspected = BuildxBuilder(error=classic_instance(instance, docker, versions.client))
    return Capabilities(
        docker=docker,
        docker_path=docker_path,
        client_version=versions.client,
        server_version=versions.server,
        daemon_error=daemon_error,
        buildx_version=buildx,
        native_buildkit=native,
        compose_version=_compose_version(docker),
        hadolint_version=_hadolint_version(),
        builder=builder,
        alternatives=alternatives,
        buildx_driver=inspected.driver,
        buildx_instance=instance,
        instance_error=inspected.error,
        buildx_platforms=inspected.platforms,
    )


def _native_or_buildx(docker: str) -> bool:
    try:
        versions, _ = cli.versions(docker)
    except EngineUnavailable:
        return False
    if 0 < versions.client_major < NATIVE_BUILDKIT_BEFORE:
        return True
    return _buildx_version(docker) is not None


def require_builder(caps: Capabilities) -> Builder:
    """The builder to use, or an error that lists what is missing."""
    if caps.docker_path is None:
        raise ToolMissing(f"`{caps.docker}` was not found", hint=process.INSTALL_HINTS["docker"])
    if not caps.can_build:
        raise EngineUnavailable(
            "cannot build with BuildKit here:\n  - " + "\n  - ".join(caps.problems()),
            hint="run `dockyard doctor` after fixing, it checks each piece",
        )
    assert caps.builder is not None
    builder = BUILDERS[caps.builder]
    if isinstance(builder, Buildx):
        return replace(
            builder,
            instance=caps.buildx_instance,
            driver=caps.buildx_driver or builder.driver,
            platforms=caps.buildx_platforms,
        )
    return builder


def require_compose(caps: Capabilities) -> str:
    if caps.compose_version is None or not caps.compose_version.startswith("2"):
        raise ToolMissing(
            "docker compose v2 is required (develop.watch does not exist in v1)",
            hint="install the compose plugin (docker-compose-plugin, or Docker Desktop); "
            "`docker compose version` must print v2.22 or newer",
        )
    return caps.compose_version
