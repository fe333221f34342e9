"""Base images pinned by digest: resolve a tag's digest from its registry, keep pins in a lock file.

The registry is asked directly (Registry HTTP API v2, anonymous bearer tokens), so pinning needs
neither buildx nor a pull. ``docker/base-images.lock`` holds ``image -> sha256`` and the generated
Dockerfile renders ``FROM image@sha256:...`` from it; ``dockyard base.bump`` refreshes it.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError, InputError

LOCK = "docker/base-images.lock"
DEFAULT_REGISTRY = "registry-1.docker.io"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, kw_only=True)
class ImageRef:
    registry: str  # host[:port] as the API is reached
    repository: str  # library/python for official images
    tag: str
    digest: str = ""

    @property
    def insecure(self) -> bool:
        """Docker talks plain HTTP to loopback registries only."""
        host = self.registry.rsplit(":", 1)[0]
        return host in {"localhost", "::1"} or host.startswith("127.")

    @property
    def base_url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.registry}/v2/{self.repository}"


def parse_ref(ref: str) -> ImageRef:
    """Docker's normalisation: ``python:3.11`` is ``registry-1.docker.io/library/python:3.11``."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = "latest"
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, name
        if "/" not in repository:
            repository = f"library/{repository}"
    if registry == "docker.io":
        registry = DEFAULT_REGISTRY
    return ImageRef(registry=registry, repository=repository, tag=tag, digest=digest)


def _token(challenge: str) -> str | None:
    """An anonymous bearer token for a ``WWW-Authenticate: Bearer realm=...`` challenge."""
    if not challenge.lower().startswith("bearer "):
        return None
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm", "")
    if not realm.startswith("https://"):
        return None
    with urllib.request.urlopen(f"{realm}?{urllib.parse.urlencode(fields)}", timeout=20) as response:
        data = json.loads(response.read())
    token = data.get("token") or data.get("access_token")
    return str(token) if token else None


def resolve(ref: str, *, timeout: float = 20) -> str:
    """The digest a registry serves for ``ref``'s tag now (``sha256:...``)."""
    image = parse_ref(ref)
    url = f"{image.base_url}/manifests/{image.tag}"
    headers = {"Accept": MANIFEST_TYPES}
    for _ in range(2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                digest = response.headers.get("Docker-Content-Digest", "")
                if _DIGEST.match(digest):
                    return str(digest)
                raise DockyardError(f"{image.registry} did not send a digest for {ref}")
        except urllib.error.HTTPError as exc:
            token = _token(exc.headers.get("WWW-Authenticate", "")) if exc.code == 401 else None
            if token and "Authorization" not in headers:
                headers["Authorization"] = f"Bearer {token}"
                continue
            raise DockyardError(
                f"{image.registry} answered {exc.code} for {ref}",
                hint="check the image name and tag; private registries need `docker login` "
                "credentials, which base.bump does not read yet",
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DockyardError(
                f"cannot reach the registry {image.registry} for {ref} ({exc})",
                hint="base.bump needs the registry that serves the base image; without one, keep "
                "the current pins",
            ) from exc
    raise DockyardError(f"{image.registry} refused an anonymous token for {ref}")


def read_lock(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        image, _, digest = text.partition(" ")
        if not _DIGEST.match(digest.strip()):
            raise InputError(f"not `IMAGE sha256:DIGEST`: {line!r}", path=str(path), line=number)
        pins[image] = digest.strip()
    return pins


def lock_text(pins: Mapping[str, str]) -> str:
    head = "# Base images pinned by digest; `dockyard base.bump` refreshes them.\n"
    return head + "".join(f"{image} {digest}\n" for image, digest in sorted(pins.items()))


def pinned(image: str, pins: Mapping[str, str]) -> str:
    """``image@digest`` when the lock pins it (a reference that already has a digest is kept)."""
    if "@" in image or image not in pins:
        return image
    return f"{image}@{pins[image]}"
