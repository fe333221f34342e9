"""One configuration cascade, resolved once into a frozen :class:`Settings`.

Order, later wins: code defaults, ``[tool.dockyard]`` in the *target* project's ``pyproject.toml``,
``DOCKYARD_*`` environment variables, then task flags. Unknown keys are an error naming the key and
where it came from. This is the only module that reads the environment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard import contract, platforms
from dockyard.errors import ConfigError

ENV_PREFIX = "DOCKYARD_"
#: What the image's test stage and ``dockyard dev.test`` run, unless ``test_command`` says otherwise.
DEFAULT_TEST_COMMAND = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
#: ``builder``: auto, buildx, buildkit, or a buildx builder instance's name (buildx's own rule).
BUILDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: ``builder`` values that choose a kind of builder rather than name a buildx builder instance.
BUILDER_KINDS = frozenset({"auto", "buildx", "buildkit"})


def _doc(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a phase needs to know, after the cascade. Field help doubles as documentation."""

    project: Path = field(default=Path(), metadata=_doc("the target project directory"))
    docker: str = field(
        default="",
        metadata=_doc(
            "docker executable, a name on PATH or a path; empty: the first docker on PATH that can "
            "build with BuildKit (buildx, or a client with native BuildKit)"
        ),
    )
    builder: str = field(
        default="auto",
        metadata=_doc(
            "auto, buildx, buildkit (a client that builds natively), or the name of a buildx builder "
            "(`docker buildx ls`: a docker-container, remote or kubernetes driver) that every buildx "
            "command dockyard runs then gets as `--builder NAME`"
        ),
    )
    platforms: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "platforms to build for, e.g. linux/amd64,linux/arm64 (empty: the daemon's own); a list "
            "needs a buildx builder of the docker-container, remote or kubernetes driver"
        ),
    )
    syntax: str = field(
        default="",
        metadata=_doc(
            "the `# syntax=` line for generated Dockerfiles, e.g. docker/dockerfile:1 (empty: none)"
        ),
    )
    base_image: str = field(
        default="python:3.11-slim",
        metadata=_doc(
            "base image of generated Dockerfiles; unset: python:X.Y-slim with the original Dockerfile's "
            "Python X.Y when it builds on a python image, else python:3.11-slim"
        ),
    )
    installer: str = field(default="uv", metadata=_doc("installer used in generated Dockerfiles: uv or pip"))
    state_dir: str = field(default=".dockyard", metadata=_doc("dockyard's state directory in the project"))
    requirements_dir: str = field(default="requirements", metadata=_doc("where split requirements go"))
    registry: str = field(default="localhost:5000", metadata=_doc("registry for the shared build cache"))
    app_port: int = field(
        default=-1,
        metadata=_doc(
            "port the service listens on in the container; 0: not a network service; -1: the original "
            "Dockerfile's EXPOSE, 0 without one, 8000 when there is no Dockerfile"
        ),
    )
    health_path: str = field(
        default="",
        metadata=_doc(
            "HTTP path that answers 200 when healthy; empty: the path of the original HEALTHCHECK's URL, "
            "else /health"
        ),
    )
    test_command: tuple[str, ...] = field(
        default=DEFAULT_TEST_COMMAND,
        metadata=_doc("what the Dockerfile's test stage and `dockyard dev.test` run"),
    )
    app_command: tuple[str, ...] = field(
        default=(), metadata=_doc("the service's command; empty: taken from the current Dockerfile's CMD")
    )
    classify: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc("package -> group (base, ml, dev, test) overriding the catalogue"),
    )
    smoke_env: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "environment variables the smoke test and verify's import check run both images with, on "
            "top of the env_file and environment of the compose service that builds the project"
        ),
    )
    build_args: Mapping[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "--build-arg NAME=VALUE for building the original Dockerfile (the phase-1 baseline, the "
            "benchmark, verify), for an original that needs them (ARG without a default)"
        ),
    )
    build_packages: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "apt packages the build stage needs to compile sdists, pinned as name=version "
            "(hadolint DL3008); they never reach the runtime image"
        ),
    )
    runtime_base: str = field(
        default="slim",
        metadata=_doc(
            "runtime stage of generated Dockerfiles: slim, stripped (no pip, setuptools, test suites) or "
            "distroless (no shell; refused when the command needs one); `dockyard base.candidates "
            "--apply` sets it"
        ),
    )
    # --- the original image (dockyard.contract) ---
    dockerfile: str = field(
        default="",
        metadata=_doc(
            "the project's Dockerfile, relative to the project; empty: Dockerfile, or the only "
            "Dockerfile.* / *.Dockerfile at the root"
        ),
    )
    target: str = field(
        default="",
        metadata=_doc("the stage of that Dockerfile to carry over; empty: the last (docker build's)"),
    )
    runtime_packages: tuple[str, ...] = field(
        default=(),
        metadata=_doc("apt packages the runtime image needs besides those the original Dockerfile installs"),
    )
    writable_dirs: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            "absolute directories the application writes to at run time, made beforehand and owned by "
            "the generated image's non-root user (besides those found in the original Dockerfile and code)"
        ),
    )
    smoke_probe: tuple[str, ...] = field(
        default=("--help",),
        metadata=_doc(
            "arguments a command-line image (no port) is smoke-tested with, appended to its command; "
            "exit code and output are compared with the original image's"
        ),
    )
    bench_runs: int = field(default=3, metadata=_doc("repeats per benchmark scenario"))
    branch: str = field(default="docker-optimization", metadata=_doc("branch phase 1 creates"))
    cache_dir: Path = field(
        default=Path(),
        metadata=_doc("build logs and wheel caches; default $XDG_CACHE_HOME/dockyard (~/.cache/dockyard)"),
    )

    #: The settings given anywhere but the code defaults (pyproject, environment, flags).
    explicit: frozenset[str] = field(default=frozenset(), metadata=_doc("(internal) settings not defaulted"))

    def is_set(self, name: str) -> bool:
        """True when ``name`` was given in pyproject, the environment or a flag, not defaulted."""
        return name in self.explicit

    def path(self, *parts: str) -> Path:
        """A path inside the target project."""
        return self.project.joinpath(*parts)

    @property
    def state_path(self) -> Path:
        return self.project / self.state_dir

    @property
    def buildx_instance(self) -> str | None:
        """The buildx builder named by ``builder``, or None when it names a kind (auto, buildx, buildkit)."""
        return None if self.builder in BUILDER_KINDS else self.builder

    @property
    def python_version(self) -> str:
        """The Python the image runs, from the base image's tag (``python:3.11-slim`` -> ``3.11``)."""
        match = re.search(r":(\d+\.\d+)", self.base_image)
        return match.group(1) if match else "3.11"


