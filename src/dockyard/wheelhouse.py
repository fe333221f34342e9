"""The wheelhouse: wheels for the locked requirements, built once for the target image and reused.

**What.** ``invoke wheels`` fills ``.wheelhouse/`` in the project with one *wheel set* per thing the
generated Dockerfile installs: ``installer`` (uv itself, when the installer is uv), one set per lock
(``base``, ``ml``, ``dev``, ``test``, named after ``requirements/<set>.txt``) and ``build-system`` (the
project's ``[build-system] requires``, when the Dockerfile installs the project). With the wheelhouse in
use (:func:`use`), every install step of the Dockerfile bind-mounts its set at ``/wheels`` and installs
with ``--no-index --find-links /wheels``: no step needs a package index, and none needs a compiler (the
apt build packages are left out of the builder stage).

**Where the wheels are built.** In a small generated Dockerfile (:func:`builder_dockerfile`) that starts
from the same base image, installs the same apt build packages, and runs ``python -m pip wheel`` once
per set, each set in its own stage (they build in parallel and are cached apart). BuildKit exports the
result with ``--output type=local`` (:class:`~dockyard.engine.builders.BuildRequest` ``output``), so no
image or container is left behind. Same image, same Python, same platform: the wheels match the target
by construction. pip copies a binary wheel that PyPI publishes for the target unchanged, and builds a
wheel from the sdist only when there is none. The builder's context and Dockerfile are kept in
``<state_dir>/wheelhouse-build/`` to read; its log goes beside the other build logs.

**Key.** Each set has its own key: SHA-256 over the set's input bytes (the lock file as it is on disk),
the base image ID and platform (``docker image inspect``), the apt build packages and :data:`RECIPE`
(bumped when the builder changes). It is stored in the set's ``wheelhouse.json`` manifest, written last,
so a set is either complete or missing. A set whose key matches is reused ("up to date"); otherwise it is
rebuilt and swapped into place (``--force`` rebuilds every set, without the layer cache; pip's download
cache is still used, and the files it serves are hash-checked). One set per lock keeps the Dockerfile's
layering: a change to ``ml.txt`` rebuilds and invalidates only the ``ml`` set and the steps after it.

**Hash checking stays valid.** The project locks pin every file by ``--hash``. ``pip wheel
--require-hashes`` checks every file it downloads against the lock, sdists included. A downloaded wheel is
the very file the lock names, so its hash is already there. A wheel built here from an sdist is a new file
with a new hash, so each set gets a *wheelhouse lock*, ``<set>/requirements.txt``: the project lock
byte for byte, plus one ``--hash=sha256:...`` line on each requirement whose wheel was built here
(:func:`wheelhouse_lock`). The install step runs ``--require-hashes -r /wheels/requirements.txt``: every
wheel it installs still matches a hash, either the lock's own or that of a wheel built from an sdist
whose lock hash pip checked. The trust chain is lock -> sdist -> wheel, and the extra hash is never
anything but a wheel built in the builder from a checked sdist. So that a wheelhouse lock cannot silently
outlive its project lock, each set also holds ``lock.sha256`` (the project lock's checksum in
``sha256sum`` format) and the step runs ``sha256sum -c`` on the project lock, bind-mounted as before,
before installing: if they differ, the build fails and says to run ``invoke wheels``.
``installer`` and ``build-system`` are not hash-checked, as they are not without a wheelhouse either.

**Location.** ``.wheelhouse/`` at the project's top: it must be in the build context (bind mounts read
from it), so not under ``.dockyard/``, which ``.dockerignore`` leaves out. Its leading dot keeps it out of
the runtime image's COPY list and out of setuptools' flat-layout package discovery (a ``wheelhouse/``
directory would be found as a second top-level package). A ``.gitignore`` inside keeps it out of git.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
import shutil
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from dockyard import process
from dockyard.engine import Engine
from dockyard.engine.build import build_failure, log_path_for, stream_build
from dockyard.engine.builders import BuildRequest
from dockyard.engine.cli import image_inspect_argv
from dockyard.engine.progress import Step
from dockyard.errors import DockyardError, InputError
from dockyard.render import writer
from dockyard.render.dockerfile import (
    BUILD_SYSTEM_SET,
    INSTALLER_SET,
    LOCK_CHECKSUM,
    WHEELHOUSE_LOCK,
    DockerfilePlan,
    lock_mount_target,
    wheel_set_name,
)

DIRNAME = ".wheelhouse"
MANIFEST = "wheelhouse.json"
SCHEMA = 1
#: Part of every key: bump it when the builder changes in a way that changes the wheels.
RECIPE = 1
#: The wheel builder's context, Dockerfile and export area, inside the state directory.
BUILD_DIR = "wheelhouse-build"
EXPORT_DIR = "wheelhouse-export"
EXPORT_STAGE = "wheelhouse"
#: 1980-01-01, the earliest time a zip can hold: wheels built from sdists get the same bytes each time.
SOURCE_DATE_EPOCH = 315532800
GITIGNORE = "# dockyard's wheelhouse: built by `invoke wheels` from the locks; not for git.\n*\n"
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0",)  # PEP 517's fallback for a [build-system] without it

_HASH = re.compile(r"--hash[=\s]+sha256:([0-9a-fA-F]{64})")
_NAME = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)")


class Origin(enum.StrEnum):
    """Where a wheel in a set came from."""

    LOCK = "lock"  # downloaded: the lock lists its hash
    BUILT = "built"  # built here from an sdist the lock lists; its hash is added to the wheelhouse lock
    UNHASHED = "unhashed"  # a set without hashes (installer, build-system)


class State(enum.StrEnum):
    UP_TO_DATE = "up to date"
    MISSING = "missing"
    STALE = "stale"


@dataclass(frozen=True, kw_only=True)
class WheelSet:
    """One directory of the wheelhouse and the requirements it is built from."""

    name: str
    data: bytes  # the requirements given to ``pip wheel``, as the file is on disk
    source: str  # where they come from, e.g. requirements/ml.txt
    hashed: bool  # a lock with --hash lines: pip checks them and a wheelhouse lock is written

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @property
    def input_name(self) -> str:
        return f"{self.name}.txt"


@dataclass(frozen=True, kw_only=True)
class BaseImage:
    ref: str
    id: str
    platform: str  # os/architecture[/variant]


@dataclass(frozen=True, kw_only=True)
class Wheel:
    file: str
    sha256: str
    origin: Origin


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """``<set>/wheelhouse.json``: what a set was built from, and what it holds."""

    set: str
    key: str
    source: str
    source_sha256: str
    base_image: str
    base_image_id: str
    platform: str
    wheels: tuple[Wheel, ...]
    schema: int = SCHEMA

    def to_json(self) -> str:
        data = {
            "schema": self.schema,
            "set": self.set,
            "key": self.key,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "base_image": self.base_image,
            "base_image_id": self.base_image_id,
            "platform": self.platform,
            "wheels": [{"file": w.file, "sha256": w.sha256, "origin": str(w.origin)} for w in self.wheels],
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest | None:
        """The manifest, or None when it is unreadable or of another schema (then the set is rebuilt)."""
        try:
            data = json.loads(text)
            if data.get("schema") != SCHEMA:
                return None
            wheels = tuple(
                Wheel(file=str(w["file"]), sha256=str(w["sha256"]), origin=Origin(w["origin"]))
                for w in data["wheels"]
            )
            return cls(
                set=str(data["set"]),
                key=str(data["key"]),
                source=str(data["source"]),
                source_sha256=str(data["source_sha256"]),
                base_image=str(data["base_image"]),
                base_image_id=str(data["base_image_id"]),
                platform=str(data["platform"]),
                wheels=wheels,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    @property
    def built(self) -> tuple[str, ...]:
        return tuple(w.file for w in self.wheels if w.origin is Origin.BUILT)


@dataclass(frozen=True, kw_only=True)
class SetStatus:
    set: WheelSet
    state: State
    reason: str
    manifest: Manifest | None = None


@dataclass(frozen=True, kw_only=True)
class Status:
    directory: Path
    image: BaseImage | None
    sets: tuple[SetStatus, ...]

    @property
    def up_to_date(self) -> bool:
        return all(s.state is State.UP_TO_DATE for s in self.sets)

    @property
    def stale(self) -> tuple[WheelSet, ...]:
        return tuple(s.set for s in self.sets if s.state is not State.UP_TO_DATE)

    def rows(self) -> list[tuple[str, str, str]]:
        return [
            (s.set.name, s.set.source, f"{s.state}: {s.reason}" if s.reason else str(s.state))
            for s in self.sets
        ]


@dataclass(frozen=True, kw_only=True)
class Report:
    before: Status
    after: Status
    built: tuple[Manifest, ...]
    seconds: float
    log_path: Path | None

    def rows(self) -> list[tuple[str, str, str]]:
        """One row per set: reused, or built (how many wheels, how many from sdists) and why."""
        built = {m.set: m for m in self.built}
        table = []
        for before in self.before.sets:
            manifest = built.get(before.set.name)
            if manifest is None:
                count = len(before.manifest.wheels) if before.manifest else 0
                what = f"reused {count}"
            else:
                sdists = f", {len(manifest.built)} from sdists" if manifest.built else ""
                why = before.reason or ("--force" if before.state is State.UP_TO_DATE else before.state)
                what = f"built {len(manifest.wheels)}{sdists} ({why})"
            table.append((before.set.name, before.set.source, what))
        return table


# --- what goes in ------------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_requires(project: Path) -> tuple[str, ...]:
    """The project's ``[build-system] requires`` (what building it from /src needs)."""
    path = project / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read [build-system]: {exc}", path=str(path)) from exc
    requires = data.get("build-system", {}).get("requires", list(DEFAULT_BUILD_REQUIRES))
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise InputError("[build-system] requires must be a list of strings", path=str(path))
    return tuple(requires)


