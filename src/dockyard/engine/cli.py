"""Docker CLI commands as lists (pure builders) and parsers of their JSON answers.

Following python-on-whales: always ask the CLI for JSON, parse it into small frozen models here,
and test the parsers against saved real outputs in ``tests/data/engine``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard import process
from dockyard.errors import CommandFailed, EngineUnavailable


@dataclass(frozen=True)
class Versions:
    client: str
    client_api: str
    server: str | None
    server_api: str | None

    @property
    def client_major(self) -> int:
        head = self.client.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


@dataclass(frozen=True)
class Image:
    id: str
    size: int
    tags: tuple[str, ...]
    user: str
    cmd: tuple[str, ...]
    env: tuple[str, ...]
    healthcheck: tuple[str, ...]


# --- builders of argv -----------------------------------------------------------------------------


def version_argv(docker: str) -> list[str]:
    return [docker, "version", "--format", "{{json .}}"]


def image_inspect_argv(docker: str, ref: str) -> list[str]:
    return [docker, "image", "inspect", "--format", "{{json .}}", ref]


def remove_images_argv(docker: str, refs: Sequence[str]) -> list[str]:
    return [docker, "image", "rm", "--force", *refs]


def prune_build_cache_argv(docker: str, *, builder: str | None = None) -> list[str]:
    """The daemon's build cache, or (``builder``) only the cache of that buildx builder instance."""
    if builder:
        return [docker, "buildx", "prune", "--builder", builder, "--all", "--force"]
    return [docker, "builder", "prune", "--all", "--force"]


def buildx_inspect_argv(docker: str, name: str) -> list[str]:
    return [docker, "buildx", "inspect", name]


def buildx_bootstrap_argv(docker: str, name: str) -> list[str]:
    return [docker, "buildx", "inspect", "--bootstrap", name]


def buildx_rm_argv(docker: str, name: str) -> list[str]:
    return [docker, "buildx", "rm", name]


def buildx_create_argv(docker: str, name: str) -> list[str]:
    # docker-container: a BuildKit of its own, whose cache a prune can empty without touching the default's.
    return [docker, "buildx", "create", "--name", name, "--driver", "docker-container", "--bootstrap"]


def run_detached_argv(
    docker: str,
    image: str,
    *,
    name: str,
    publish: Sequence[str] = (),
    env: Sequence[str] = (),
    network: str | None = None,
    command: Sequence[str] = (),
) -> list[str]:
    """``command``, when given, is the whole command line the container runs (it replaces the
    entrypoint, as a compose service's ``entrypoint`` and ``command`` do)."""
    argv = [docker, "run", "--detach", "--name", name]
    for port in publish:
        argv += ["--publish", port]
    for item in env:
        argv += ["--env", item]
    if network:
        argv += ["--network", network]
    if command:
        return [*argv, "--entrypoint", command[0], image, *command[1:]]
    return [*argv, image]


def remove_container_argv(docker: str, name: str) -> list[str]:
    return [docker, "rm", "--force", "--volumes", name]


def port_argv(docker: str, name: str, port: int) -> list[str]:
    return [docker, "port", name, f"{port}/tcp"]


# --- parsers ----------------------------------------------------------------------------------------


def parse_versions(text: str) -> Versions:
    data = json.loads(text)
    client = data.get("Client") or {}
    server = data.get("Server") or None
    return Versions(
        client=str(client.get("Version", "")),
        client_api=str(client.get("ApiVersion", "")),
        server=str(server["Version"]) if server and server.get("Version") else None,
        server_api=str(server["ApiVersion"]) if server and server.get("ApiVersion") else None,
    )


def parse_image(text: str) -> Image:
    data = json.loads(text)
    if isinstance(data, list):
        data = data[0]
    config = data.get("Config") or {}
    health = (config.get("Healthcheck") or {}).get("Test") or []
    return Image(
        id=str(data["Id"]),
        size=int(data.get("Size", 0)),
        tags=tuple(data.get("RepoTags") or ()),
        user=str(config.get("User") or ""),
        cmd=tuple(config.get("Cmd") or ()),
        env=tuple(config.get("Env") or ()),
        healthcheck=tuple(health),
    )


def parse_images(text: str) -> list[Image]:
    """``docker image inspect --format '{{json .}}' REF...`` prints one JSON document per found image."""
    return [parse_image(line) for line in text.splitlines() if line.strip()]


def parse_port(text: str) -> int:
    """``docker port NAME 8000/tcp`` prints ``127.0.0.1:49153`` (one line per address)."""
    first = text.strip().splitlines()[0]
    return int(first.rsplit(":", 1)[1])


# --- thin runners ------------------------------------------------------------------------------------