FIELDS: dict[str, dataclasses.Field[Any]] = {f.name: f for f in dataclasses.fields(Settings)}
#: Fields no user sets directly.
INTERNAL = frozenset({"project", "explicit"})


def _coerce(name: str, raw: Any, source: str) -> Any:
    """Convert a value from TOML, the environment or a flag into the field's type."""
    hint = typing.get_type_hints(Settings)[name]
    origin = typing.get_origin(hint)
    try:
        if hint is Path:
            return Path(raw)
        if hint is int:
            if isinstance(raw, bool):
                raise TypeError("a boolean is not an integer")
            return int(raw)
        if hint is bool:
            if isinstance(raw, str):
                if raw.lower() in {"1", "true", "yes", "on"}:
                    return True
                if raw.lower() in {"0", "false", "no", "off", ""}:
                    return False
                raise ValueError(raw)
            return bool(raw)
        if hint is str:
            if not isinstance(raw, str):
                raise TypeError(f"expected a string, got {type(raw).__name__}")
            return raw
        if origin is tuple:
            if isinstance(raw, str):
                raw = json.loads(raw) if raw.lstrip().startswith("[") else shlex.split(raw)
            if not isinstance(raw, list | tuple) or not all(isinstance(x, str) for x in raw):
                raise TypeError("expected a list of strings")
            return tuple(raw)
        if origin in (Mapping, dict) or (isinstance(origin, type) and issubclass(origin, Mapping)):
            if isinstance(raw, str):
                raw = json.loads(raw)
            if not isinstance(raw, dict):
                raise TypeError("expected a table")
            return types.MappingProxyType({str(k): str(v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{source}: `{name}` = {raw!r} is not valid ({exc})",
            hint=f"{name}: {FIELDS[name].metadata['help']}",
        ) from exc
    raise AssertionError(f"unhandled setting type {hint!r}")  # pragma: no cover


def _check_known(keys: Mapping[str, Any], source: str, *, spell: str = "{}") -> None:
    for key in keys:
        name = key.replace("-", "_")
        if name not in FIELDS or name in INTERNAL:
            known = ", ".join(spell.format(k) for k in FIELDS if k not in INTERNAL)
            raise ConfigError(f"{source}: unknown setting `{key}`", hint=f"known settings: {known}")


def from_pyproject(project: Path) -> dict[str, Any]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc})", hint="fix the file's syntax") from exc
    table = data.get("tool", {}).get("dockyard", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dockyard] must be a table")
    source = f"{path} [tool.dockyard]"
    _check_known(table, source)
    return {k.replace("-", "_"): _coerce(k.replace("-", "_"), v, source) for k, v in table.items()}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    picked = {k[len(ENV_PREFIX) :].lower(): v for k, v in environ.items() if k.startswith(ENV_PREFIX)}
    picked.pop("project", None)
    _check_known(picked, "environment", spell=ENV_PREFIX + "{}")
    return {k: _coerce(k, v, f"environment {ENV_PREFIX}{k.upper()}") for k, v in picked.items()}


