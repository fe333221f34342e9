"""The image-layer check on a ``docker save`` archive made here with tarfile (docker's layout:
manifest.json, the config with its history, one tar per layer)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping
from pathlib import Path

from dockyard.scan import layers

KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _tar(files: Mapping[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def saved_image(path: Path, layer_files: list[dict[str, bytes | None]], history: list[dict]) -> Path:
    members = {f"l{i}/layer.tar": _tar(files) for i, files in enumerate(layer_files)}
    config = {"history": history, "rootfs": {"type": "layers"}}
    members["cfg.json"] = json.dumps(config).encode()
    members["manifest.json"] = json.dumps(
        [{"Config": "cfg.json", "Layers": [m for m in members if m.startswith("l")]}]
    ).encode()
    path.write_bytes(_tar(members))
    return path


def test_finds_what_must_not_ship_with_its_layer(tmp_path: Path) -> None:
    archive = saved_image(
        tmp_path / "image.tar",
        [
            {"etc/": None, "etc/ssl/certs/ca.pem": CERT, "usr/lib/python3/x.py": b"print(1)\n"},
            {"app/": None, "app/.env": b"TOKEN=1\n", "app/.env.example": b"TOKEN=\n", "app/deploy_key": KEY,
             "app/.git/": None, "app/.git/config": b"[core]\n", "app/.git/HEAD": b"ref\n",
             "root/.aws/credentials": b"[default]\n", "home/u/.ssh/id_ed25519.pub": b"ssh-ed25519 AAA\n"},
            {"app/.wh..env": b""},
        ],
        [
            {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": "/bin/sh -c #(nop)  CMD [\"python\"]", "empty_layer": True},
            {"created_by": "COPY . /app # buildkit"},
            {"created_by": "RUN rm /app/.env"},
        ],
    )  # fmt: skip
    found = layers.scan_archive(archive)
    got = [(f.code, f.file, f.level, f.layer and f.layer.split(":")[0]) for f in found]
    assert got == [
        ("dotenv", "/app/.env", "high", "2"),
        ("private-key", "/app/deploy_key", "critical", "2"),
        ("git-directory", "/app/.git", "high", "2"),
        ("cloud-credentials", "/root/.aws/credentials", "critical", "2"),
    ]
    assert "shipped in layer 2 (COPY . /app # buildkit)" in found[0].message
    assert found[1].layer == "2:l1/layer.tar"


def _rule(path: str) -> str:
    matched = layers.match_name(path)
    assert matched is not None, path
    return matched[0]


def test_name_rules() -> None:
    assert _rule("app/.env.production") == "dotenv"
    assert layers.match_name("app/.env.sample") is None
    assert _rule("home/u/.ssh/id_rsa") == "private-key"
    assert layers.match_name("home/u/.ssh/id_rsa.pub") is None
    assert _rule("root/.config/gcloud/credentials.db") == "cloud-credentials"
    assert layers.match_name("app/my.aws/credentials") is None
    assert layers.git_dir("srv/repo/.git/objects/ab") == "srv/repo/.git"
    assert layers.git_dir("srv/.github/workflows/x.yml") is None


def test_save_argv() -> None:
    assert layers.save_argv("docker", "img:tag", Path("o.tar")) == [
        "docker",
        "save",
        "--output",
        "o.tar",
        "img:tag",
    ]
