"""What goes into the wheelhouse (its sets, from the plan and the project), their keys, and whether
the wheelhouse on disk is up to date."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dockyard import layout, platforms, process
from dockyard.engine.cli import image_inspect_argv
from dockyard.errors import InputError
from dockyard.layout import (
    BUILD_SYSTEM_SET,
    INSTALLER_SET,
)
from dockyard.render.dockerfile import (
    DockerfilePlan,
    wheel_set_name,
)
from dockyard.wheelhouse.model import (
    DEFAULT_BUILD_REQUIRES,
    DIRNAME,
    MANIFEST,
    RECIPE,
    SCHEMA,
    BaseImage,
    Manifest,
    SetStatus,
    State,
    Status,
    WheelSet,
)

# --- what goes in ------------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_requires(project: Path) -> tuple[str, ...]:
    """The project's ``[build-system] requires`` (what building it from /src needs)."""
    path = project / layout.PYPROJECT
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
    wheel_set: WheelSet,
    directory: Path,
    image: BaseImage | None,
    apt_packages: Sequence[str],
    *,
    absent: str = "base image not present locally",
) -> SetStatus:
    manifest = read_manifest(directory)
    if manifest is None:
        return SetStatus(set=wheel_set, state=State.MISSING, reason="")
    reason = absent if image is None else _stale_because(wheel_set, manifest, directory, image, apt_packages)
    state = State.STALE if reason else State.UP_TO_DATE
    return SetStatus(set=wheel_set, state=state, reason=reason, manifest=manifest)


def _stale_because(
    wheel_set: WheelSet,
    manifest: Manifest,
    directory: Path,
    image: BaseImage,
    apt_packages: Sequence[str],
) -> str:
    """Why a set with a manifest must be rebuilt; empty when it is up to date."""
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


def platform_directory(project: Path, platform: str) -> Path:
    """A platform's wheelhouse: ``.wheelhouse/linux/arm64``; its wheels never mix with another's."""
    return project / DIRNAME / platforms.directory(platform)


def status(plan: DockerfilePlan, project: Path, docker: str, platform: str | None = None) -> Status:
    """How each set of ``project``'s wheelhouse for ``platform`` (None: the base image's own) compares
    with what ``plan`` installs."""
    image = inspect_base_image(docker, plan.base_image)
    wanted = platform or (image.platform if image is not None else None)
    absent = "base image not present locally"
    if image is not None and image.platform != wanted:
        absent = (
            f"base image {image.ref} is {image.platform} here, not {wanted} "
            f"(`docker pull --platform {wanted} {image.ref}`, or a base_image of that platform)"
        )
        image = None
    directory = platform_directory(project, wanted) if wanted else project / DIRNAME
    sets = tuple(
        set_status(s, directory / s.name, image, plan.apt_build_packages, absent=absent)
        for s in wheel_sets(plan, project)
    )
    return Status(directory=directory, image=image, sets=sets, platform=wanted)


def use(plan: DockerfilePlan, *, offline: bool = True) -> DockerfilePlan:
    """``plan`` installing from the wheelhouse of the platform being built (offline: from nothing else)."""
    return replace(plan, wheelhouse=DIRNAME, offline=offline)
