"""Building the wheelhouse: the builder run, each set checked, finished and swapped into place."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from dockyard import atomic
from dockyard.engine import Engine
from dockyard.engine.build import build_failure, log_path_for, stream_build
from dockyard.engine.builders import BuildRequest
from dockyard.engine.progress import Step
from dockyard.errors import DockyardError
from dockyard.layout import (
    LOCK_CHECKSUM,
    WHEELHOUSE_LOCK,
)
from dockyard.render.dockerfile import (
    DockerfilePlan,
)
from dockyard.wheelhouse.builder import builder_dockerfile, export_request
from dockyard.wheelhouse.inputs import inspect_base_image, platform_directory, set_key, sha256_hex, status
from dockyard.wheelhouse.lock import checksum_line, wheelhouse_lock
from dockyard.wheelhouse.model import (
    BUILD_DIR,
    DIRNAME,
    EXPORT_DIR,
    GITIGNORE,
    MANIFEST,
    BaseImage,
    Manifest,
    Origin,
    Report,
    Wheel,
    WheelSet,
)

# --- building -------------------------------------------------------------------------------------------


def _scan(directory: Path) -> list[tuple[str, str]]:
    return [(p.name, sha256_hex(p.read_bytes())) for p in sorted(directory.glob("*.whl"))]


def finish_set(wheel_set: WheelSet, directory: Path, *, key: str, image: BaseImage) -> Manifest:
    """Write the wheelhouse lock, checksum and (last) manifest into an exported set directory."""
    directory.mkdir(parents=True, exist_ok=True)
    scanned = _scan(directory)
    if wheel_set.hashed:
        text, wheels = wheelhouse_lock(wheel_set.text, scanned, source=wheel_set.source)
        atomic.atomic_write_text(directory / WHEELHOUSE_LOCK, text)
        atomic.atomic_write_text(directory / LOCK_CHECKSUM, checksum_line(wheel_set))
    else:
        wheels = tuple(Wheel(file=f, sha256=d, origin=Origin.UNHASHED) for f, d in scanned)
        atomic.atomic_write_bytes(directory / WHEELHOUSE_LOCK, wheel_set.data)
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
    atomic.atomic_write_text(directory / MANIFEST, manifest.to_json())
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
    platform: str | None = None,
) -> Report:
    """Bring ``platform``'s wheelhouse (None: the base image's own platform) up to date for ``plan``:
    rebuild the sets whose key differs (``force``: all), in the base image of that platform."""
    started = time.monotonic()
    before = status(plan, project, engine.docker, platform)
    todo = tuple(s.set for s in before.sets) if force else before.stale
    if not todo:
        return Report(
            before=before, after=before, built=(), seconds=time.monotonic() - started, log_path=None
        )
    context = project / state_dir / BUILD_DIR
    export = project / state_dir / EXPORT_DIR
    _tidy(before.directory, export)
    text = builder_dockerfile(
        todo, base_image=plan.base_image, apt_packages=plan.apt_build_packages, syntax=plan.syntax
    )
    write_context(context, todo, text)
    request = export_request(context, export, no_cache=force, platform=platform)
    log_path = run_export(engine, request, on_step=on_step)
    # Built from the image the daemon has now (pulled by the build if it was missing).
    image = inspect_base_image(engine.docker, plan.base_image)
    if image is None:
        raise DockyardError(f"{plan.base_image} is gone after the wheel build", hint="run again")
    if platform is not None and image.platform != platform:
        shutil.rmtree(export, ignore_errors=True)
        raise DockyardError(
            f"the wheels were built for {platform}, but the daemon's {image.ref} is {image.platform}: "
            "they are not kept, a wheelhouse is keyed on the base image of its own platform",
            hint=f"`docker pull --platform {platform} {image.ref}`, or set base_image to an image of "
            f"{platform}",
        )
    wheelhouse = platform_directory(project, image.platform)
    wheelhouse.mkdir(parents=True, exist_ok=True)
    atomic.atomic_write_text(project / DIRNAME / ".gitignore", GITIGNORE)
    built = []
    for wheel_set in todo:
        key = set_key(wheel_set, image, plan.apt_build_packages)
        built.append(finish_set(wheel_set, export / wheel_set.name, key=key, image=image))
        _swap_in(export / wheel_set.name, wheelhouse / wheel_set.name)
    shutil.rmtree(export, ignore_errors=True)
    after = status(plan, project, engine.docker, image.platform)
    return Report(
        before=before, after=after, built=tuple(built), seconds=time.monotonic() - started, log_path=log_path
    )
