"""Whether every pinned requirement of the locks has a wheel for the image: then nothing compiles.

``uv pip compile --only-binary :all:`` on the locks, for the image's Python and Linux, resolves only
when each pin has a wheel. Compilers and ``-dev`` packages the original installed are then not needed
in the builder. The answer is cached in the state directory, keyed by the locks' contents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from dockyard import process
from dockyard.render.writer import atomic_write_text

CACHE_FILE = "binary-wheels.json"


def check_argv(uv: str, locks: Sequence[Path], *, python_version: str) -> list[str]:
    argv = [uv, "pip", "compile", "--quiet", "--no-header", "--only-binary", ":all:"]
    argv += ["--python-version", python_version, "--python-platform", "x86_64-manylinux_2_28"]
    return [*argv, *(str(lock) for lock in locks)]  # the resolution goes to stdout, unused


def key(locks: Sequence[Path], python_version: str) -> str:
    digest = hashlib.sha256(python_version.encode())
    for lock in locks:
        digest.update(lock.read_bytes())
    return digest.hexdigest()


def all_binary(locks: Sequence[Path], *, python_version: str, state: Path) -> bool:
    """True when every pin of ``locks`` has a wheel (asks uv once per content, then the cache)."""
    cache = state / CACHE_FILE
    wanted = key(locks, python_version)
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if wanted in known:
        return bool(known[wanted])
    uv = process.tool_path("uv") or "uv"
    answer = process.run(check_argv(uv, locks, python_version=python_version), check=False, echo=False)
    ok = answer.returncode == 0
    if not ok and "No solution found" not in answer.stderr:
        return False  # no answer (offline, index down): keep the build packages, ask again next time
    state.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cache, json.dumps({**known, wanted: ok}, indent=2, sort_keys=True) + "\n")
    return ok