def color_wanted(stream_is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    environ = os.environ if environ is None else environ
    return stream_is_tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def load(
    project: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the cascade once. ``flags`` holds only what the user passed (None values are ignored)."""
    environ = os.environ if environ is None else environ
    env_values = dict(environ)
    project = project or env_values.pop(ENV_PREFIX + "PROJECT", None) or Path()
    env_values.pop(ENV_PREFIX + "PROJECT", None)
    root = Path(project).resolve()
    if not root.is_dir():
        raise ConfigError(f"project directory {root} does not exist", hint="pass --project DIR")
    values: dict[str, Any] = {}
    values.update(from_pyproject(root))
    values.update(from_environment(env_values))
    given = {k.replace("-", "_"): v for k, v in (flags or {}).items() if v is not None}
    _check_known(given, "task flags", spell="--{}")
    values.update({k: _coerce(k, v, "task flags") for k, v in given.items()})
    if values.get("builder") == "legacy":
        raise ConfigError(
            "builder must be auto, buildx, buildkit or a buildx builder's name, not 'legacy'",
            hint="dockyard never uses the legacy builder: it ignores RUN --mount",
        )
    if not BUILDER.fullmatch(values.get("builder", "auto")):
        raise ConfigError(
            f"builder must be auto, buildx, buildkit or a buildx builder's name, not {values['builder']!r}",
            hint="`docker buildx ls` lists the builders; names are letters, digits, '-', '_' and '.'",
        )
    if values.get("installer", "uv") not in {"uv", "pip"}:
        raise ConfigError(f"installer must be uv or pip, not {values['installer']!r}")
    if values.get("runtime_base", "slim") not in {"slim", "stripped", "distroless"}:
        raise ConfigError(
            f"runtime_base must be slim, stripped or distroless, not {values['runtime_base']!r}",
            hint="dockyard base.candidates measures each and says which to use",
        )
    if "platforms" in values:
        values["platforms"] = platforms.parse(values["platforms"])
    explicit = frozenset(values)
    if "base_image" not in values:
        followed = contract.base_image_for(
            root, dockerfile=values.get("dockerfile", ""), target=values.get("target", "")
        )
        if followed:
            values["base_image"] = followed
    if not values.get("cache_dir") or values["cache_dir"] == Path():
        xdg = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        values["cache_dir"] = Path(xdg) / "dockyard"
    return Settings(project=root, explicit=explicit, **values)
