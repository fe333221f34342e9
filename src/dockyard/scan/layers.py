"""Files that must never ship, looked for in every layer of the built image (``docker save``).

A file deleted by a later layer still ships in the layer that added it, so each layer is read on
its own. Paths are matched by name (``.env``, cloud credentials, ``.git``) and, for small files,
by content (a private key).
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dockyard import process
from dockyard.scan.model import Finding, ScanResult, ScanTarget

NAME = "image-layers"
CONTENT_LIMIT = 1 << 20  # files larger than this are matched by name only
HEAD_BYTES = 8192
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")

#: (rule, glob on the basename or on the path's tail, level, why)
RULES: tuple[tuple[str, str, str, str], ...] = (
    ("dotenv", ".env", "high", "an environment file, usually holding secrets"),
    ("dotenv", ".env.*", "high", "an environment file, usually holding secrets"),
    ("private-key", "id_rsa", "critical", "an SSH private key"),
    ("private-key", "id_dsa", "critical", "an SSH private key"),
    ("private-key", "id_ecdsa", "critical", "an SSH private key"),
    ("private-key", "id_ed25519", "critical", "an SSH private key"),
    ("cloud-credentials", ".aws/credentials", "critical", "AWS credentials"),
    ("cloud-credentials", ".aws/config", "high", "AWS configuration"),
    ("cloud-credentials", "application_default_credentials.json", "critical", "Google Cloud credentials"),
    ("cloud-credentials", ".config/gcloud/credentials.db", "critical", "Google Cloud credentials"),
    ("cloud-credentials", ".azure/accessTokens.json", "critical", "Azure credentials"),
    ("cloud-credentials", ".azure/msal_token_cache.json", "critical", "Azure credentials"),
    ("cloud-credentials", ".kube/config", "high", "a Kubernetes client configuration"),
    ("cloud-credentials", ".docker/config.json", "high", "registry credentials"),
    ("cloud-credentials", ".git-credentials", "critical", "git credentials"),
    ("cloud-credentials", ".netrc", "high", "login credentials"),
    ("cloud-credentials", ".pypirc", "high", "package index credentials"),
)
_NOT_SECRET = (".env.example", ".env.sample", ".env.template", "*.pub")


@dataclass(frozen=True)
class Layer:
    index: int  # 1-based, bottom first
    path: str  # the layer's member in the saved archive
    created_by: str  # the instruction that made it, from the image history


def save_argv(docker: str, image: str, out: Path) -> list[str]:
    return [docker, "save", "--output", str(out), image]


def _history(config: dict[str, Any]) -> list[str]:
    return [
        str(h.get("created_by", "")).replace("/bin/sh -c #(nop) ", "").strip()
        for h in config.get("history") or []
        if not h.get("empty_layer")
    ]


def layers(archive: tarfile.TarFile) -> list[Layer]:
    """The image's layers in order, from ``manifest.json`` (docker's and the OCI layout alike)."""
    manifest = json.load(_member(archive, "manifest.json"))[0]
    config = json.load(_member(archive, manifest["Config"]))
    made_by = _history(config)
    return [
        Layer(i + 1, path, made_by[i] if i < len(made_by) else "")
        for i, path in enumerate(manifest["Layers"])
    ]


def _member(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    handle = archive.extractfile(name)
    if handle is None:
        raise KeyError(name)
    return handle


def match_name(path: str) -> tuple[str, str, str] | None:
    """(rule, level, why) when the path's name alone says it must not ship."""
    name = posixpath.basename(path)
    if any(fnmatch.fnmatchcase(name, p) for p in _NOT_SECRET):
        return None
    for rule, pattern, level, why in RULES:
        if "/" in pattern:
            if path == pattern or path.endswith("/" + pattern):
                return rule, level, why
        elif fnmatch.fnmatchcase(name, pattern):
            return rule, level, why
    return None


def git_dir(path: str) -> str | None:
    """The ``.git`` directory a path lies in (or is), else None."""
    parts = path.split("/")
    if ".git" in parts:
        return "/".join(parts[: parts.index(".git") + 1])
    return None


def scan_layer(layer: Layer, stream: IO[bytes]) -> Iterator[Finding]:
    """Findings in one layer tar (read as a stream, once)."""
    seen_git: set[str] = set()
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            path = member.name.removeprefix("./").rstrip("/")
            name = posixpath.basename(path)
            if name.startswith(".wh."):
                continue  # a deletion marker: the file is still in the layer that added it
            where = f"layer {layer.index}" + (f" ({layer.created_by[:80]})" if layer.created_by else "")
            repo = git_dir(path)
            if repo is not None:
                if repo not in seen_git:
                    seen_git.add(repo)
                    yield _finding("git-directory", "high", f"/{repo}", layer, f"a git repository in {where}")
                continue
            if not member.isfile():
                continue
            named = match_name(path)
            if named:
                rule, level, why = named
                yield _finding(rule, level, f"/{path}", layer, f"{why}, shipped in {where}")
            elif member.size <= CONTENT_LIMIT and _has_private_key(tar, member):
                yield _finding(
                    "private-key", "critical", f"/{path}", layer, f"a private key, shipped in {where}"
                )


def _has_private_key(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bool:
    handle = tar.extractfile(member)
    return handle is not None and bool(_PRIVATE_KEY.search(handle.read(HEAD_BYTES)))


def _finding(rule: str, level: str, path: str, layer: Layer, message: str) -> Finding:
    return Finding(
        tool=NAME, code=rule, level=level, message=message, file=path, layer=f"{layer.index}:{layer.path}"
    )


def scan_archive(path: Path) -> tuple[Finding, ...]:
    """Every layer of a ``docker save`` archive."""
    found: list[Finding] = []
    with tarfile.open(path) as archive:
        for layer in layers(archive):
            found += scan_layer(layer, _member(archive, layer.path))
    return tuple(found)


@dataclass(frozen=True)
class ImageLayers:
    name: str = NAME

    def run(self, target: ScanTarget) -> ScanResult:
        if target.image is None or target.docker is None or target.work_dir is None:
            return ScanResult(tool=self.name, ran=False, skipped_because=target.image_skipped)
        archive = target.work_dir / "image.tar"
        process.run(save_argv(target.docker, target.image, archive), echo=False)
        return ScanResult(tool=self.name, ran=True, findings=scan_archive(archive))
