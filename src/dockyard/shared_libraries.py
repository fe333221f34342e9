"""System libraries a built virtual environment links against that the slim runtime base lacks.

An original built on the full ``python:X.Y`` image compiles against, and runs with, libraries that
image carries (``psycopg2`` from source needs ``libpq5``). ``ldd`` on every shared object of the
builder's environments, and ``dpkg -S`` on what it finds, name the Debian packages; those the runtime
base does not have are installed in it. Answers are cached in the state directory, keyed by inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from dockyard import process
from dockyard.errors import DockyardError
from dockyard.render.writer import atomic_write_text

CACHE_FILE = "shared-libraries.json"
SCHEMA = 1
#: Where the generated Dockerfile's builder and ml stages install.
ENVIRONMENTS = ("/opt/venv", "/opt/ml")

#: Run by ``sh`` in the builder image: ``package NAME`` for the Debian package of every library a
#: shared object of the environments resolves to (a library bundled in a wheel's ``.libs`` belongs to
#: none), ``missing SONAME`` for every library the image does not have at all.
PACKAGES_SCRIPT = r"""
find "$@" -type f -name '*.so*' 2>/dev/null | while read -r f; do ldd "$f" 2>/dev/null; done > /tmp/ldd.txt
awk '$2 == "=>" && $3 == "not" {print "missing " $1}' /tmp/ldd.txt | sort -u
awk '$2 == "=>" && substr($3, 1, 1) == "/" {print $3}' /tmp/ldd.txt | sort -u \
  | while read -r lib; do
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null \
        || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || true
    done \
  | sed -n 's/^\([^:,]*\)[:,].*/package \1/p' | sort -u
echo "-- done"
"""
#: Run by ``sh`` in an image: ``package NAME`` for each package that owns one of the sonames given.
OWNERS_SCRIPT = r"""
for soname in "$@"; do dpkg -S "*/$soname" 2>/dev/null | head -n 1; done \
  | sed -n 's/^\([^:,]*\)[:,].*/package \1/p' | sort -u
echo "-- done"
"""
#: Run by ``sh`` in the runtime base: its installed packages.
INSTALLED_SCRIPT = r"""dpkg-query -W -f 'package ${Package}\n'; echo "-- done" """


def _sh(docker: str, image: str, script: str, *args: str) -> list[str]:
    return [
        docker, "run",
        "--rm",
        "--user", "0",
        "--entrypoint", "sh",
        image,
        "-c", script,
        "sh", *args,
    ]  # fmt: skip


def packages_argv(docker: str, image: str) -> list[str]:
    return _sh(docker, image, PACKAGES_SCRIPT, *ENVIRONMENTS)


def owners_argv(docker: str, image: str, sonames: Sequence[str]) -> list[str]:
    return _sh(docker, image, OWNERS_SCRIPT, *sonames)


def installed_argv(docker: str, image: str) -> list[str]:
    return _sh(docker, image, INSTALLED_SCRIPT)


def parse(text: str) -> dict[str, tuple[str, ...]]:
    """``{"package": names, "missing": sonames}`` from a script's output; ValueError when the script
    did not reach its ``-- done`` marker."""
    lines = [line.strip() for line in text.splitlines()]
    if "-- done" not in lines:
        raise ValueError("the probe did not finish")
    found: dict[str, set[str]] = {"package": set(), "missing": set()}
    for line in lines[: lines.index("-- done")]:
        kind, _, value = line.partition(" ")
        if kind in found and value:
            found[kind].add(value.split(":")[0] if kind == "package" else value)
    return {k: tuple(sorted(v)) for k, v in found.items()}


#: Packages of the base system itself: every Debian image has them, a runtime never installs them.
_ESSENTIAL = frozenset(
    {"libc6", "libgcc-s1", "libstdc++6", "libpython3.11", "libpython3.12", "libpython3.13"}
)


def missing(needed: Iterable[str], installed: Iterable[str]) -> tuple[str, ...]:
    """What the environment links against and the runtime base does not have."""
    have = set(installed)
    return tuple(sorted(n for n in set(needed) if n not in have and n not in _ESSENTIAL))


def key(*, builder_image: str, runtime_image: str, locks: Sequence[Path], extra: str = "") -> str:
    """The inputs an answer holds for: both images, the locks' contents and the project's own setup."""
    digest = hashlib.sha256(f"{builder_image}\n{runtime_image}\n{extra}\n".encode())
    for lock in locks:
        digest.update(lock.read_bytes() if lock.is_file() else b"")
    return digest.hexdigest()


def cached(state: Path, wanted: str) -> tuple[str, ...] | None:
    """The packages found for ``wanted``, or None when it was never probed."""
    try:
        data = json.loads((state / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    found = data.get("answers", {}).get(wanted)
    return tuple(str(x) for x in found) if isinstance(found, list) else None


def save(state: Path, wanted: str, packages: Sequence[str]) -> None:
    path = state / CACHE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError
    except (OSError, ValueError):
        data = {"schema": SCHEMA, "answers": {}}
    data["answers"][wanted] = list(packages)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def probe(docker: str, *, builder: str, runtime_base: str, original_base: str | None) -> tuple[str, ...]:
    """The packages the environments in ``builder`` link against that ``runtime_base`` lacks. A
    library the builder does not have at all (a wheel built against the full image's system) is
    looked up in ``original_base``, the image the original ran on."""
    used = _run(docker, builder, packages_argv(docker, builder))
    needed = list(used["package"])
    if used["missing"] and original_base:
        needed += _run(docker, original_base, owners_argv(docker, original_base, used["missing"]))["package"]
    installed = _run(docker, runtime_base, installed_argv(docker, runtime_base))["package"]
    return missing(needed, installed)


def _run(docker: str, image: str, argv: Sequence[str]) -> dict[str, tuple[str, ...]]:
    result = process.run(argv, check=False, echo=False, timeout=600)
    try:
        return parse(result.stdout)
    except ValueError:
        raise DockyardError(
            f"cannot list the shared libraries' packages in {image}:\n{result.stderr[-1500:]}",
            hint="set runtime_packages in [tool.dockyard] to the Debian packages the application needs",
        ) from None
