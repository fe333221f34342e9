"""Which platforms a build can make with the builder in use, and where the result goes: planned as data.

One platform builds anywhere BuildKit runs (a non-native one needs qemu registered with binfmt_misc
on the builder's host). A list needs a buildx builder that keeps a manifest list (docker-container,
remote, kubernetes), and is pushed: Engine 20.10's image store holds one platform per tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dockyard.engine.builders import Builder, BuildRequest, Buildx
from dockyard.errors import ConfigError

#: What to run to get a builder that can build a platform list.
MULTI_BUILDER_FIX = (
    "set `builder` to a buildx builder of the docker-container or remote driver, e.g. "
    "`docker buildx create --name multi --driver docker-container --bootstrap` (or "
    '`--driver remote tcp://BUILDKITD:1234` for a shared BuildKit) and then `builder = "multi"` in '
    "[tool.dockyard] or DOCKYARD_BUILDER=multi; on Engine 24+ the containerd image store also works"
)
#: Said when a non-native build fails with "exec format error".
BINFMT_HINT = (
    "a non-native platform needs qemu registered with binfmt_misc on the builder's host: "
    "`docker run --privileged --rm tonistiigi/binfmt --install all`, or install Debian's "
    "qemu-user-static and register it with the F flag (dockyard's .ci/provision-qemu does)"
)


@dataclass(frozen=True)
class PlatformPlan:
    platforms: tuple[str, ...]
    #: the image goes to the registry (a platform list cannot be loaded into the image store)
    push: bool
    tags: tuple[str, ...]

    def apply(self, request: BuildRequest) -> BuildRequest:
        return replace(request, platforms=self.platforms, push=self.push, tags=self.tags)

    def rows(self) -> list[tuple[str, str]]:
        where = "pushed to " + ", ".join(self.tags) if self.push else "loaded into the image store"
        return [("platforms", ", ".join(self.platforms) or "the daemon's own"), ("result", where)]


def registry_tag(tag: str, registry: str) -> str:
    """``app:1`` -> ``REGISTRY/app:1``; a tag that already names a registry stays as it is."""
    first, _, rest = tag.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return tag
    return f"{registry.rstrip('/')}/{tag}"


def plan(platforms: Sequence[str], builder: Builder, *, tags: Sequence[str], registry: str) -> PlatformPlan:
    """The plan for ``platforms`` on ``builder``, or a :class:`ConfigError` saying what to set."""
    wanted = tuple(platforms)
    if isinstance(builder, Buildx) and builder.platforms:
        missing = [p for p in wanted if p not in builder.platforms]
        if missing:
            name = f"buildx builder {builder.instance!r}" if builder.instance else "buildx's current builder"
            raise ConfigError(
                f"{name} cannot build {', '.join(missing)}: it lists {', '.join(builder.platforms)}",
                hint=BINFMT_HINT + "; `docker buildx inspect` then lists the platform",
            )
    if len(wanted) <= 1:
        return PlatformPlan(wanted, False, tuple(tags))
    listed = ", ".join(wanted)
    if not isinstance(builder, Buildx):
        raise ConfigError(
            f"the classic client builds one platform per build, not the list {listed}",
            hint=f"build one platform at a time (--platform {wanted[0]}), or install buildx and "
            + MULTI_BUILDER_FIX,
        )
    if builder.driver == "docker":
        name = f"buildx builder {builder.instance!r}" if builder.instance else "buildx's current builder"
        raise ConfigError(
            f"{name} uses the `docker` driver, which builds into Engine 20.10's image store: it holds "
            f"one platform per tag, so the list {listed} cannot be built in one build (one non-native "
            "platform can, with qemu registered)",
            hint=MULTI_BUILDER_FIX,
        )
    return PlatformPlan(wanted, True, tuple(registry_tag(t, registry) for t in tags))
