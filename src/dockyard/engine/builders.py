"""The builders dockyard can drive, behind one small Protocol and one registry dict.

* ``buildx``: ``docker buildx build`` (Docker Desktop, docker-ce). Supports ``--cache-to``.
* ``buildkit``: a client that builds with BuildKit natively when ``DOCKER_BUILDKIT=1`` is set
  (Docker CLI before 23, e.g. Debian 12's docker.io 20.10). Registry cache is inline only.

The legacy builder is deliberately absent: it ignores ``RUN --mount`` and would make every
cache-mount measurement a lie, so dockyard refuses to use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dockyard.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    context: Path
    dockerfile: Path | None = None
    target: str | None = None
    tags: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    cache_from: tuple[str, ...] = ()
    #: "inline" embeds cache metadata in the image; "registry:REF" exports to a registry (buildx only).
    cache_to: str | None = None
    no_cache: bool = False
    iidfile: Path | None = None
    network: str | None = None
    #: an ``--output`` spec such as "type=local,dest=DIR": the result goes there instead of the image store.
    output: str | None = None
    #: target platforms (``--platform``); more than one needs buildx (see engine.platform_plan)
    platforms: tuple[str, ...] = ()
    #: push the tags instead of loading the image (a platform list cannot be loaded on Engine 20.10)
    push: bool = False


class Builder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def exports_cache(self) -> bool: ...

    def argv(self, docker: str, request: BuildRequest) -> list[str]: ...

    def env(self) -> dict[str, str]: ...


def _common(request: BuildRequest) -> list[str]:
    argv = ["--progress=plain"]
    if request.dockerfile is not None:
        argv += ["--file", str(request.dockerfile)]
    if request.target:
        argv += ["--target", request.target]
    for tag in request.tags:
        argv += ["--tag", tag]
    for key, value in sorted(request.build_args.items()):
        argv += ["--build-arg", f"{key}={value}"]
    for ref in request.cache_from:
        argv += ["--cache-from", ref]
    if request.no_cache:
        argv.append("--no-cache")
    if request.iidfile is not None:
        argv += ["--iidfile", str(request.iidfile)]
    if request.network:
        argv += ["--network", request.network]
    if request.output:
        argv += ["--output", request.output]
    if request.platforms:
        argv += ["--platform", ",".join(request.platforms)]
    return argv


@dataclass(frozen=True)
class Buildx:
    name: str = "buildx"
    instance: str | None = None
    #: the instance's driver; the ``docker`` driver (the daemon's own BuildKit) cannot export a cache
    driver: str = "docker"
    #: what ``buildx inspect`` lists it can build (empty: unknown, e.g. a builder not yet started)
    platforms: tuple[str, ...] = ()

    @property
    def exports_cache(self) -> bool:
        """Whether ``--cache-to type=registry`` works (not on the docker driver of Engine 20.10)."""
        return self.driver != "docker"

    def argv(self, docker: str, request: BuildRequest) -> list[str]:
        # --load and --push are themselves outputs (type=docker, type=image); buildx takes one only.
        destination = [] if request.output else ["--push" if request.push else "--load"]
        argv = [docker, "buildx", "build", *destination]
        if self.instance:
            argv += ["--builder", self.instance]
        argv += _common(request)
        if request.cache_to == "inline":
            argv += ["--cache-to", "type=inline"]
        elif request.cache_to and request.cache_to.startswith("registry:"):
            ref = request.cache_to.removeprefix("registry:")
            argv += ["--cache-to", f"type=registry,ref={ref},mode=max"]
        return [*argv, str(request.context)]

    def env(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class ClassicBuildKit:
    name: str = "buildkit"

    @property
    def exports_cache(self) -> bool:
        return False  # inline cache only: metadata embedded in the image it builds

    def argv(self, docker: str, request: BuildRequest) -> list[str]:
        if len(request.platforms) > 1 or request.push:
            raise ConfigError(
                "the classic client builds one platform per build and loads it (no --push)",
                hint="build a platform list with buildx on a docker-container or remote builder "
                "(set `builder`)",
            )
        argv = [docker, "build", *_common(request)]
        if request.cache_to:
            # The classic client can only embed cache metadata in the image it pushes.
            argv += ["--build-arg", "BUILDKIT_INLINE_CACHE=1"]
        return [*argv, str(request.context)]

    def env(self) -> dict[str, str]:
        return {"DOCKER_BUILDKIT": "1"}


BUILDERS: dict[str, Builder] = {
    "buildx": Buildx(),
    "buildkit": ClassicBuildKit(),
}