def wheel_sets(plan: DockerfilePlan, project: Path) -> tuple[WheelSet, ...]:
    """The sets the Dockerfile of ``plan`` installs from, in the order it installs them."""
    sets: list[WheelSet] = []
    if plan.installer == "uv":
        pin = f"uv=={plan.uv_version}\n".encode()
        sets.append(WheelSet(name=INSTALLER_SET, data=pin, source="uv (the installer)", hashed=False))
    for lock in (*plan.runtime_locks, *plan.dev_locks):
        path = project / lock
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the lock: {exc.strerror}", path=str(path)) from exc
        sets.append(WheelSet(name=wheel_set_name(lock), data=data, source=lock, hashed=True))
    if plan.install_project:
        data = "".join(f"{r}\n" for r in build_requires(project)).encode()
        sets.append(
            WheelSet(name=BUILD_SYSTEM_SET, data=data, source="[build-system] requires", hashed=False)
        )
    names = [s.name for s in sets]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise InputError(
            f"two locks share a file name ({', '.join(clash)}): each needs its own wheel set",
            hint="give the lock files distinct names",
        )
    return tuple(sets)


def parse_base_image(ref: str, text: str) -> BaseImage:
    """``docker image inspect --format '{{json .}}'`` output -> the image's ID and platform."""
    data = json.loads(text)
    if isinstance(data, list):
        data = data[0]
    parts = [str(data.get("Os") or "linux"), str(data.get("Architecture") or "")]
    if data.get("Variant"):
        parts.append(str(data["Variant"]))
    return BaseImage(ref=ref, id=str(data["Id"]), platform="/".join(parts))


