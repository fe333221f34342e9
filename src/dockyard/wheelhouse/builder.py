"""The wheel builder: a generated Dockerfile, one stage per set, exported by BuildKit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dockyard.engine.builders import BuildRequest
from dockyard.wheelhouse.model import EXPORT_STAGE, SOURCE_DATE_EPOCH, WheelSet

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
        "# dockyard's wheel builder (`dockyard wheels`): wheels for the locked requirements, built in the",
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


def export_request(
    context: Path, dest: Path, *, no_cache: bool = False, platform: str | None = None
) -> BuildRequest:
    """The export build; ``platform``: in the base image of that platform (under qemu when not native)."""
    return BuildRequest(
        context=context,
        dockerfile=context / "Dockerfile",
        target=EXPORT_STAGE,
        output=f"type=local,dest={dest}",
        no_cache=no_cache,
        platforms=(platform,) if platform else (),
    )
