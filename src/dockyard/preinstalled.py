"""The Python distributions a base image already has (pip, setuptools, wheel in the official images).

An original Dockerfile that runs ``pip install`` on that image keeps them as they are whenever they
satisfy a requirement (pip's default upgrade strategy is "only if needed"). The one resolution prefers
the same versions, so the generated image carries over what the original ran with: datasette 0.65.1
declares ``setuptools`` and imports ``pkg_resources``, which the newest setuptools no longer has.
A preference, never a constraint: a requirement that needs a newer version still gets it.

The answer is asked of the image once (``docker run``) and cached in the state directory by image name.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from dockyard import image_cache, process
from dockyard.errors import DockyardError
from dockyard.requirements.model import normalize

CACHE_FILE = "base-distributions.json"
#: What ensurepip and the official images install into every Python: a lock without any of them has
#: nothing to share with a base image built the usual way, so the image need not be asked.
SEEDED = frozenset({"pip", "setuptools", "wheel"})
SCHEMA = 1
_LIST = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions() if d.metadata['Name']}))"
)


def list_argv(docker: str, image: str) -> list[str]:
    return [docker, "run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c", _LIST]


def parse(text: str) -> dict[str, str]:
    """``{"pip": "24.0", ...}`` from the container's output; anything else reads as nothing."""
    try:
        data = json.loads(text.strip().splitlines()[-1]) if text.strip() else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {normalize(str(k)): str(v) for k, v in sorted(data.items())}


def distributions(docker: str | None, image: str, state: Path, *, save: bool = True) -> dict[str, str] | None:
    """What ``image`` has installed, from the cache or the image itself; None when it cannot be asked
    (no docker, no daemon, an image without python). ``save=False`` (a dry run) writes no cache."""
    path = state / CACHE_FILE
    cached = image_cache.read(path, SCHEMA)
    if image in cached["images"] and isinstance(cached["images"][image], dict):
        return {str(k): str(v) for k, v in cached["images"][image].items()}
    if docker is None:
        return None
    try:
        result = process.run(list_argv(docker, image), check=False, echo=False, timeout=120)
    except (DockyardError, subprocess.TimeoutExpired, OSError):  # no answer is no preference, not a failure
        return None
    found = parse(result.stdout) if result.returncode == 0 else {}
    if not found:
        return None
    if save:
        cached["images"][image] = found
        image_cache.write(path, cached)
    return found