def inspect_base_image(docker: str, ref: str) -> BaseImage | None:
    """The base image as the daemon has it, or None when it is not there (the build will pull it)."""
    result = process.run(image_inspect_argv(docker, ref), check=False, echo=False)
    return parse_base_image(ref, result.stdout) if result.returncode == 0 else None


def set_key(wheel_set: WheelSet, image: BaseImage, apt_packages: Sequence[str]) -> str:
    payload = {
        "schema": SCHEMA,
        "recipe": RECIPE,
        "set": wheel_set.name,
        "hashed": wheel_set.hashed,
        "input": sha256_hex(wheel_set.data),
        "image": image.id,
        "platform": image.platform,
        "apt": sorted(apt_packages),
    }
    return sha256_hex(json.dumps(payload, sort_keys=True).encode())


# --- status ---------------------------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest | None:
    try:
        return Manifest.from_json((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def set_status(
    wheel_set: WheelSet, directory: Path, image: BaseImage | None, apt_packages: Sequence[str]
) -> SetStatus:
    manifest = read_manifest(directory)
    if manifest is None:
        return SetStatus(set=wheel_set, state=State.MISSING, reason="")
    reason = _stale_because(wheel_set, manifest, directory, image, apt_packages)
    state = State.STALE if reason else State.UP_TO_DATE
    return SetStatus(set=wheel_set, state=state, reason=reason, manifest=manifest)


def _stale_because(
    wheel_set: WheelSet,
    manifest: Manifest,
    directory: Path,
    image: BaseImage | None,
    apt_packages: Sequence[str],
) -> str:
    """Why a set with a manifest must be rebuilt; empty when it is up to date."""
    if image is None:
        return "base image not present locally"
    if manifest.key == set_key(wheel_set, image, apt_packages):
        missing = [w.file for w in manifest.wheels if not (directory / w.file).is_file()]
        return f"{missing[0]} is gone" if missing else ""
    if manifest.source_sha256 != sha256_hex(wheel_set.data):
        return f"{wheel_set.source} changed"
    if manifest.base_image_id != image.id:
        return f"base image {image.ref} changed"
    if manifest.platform != image.platform:
        return f"platform is now {image.platform}"
    return "build packages or dockyard's wheel builder changed"


def status(plan: DockerfilePlan, project: Path, docker: str) -> Status:
    """How each set of ``project``'s wheelhouse compares with what ``plan`` installs."""
    image = inspect_base_image(docker, plan.base_image)
    directory = project / DIRNAME
    sets = tuple(
        set_status(s, directory / s.name, image, plan.apt_build_packages) for s in wheel_sets(plan, project)
    )
    return Status(directory=directory, image=image, sets=sets)


def use(plan: DockerfilePlan, *, offline: bool = True) -> DockerfilePlan:
    """``plan`` installing from the wheelhouse (offline: from nothing else)."""
    return replace(plan, wheelhouse=DIRNAME, offline=offline)


# --- the builder ----------------------------------------------------------------------------------------


def stage_name(wheel_set: WheelSet) -> str:
    return f"set-{wheel_set.name}"


def wheel_command(wheel_set: WheelSet) -> list[str]:
    argv = ["python", "-m", "pip", "wheel", "--disable-pip-version-check"]
    if wheel_set.hashed:
        # each phase-1 lock holds only the packages its layer adds: the earlier layers hold the rest
        argv += ["--require-hashes", "--no-deps"]
    return [*argv, "--wheel-dir", "/wheels", "-r", f"/tmp/{wheel_set.input_name}"]


def builder_dockerfile(
    sets: Sequence[WheelSet], *, base_image: str, apt_packages: Sequence[str] = (), syntax: str = ""
) -> str:
    """The wheel builder: the target's base image and build packages, one stage per set, one export stage."""
    lines = [f"# syntax={syntax}"] if syntax else []
    lines += [
        "# dockyard's wheel builder (`invoke wheels`): wheels for the locked requirements, built in the",
        "# base image of the generated Dockerfile and exported with `--output type=local`, a stage per set.",
        f"ARG PYTHON_IMAGE={base_image}",
        "",
        "FROM ${PYTHON_IMAGE} AS toolchain",
    ]
    if apt_packages:
        lines += [
            "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\",
            "    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\",
            "    rm -f /etc/apt/apt.conf.d/docker-clean \\",
            "    && apt-get update \\",
            f"    && apt-get install -y --no-install-recommends {' '.join(apt_packages)}",
        ]
    lines += [f"ENV SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH}"]
    for wheel_set in sets:
        lines += [
            "",
            f"FROM toolchain AS {stage_name(wheel_set)}",
            "RUN --mount=type=cache,target=/root/.cache/pip \\",
            f"    --mount=type=bind,source={wheel_set.input_name},target=/tmp/{wheel_set.input_name} \\",
            "    mkdir -p /wheels \\",
            f"    && {' '.join(wheel_command(wheel_set))}",
        ]
    lines += ["", f"FROM scratch AS {EXPORT_STAGE}"]
    lines += [f"COPY --from={stage_name(s)} /wheels /{s.name}" for s in sets]
    return "\n".join(lines) + "\n"


def export_request(context: Path, dest: Path, *, no_cache: bool = False) -> BuildRequest:
    return BuildRequest(
        context=context,
        dockerfile=context / "Dockerfile",
        target=EXPORT_STAGE,
        output=f"type=local,dest={dest}",
        no_cache=no_cache,
    )


# --- the wheelhouse lock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str  # canonical
    first: int  # index of the requirement's first line
    last: int  # index of its last (continuation) line
    hashes: frozenset[str]


def _entries(lines: Sequence[str]) -> Iterator[_Entry]:
    """The requirements of a lock text: name and sha256 hashes of each logical line."""
    index = 0
    while index < len(lines):
        first = index
        while lines[index].rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
        line = lines[first]
        match = _NAME.match(line)
        if match and not line[0].isspace():
            logical = " ".join(lines[first : index + 1])
            hashes = frozenset(h.lower() for h in _HASH.findall(logical))
            yield _Entry(canonicalize_name(match.group(1)), first, index, hashes)
        index += 1


def wheel_file_name(file: str) -> str:
    try:
        return canonicalize_name(parse_wheel_filename(file)[0])
    except InvalidWheelFilename as exc:
        raise DockyardError(f"the wheel builder produced {file!r}, which is not a wheel's name") from exc


def wheelhouse_lock(
    lock_text: str, wheels: Sequence[tuple[str, str]], *, source: str
) -> tuple[str, tuple[Wheel, ...]]:
    """The lock plus a ``--hash`` for each wheel (file name, sha256) that is not one the lock lists.

    Such a wheel was built from an sdist whose hash pip checked against this lock. Nothing else changes:
    every line of the lock stays as it is, so its own hashes keep their meaning.
    """
    lines = lock_text.splitlines()
    entries = {entry.name: entry for entry in _entries(lines)}
    added: dict[int, list[str]] = {}
    found: list[Wheel] = []
    for file, digest in sorted(wheels):
        entry = entries.get(wheel_file_name(file))
        if entry is None:
            raise DockyardError(
                f"the wheel builder produced {file}, which {source} does not list",
                hint="pip wheel --require-hashes should not allow this; rebuild with `invoke wheels --force`",
            )
        if digest.lower() in entry.hashes:
            found.append(Wheel(file=file, sha256=digest, origin=Origin.LOCK))
            continue
        found.append(Wheel(file=file, sha256=digest, origin=Origin.BUILT))
        added.setdefault(entry.last, []).append(f"    --hash=sha256:{digest}")
    out = [
        f"# dockyard's wheelhouse lock: {source} as it is, plus a --hash for each wheel built in the",
        "# wheel builder from an sdist whose hash pip checked against that lock (see wheelhouse.json).",
    ]
    for index, line in enumerate(lines):
        extra = added.get(index)
        if extra is None:
            out.append(line)
            continue
        out.append(re.split(r"\s+#", line, maxsplit=1)[0].rstrip() + " \\")
        out += [f"{h} \\" for h in extra[:-1]] + [extra[-1]]
    return "\n".join(out) + "\n", tuple(found)


def checksum_line(wheel_set: WheelSet) -> str:
    """``sha256sum -c`` input: the project lock where the install step mounts it."""
    return f"{sha256_hex(wheel_set.data)}  {lock_mount_target(wheel_set.source)}\n"


# --- building -------------------------------------------------------------------------------------------


def _scan(directory: Path) -> list[tuple[str, str]]:
    return [(p.name, sha256_hex(p.read_bytes())) for p in sorted(directory.glob("*.whl"))]


def finish_set(wheel_set: WheelSet, directory: Path, *, key: str, image: BaseImage) -> Manifest:
    """Write the wheelhouse lock, checksum and (last) manifest into an exported set directory."""
    directory.mkdir(parents=True, exist_ok=True)
    scanned = _scan(directory)
    if wheel_set.hashed:
        text, wheels = wheelhouse_lock(wheel_set.text, scanned, source=wheel_set.source)
        writer.atomic_write_text(directory / WHEELHOUSE_LOCK, text)
        writer.atomic_write_text(directory / LOCK_CHECKSUM, checksum_line(wheel_set))
    else:
        wheels = tuple(Wheel(file=f, sha256=d, origin=Origin.UNHASHED) for f, d in scanned)
        writer.atomic_write_bytes(directory / WHEELHOUSE_LOCK, wheel_set.data)
    manifest = Manifest(
        set=wheel_set.name,
        key=key,
        source=wheel_set.source,
        source_sha256=sha256_hex(wheel_set.data),
        base_image=image.ref,
        base_image_id=image.id,
        platform=image.platform,
        wheels=wheels,
    )
    writer.atomic_write_text(directory / MANIFEST, manifest.to_json())
    return manifest


def _swap_in(new: Path, dest: Path) -> None:
    """Replace the set directory ``dest`` with ``new`` (same filesystem): old or new, never a mix."""
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    if dest.exists():
        dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def _tidy(wheelhouse: Path, export: Path) -> None:
    """Remove what an interrupted run left: the export area and swapped-out sets."""
    shutil.rmtree(export, ignore_errors=True)
    for left in wheelhouse.glob(".*.old-*"):
        shutil.rmtree(left, ignore_errors=True)


def write_context(context: Path, sets: Sequence[WheelSet], dockerfile: str) -> None:
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    for wheel_set in sets:
        (context / wheel_set.input_name).write_bytes(wheel_set.data)
    (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")


def run_export(
    engine: Engine, request: BuildRequest, *, on_step: Callable[[Step], None] | None = None
) -> Path:
    """Run the export build, keep its log; raise :class:`BuildFailed` naming the failing step."""
    engine.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path_for(engine.log_dir, "wheelhouse")
    argv = engine.builder.argv(engine.docker, request)
    returncode, parser = stream_build(argv, engine.builder.env(), log_path=log_path, on_step=on_step)
    if returncode != 0:
        raise build_failure(
            argv,
            returncode,
            parser,
            log_path,
            failed_at="the wheel build failed at",
            failed_early="the wheel build failed",
        )
    return log_path


def build(
    engine: Engine,
    plan: DockerfilePlan,
    project: Path,
    *,
    state_dir: str = ".dockyard",
    force: bool = False,
    on_step: Callable[[Step], None] | None = None,
) -> Report:
    """Bring the wheelhouse up to date for ``plan``: rebuild the sets whose key differs (``force``: all)."""
    started = time.monotonic()
    before = status(plan, project, engine.docker)
    todo = tuple(s.set for s in before.sets) if force else before.stale
    if not todo:
        return Report(
            before=before, after=before, built=(), seconds=time.monotonic() - started, log_path=None
        )
    wheelhouse = before.directory
    context = project / state_dir / BUILD_DIR
    export = project / state_dir / EXPORT_DIR
    _tidy(wheelhouse, export)
    text = builder_dockerfile(
        todo, base_image=plan.base_image, apt_packages=plan.apt_build_packages, syntax=plan.syntax
    )
    write_context(context, todo, text)
    log_path = run_export(engine, export_request(context, export, no_cache=force), on_step=on_step)
    # Built from the image the daemon has now (pulled by the build if it was missing).
    image = inspect_base_image(engine.docker, plan.base_image)
    if image is None:
        raise DockyardError(f"{plan.base_image} is gone after the wheel build", hint="run again")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    writer.atomic_write_text(wheelhouse / ".gitignore", GITIGNORE)
    built = []
    for wheel_set in todo:
        key = set_key(wheel_set, image, plan.apt_build_packages)
        built.append(finish_set(wheel_set, export / wheel_set.name, key=key, image=image))
        _swap_in(export / wheel_set.name, wheelhouse / wheel_set.name)
    shutil.rmtree(export, ignore_errors=True)
    after = status(plan, project, engine.docker)
    return Report(
        before=before, after=after, built=tuple(built), seconds=time.monotonic() - started, log_path=log_path
    )
