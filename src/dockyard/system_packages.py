"""The runtime library a ``-dev`` package stands for, from Debian's own package metadata.

``apt-cache show`` in a container of the base image gives each ``-dev`` package's Depends; the
shared library it builds against is the dependency pinned to the same version (``libpq-dev``
Depends ``libpq5 (= 15.8-0+deb12u1)``). Answers are cached per base image in the state directory.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard import image_cache, process
from dockyard.errors import DockyardError

CACHE_FILE = "system-packages.json"
SCHEMA = 1
_DEP = re.compile(r"^\s*([a-z0-9][a-z0-9.+-]*)(?::[a-z0-9]+)?\s*(?:\(\s*([<>=]+)\s*([^)]+)\))?")


@dataclass(frozen=True, kw_only=True)
class Dependency:
    name: str
    op: str | None = None
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class Package:
    name: str
    version: str
    depends: tuple[Dependency, ...]


def show_argv(docker: str, image: str, packages: Sequence[str]) -> list[str]:
    """``apt-cache show`` of ``packages`` in a throwaway container of ``image`` (after an update)."""
    script = "apt-get update -qq >/dev/null && apt-cache show --no-all-versions " + shlex.join(packages)
    return [
        docker, "run",
        "--rm",
        "--user", "0",
        "--entrypoint", "sh",
        image,
        "-c", script,
    ]  # fmt: skip


def parse_show(text: str) -> dict[str, Package]:
    """Stanzas of ``apt-cache show`` output, by package name (the first stanza of a name wins)."""
    found: dict[str, Package] = {}
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in {" ", "\t"} and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        name = fields.get("Package")
        if not name or name in found:
            continue
        depends = tuple(
            _dependency(alternatives.split("|")[0])
            for alternatives in fields.get("Depends", "").split(",")
            if alternatives.strip()
        )
        found[name] = Package(name=name, version=fields.get("Version", ""), depends=depends)
    return found


def _dependency(text: str) -> Dependency:
    match = _DEP.match(text)
    if not match:
        return Dependency(name=text.strip())
    return Dependency(name=match.group(1), op=match.group(2), version=(match.group(3) or "").strip() or None)


def runtime_libraries(dev: str, packages: Mapping[str, Package], depth: int = 3) -> tuple[str, ...] | None:
    """The libraries ``dev`` links against at run time: its Depends pinned to its own version that
    are not themselves ``-dev`` (nor Debian's Python). None when ``dev`` is not in ``packages``.
    A ``-dev`` package without such a pin (``default-libmysqlclient-dev``) stands for what its
    ``-dev`` dependencies stand for, followed ``depth`` levels down."""
    package = packages.get(dev)
    if package is None:
        return None
    found = [d.name for d in package.depends if _is_runtime_pin(d)]
    if not found and depth > 0:
        for dep in package.depends:
            if "-dev" in dep.name:
                found += runtime_libraries(dep.name, packages, depth - 1) or ()
    return tuple(dict.fromkeys(found))


def _is_runtime_pin(dep: Dependency) -> bool:
    return (
        dep.op == "="
        and "-dev" not in dep.name
        and not dep.name.endswith(("-doc", "-common"))
        and not dep.name.startswith(("python", "libpython"))
    )


def unresolved_dev(packages: Mapping[str, Package], devs: Iterable[str]) -> tuple[str, ...]:
    """``-dev`` dependencies still to look up for ``devs`` that have no same-version runtime pin."""
    more: list[str] = []
    for dev in devs:
        package = packages.get(dev)
        if package is None or any(_is_runtime_pin(d) for d in package.depends):
            continue
        for dep in package.depends:
            if "-dev" in dep.name:
                more += [dep.name] if dep.name not in packages else list(unresolved_dev(packages, [dep.name]))
    return tuple(dict.fromkeys(more))


# --- the cache and the query ---------------------------------------------------------------------------


def load_cache(state: Path, image: str) -> dict[str, tuple[str, ...]]:
    entries = image_cache.read(state / CACHE_FILE, SCHEMA)["images"].get(image, {})
    if not isinstance(entries, dict):
        return {}
    return {str(k): tuple(str(x) for x in v) for k, v in entries.items() if isinstance(v, list)}


def save_cache(state: Path, image: str, answers: Mapping[str, Sequence[str]]) -> None:
    path = state / CACHE_FILE
    data = image_cache.read(path, SCHEMA)
    data["images"].setdefault(image, {}).update({k: list(v) for k, v in answers.items()})
    image_cache.write(path, data)


def resolve(docker: str | None, image: str, devs: Sequence[str], state: Path) -> dict[str, tuple[str, ...]]:
    """Runtime libraries of each of ``devs``, from the cache or a query in ``image``. Without
    ``docker`` only cached answers come back; a package apt does not know maps to ``()``."""
    cached = load_cache(state, image)
    todo = [d for d in devs if d not in cached]
    if not todo or docker is None:
        return {d: cached[d] for d in devs if d in cached}
    packages = _query(docker, image, todo)
    for _ in range(2):  # -dev packages that only depend on other -dev packages: look those up too
        more = unresolved_dev(packages, todo)
        if not more:
            break
        packages |= {k: v for k, v in _query(docker, image, more).items() if k not in packages}
    answers = {d: runtime_libraries(d, packages) or () for d in todo}
    save_cache(state, image, answers)
    return cached | answers


def _query(docker: str, image: str, packages: Sequence[str]) -> dict[str, Package]:
    result = process.run(show_argv(docker, image, packages), check=False, echo=False)
    if result.returncode != 0 and not result.stdout.strip():
        raise DockyardError(
            f"cannot read the package metadata of {', '.join(packages)} in {image}:\n{result.stderr[-1500:]}",
            hint="check that containers reach the Debian mirror, or set runtime_packages in [tool.dockyard]",
        )
    return parse_show(result.stdout)