def versions(docker: str) -> tuple[Versions, str | None]:
    """Client and server versions, plus the daemon's error when it does not answer."""
    result = process.run(version_argv(docker), check=False, timeout=30, echo=False)
    text = result.stdout.strip()
    if not text.startswith("{"):
        raise EngineUnavailable(
            f"`{docker} version` gave no answer: {(result.stderr or result.stdout).strip()[:300]}",
            hint="check that the docker executable works (DOCKYARD_DOCKER / --docker)",
        )
    parsed = parse_versions(text)
    daemon_error = None
    if parsed.server is None:
        daemon_error = (result.stderr.strip().splitlines() or ["the daemon did not answer"])[-1]
    return parsed, daemon_error


def inspect_image(docker: str, ref: str) -> Image:
    return parse_image(process.run(image_inspect_argv(docker, ref), echo=False).stdout)


def inspect_images(docker: str, refs: Sequence[str]) -> list[Image]:
    """The images among ``refs`` that exist (a missing one is not an error here)."""
    if not refs:
        return []
    result = process.run([*image_inspect_argv(docker, refs[0]), *refs[1:]], check=False, echo=False)
    return parse_images(result.stdout)


def remove_dangling(docker: str, ids: Sequence[str]) -> tuple[str, ...]:
    """Remove those of ``ids`` that no tag names any more; never one that is tagged or in use."""
    dangling = tuple(dict.fromkeys(i.id for i in inspect_images(docker, ids) if not i.tags))
    if dangling:
        # No --force: an image a container still uses stays.
        process.run([docker, "image", "rm", *dangling], check=False, echo=False)
    return dangling


def remove_images(docker: str, refs: Sequence[str]) -> None:
    if refs:
        process.run(remove_images_argv(docker, refs), check=False)


@dataclass(frozen=True)
class InstanceStart:
    """The outcome of starting a buildx builder instance of dockyard's own."""

    name: str
    running: bool
    created: bool
    error: str = ""


def start_buildx_instance(docker: str, name: str) -> InstanceStart:
    """Boot the docker-container builder ``name``, creating it when needed.

    The docker-container driver runs BuildKit from the moby/buildkit image; where that cannot be
    pulled the instance cannot start. Then the half-made instance is removed and ``running`` is
    False, so the caller can fall back to the docker driver and say so.
    """
    booted = process.run(buildx_bootstrap_argv(docker, name), check=False, echo=False, timeout=300)
    if booted.returncode == 0:
        return InstanceStart(name, running=True, created=False)
    # Absent, or defined but unable to boot: start afresh.
    process.run(buildx_rm_argv(docker, name), check=False, echo=False)
    created = process.run(buildx_create_argv(docker, name), check=False, timeout=300)
    if created.returncode == 0:
        return InstanceStart(name, running=True, created=True)
    process.run(buildx_rm_argv(docker, name), check=False, echo=False)
    lines = (created.stderr or created.stdout).strip().splitlines()
    return InstanceStart(name, running=False, created=False, error=lines[-1] if lines else "no output")


def prune_build_cache(docker: str, *, builder: str | None = None) -> None:
    try:
        process.run(prune_build_cache_argv(docker, builder=builder))
    except CommandFailed as exc:
        exc.hint = "the build cache could not be pruned; is the daemon up (dockyard doctor)?"
        raise


@dataclass(frozen=True)
class CacheRecord:
    id: str
    parent: str
    description: str
    in_use: bool


def build_cache_argv(docker: str) -> list[str]:
    return [docker, "system", "df", "--verbose", "--format", "{{json .BuildCache}}"]


def parse_build_cache(text: str) -> list[CacheRecord]:
    """``docker system df -v --format '{{json .BuildCache}}'``: one JSON list of records."""
    data = json.loads(text.strip() or "[]") or []
    return [
        CacheRecord(
            id=str(r.get("ID", "")),
            parent=str(r.get("Parent") or ""),
            description=str(r.get("Description") or ""),
            in_use=str(r.get("InUse", "false")).lower() == "true",
        )
        for r in data
    ]


def records_to_evict(records: Sequence[CacheRecord], token: str) -> list[str]:
    """Ids of the records whose description holds ``token`` and all their descendants, leaves first."""
    children: dict[str, list[str]] = {}
    for record in records:
        children.setdefault(record.parent, []).append(record.id)
    order: list[str] = []

    def visit(record_id: str) -> None:
        for child in children.get(record_id, []):
            visit(child)
        if record_id not in order:
            order.append(record_id)

    for record in records:
        if token in record.description:
            visit(record.id)
    return order


def evict_build_cache(docker: str, token: str) -> list[str]:
    """Remove from the daemon's build cache only the records a build with ``token`` in it made.

    What a fresh runner lacks, without pruning the cache everyone else on the daemon shares.
    """
    listed = process.run(build_cache_argv(docker), echo=False)
    ids = records_to_evict(parse_build_cache(listed.stdout), token)
    for record_id in ids:
        process.run(
            [docker, "builder", "prune", "--all", "--force", "--filter", f"id={record_id}"],
            check=False,
            echo=False,
        )
    return ids
