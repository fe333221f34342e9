"""Image references, the digest lock and pinning (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import digests
from dockyard.errors import InputError

D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag"),
    [
        ("python:3.11-slim", "registry-1.docker.io", "library/python", "3.11-slim"),
        ("python", "registry-1.docker.io", "library/python", "latest"),
        ("docker.io/library/python:3.12", "registry-1.docker.io", "library/python", "3.12"),
        ("bitnami/python:3.11", "registry-1.docker.io", "bitnami/python", "3.11"),
        ("localhost:5000/team/base:1", "localhost:5000", "team/base", "1"),
        ("ghcr.io/org/img", "ghcr.io", "org/img", "latest"),
    ],
)
def test_parse_ref(ref: str, registry: str, repository: str, tag: str) -> None:
    image = digests.parse_ref(ref)
    assert (image.registry, image.repository, image.tag) == (registry, repository, tag)


def test_loopback_is_plain_http() -> None:
    assert digests.parse_ref("localhost:5000/a:1").base_url == "http://localhost:5000/v2/a"
    assert digests.parse_ref("127.0.0.1:5000/a:1").insecure
    assert digests.parse_ref("python:3.11").base_url.startswith("https://registry-1.docker.io/")


def test_lock_round_trip_and_pinning(tmp_path: Path) -> None:
    lock = tmp_path / "base-images.lock"
    lock.write_text(digests.lock_text({"python:3.11-slim": D1, "b:1": D2}))
    pins = digests.read_lock(lock)
    assert pins == {"python:3.11-slim": D1, "b:1": D2}
    assert digests.pinned("python:3.11-slim", pins) == f"python:3.11-slim@{D1}"
    assert digests.pinned("other:1", pins) == "other:1"
    assert digests.pinned(f"x@{D2}", pins) == f"x@{D2}"
    assert digests.read_lock(tmp_path / "missing") == {}


def test_bad_lock_line_names_file_and_line(tmp_path: Path) -> None:
    lock = tmp_path / "base-images.lock"
    lock.write_text(f"# pins\npython:3.11 {D1}\npython:3.12 latest\n")
    with pytest.raises(InputError, match=r"base-images.lock:3"):
        digests.read_lock(lock)
