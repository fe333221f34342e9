"""Target platforms (``os/arch[/variant]``) as the settings, the builds and the wheelhouse name them.

Pure strings: parsed and normalised once (``arm64`` is ``linux/arm64``, commas split), and turned
into the relative directory the wheelhouse keeps a platform's wheels in (``linux/arm64``, which is
also what BuildKit's ``TARGETPLATFORM`` says, so the generated Dockerfile finds it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dockyard.errors import ConfigError

_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")


def parse(values: Iterable[str]) -> tuple[str, ...]:
    """``["linux/amd64,linux/arm64"]`` or ``["arm64"]`` -> normalised, de-duplicated, in order."""
    found: list[str] = []
    for value in values:
        for item in value.split(","):
            name = item.strip().lower()
            if not name:
                continue
            if "/" not in name:
                name = f"linux/{name}"
            if not _PLATFORM.fullmatch(name):
                raise ConfigError(
                    f"platform {item.strip()!r} is not os/arch[/variant]",
                    hint="e.g. linux/amd64, linux/arm64 or linux/arm/v7 (comma-separated for several)",
                )
            if name not in found:
                found.append(name)
    return tuple(found)


def directory(platform: str) -> str:
    """Where a platform's files live below a per-platform directory: ``linux/arm64`` as it is."""
    if not _PLATFORM.fullmatch(platform):
        raise ConfigError(f"platform {platform!r} is not os/arch[/variant]")
    return platform
