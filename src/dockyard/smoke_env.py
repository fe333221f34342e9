"""The environment the smoke test and verify's import check run the images with.

A project run by compose often needs variables only its compose file gives (``env_file: .env.dev``
with ``SECRET_KEY`` and ``SQL_ENGINE``): the compose service that builds the project lends its
``env_file`` and literal ``environment`` entries, and the ``smoke_env`` setting adds to them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
#: Where projects list the variables they need, with placeholder values (dotenv's and Django's habits).
SAMPLE_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env", "sample.env")
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True, kw_only=True)
class SmokeEnv:
    variables: tuple[tuple[str, str], ...] = ()
    source: str = ""  # where they came from, for the report

    def as_flags(self) -> tuple[str, ...]:
        """``KEY=VALUE`` items for ``docker run --env``."""
        return tuple(f"{key}={value}" for key, value in self.variables)


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines as compose reads them: comments and blank lines skipped, one pair of
    surrounding quotes removed, ``export`` allowed."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        found[key] = value
    return found


def _builds(service: Mapping[str, Any], compose_dir: Path, project: Path) -> bool:
    build = service.get("build")
    context = (
        build if isinstance(build, str) else build.get("context", ".") if isinstance(build, dict) else None
    )
    return context is not None and (compose_dir / str(context)).resolve() == project.resolve()


def _environment(raw: object) -> dict[str, str]:
    """Literal entries of a service's ``environment`` (a map or a list); interpolated ones left out."""
    pairs: list[tuple[str, object]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [tuple(str(item).split("=", 1)) for item in raw if "=" in str(item)]  # type: ignore[misc]
    return {str(k): str(v) for k, v in pairs if v is not None and "$" not in str(v)}


def _env_files(raw: object) -> list[str]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    return [str(item["path"] if isinstance(item, dict) else item) for item in items]


@dataclass(frozen=True)
class ComposeService:
    """A compose service that builds the project: its file, that file's folder, name and definition."""

    path: Path
    folder: Path
    name: str
    definition: Mapping[str, Any]
    #: Every service of the file, by name (the ones this one depends on among them).
    services: Mapping[str, Any] = field(default_factory=dict)

    def where(self, project: Path) -> str:
        """The compose file as the report names it, relative to the project's parent when it is there."""
        return str(self.path.relative_to(project.parent)) if self.folder != project else self.path.name


def building_services(project: Path) -> Iterator[ComposeService]:
    """The compose services that build ``project``, in the project's directory or its parent (where
    a repository keeps the compose file of an application in ``app/``); unreadable files are skipped."""
    for folder in (project, project.parent):
        for name in COMPOSE_FILES:
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            services = data.get("services") if isinstance(data, dict) else None
            if not isinstance(services, dict):
                continue
            for service_name, service in services.items():
                if isinstance(service, dict) and _builds(service, folder, project):
                    yield ComposeService(
                        path=path,
                        folder=folder,
                        name=str(service_name),
                        definition=service,
                        services=services,
                    )


def compose_argv(raw: object) -> tuple[str, ...]:
    """A compose ``command``/``entrypoint``: a list as written, a string split as compose splits it."""
    if isinstance(raw, list):
        return tuple(str(item) for item in raw)
    if isinstance(raw, str):
        try:
            return tuple(shlex.split(raw))
        except ValueError:
            return ()
    return ()


def service_env(compose: ComposeService, service: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """A service's ``env_file`` entries that exist, then its literal ``environment``; and those files."""
    found: dict[str, str] = {}
    files = [f for f in _env_files(service.get("env_file")) if (compose.folder / f).is_file()]
    for env_file in files:
        found.update(
            parse_env_file((compose.folder / env_file).read_text(encoding="utf-8", errors="replace"))
        )
    found.update(_environment(service.get("environment")))
    return found, files


def depends_on(service: Mapping[str, Any]) -> list[str]:
    """The services a compose service depends on (the list or the map form)."""
    raw = service.get("depends_on")
    return [str(name) for name in raw] if isinstance(raw, (list, dict)) else []


def runtime_volumes(project: Path) -> list[str]:
    """The container paths the compose service that builds the project keeps in a named or an
    anonymous volume: where it writes at run time (``itms_logs:/app/logs``). Bind mounts (``.:/app``,
    the source in a dev loop) and read-only volumes are not places it writes."""
    found: list[str] = []
    for compose in building_services(project):
        for item in compose.definition.get("volumes") or []:
            if isinstance(item, dict):
                kind, target, read_only = item.get("type"), item.get("target"), item.get("read_only")
                named = kind == "volume"
            else:
                parts = str(item).split(":")
                source, target = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
                read_only = len(parts) > 2 and "ro" in parts[2].split(",")
                named = source is None or not source.startswith((".", "/", "~", "$"))
            if (
                named
                and not read_only
                and isinstance(target, str)
                and target.startswith("/")
                and target != "/"
            ):
                found.append(target.rstrip("/"))
        break
    return list(dict.fromkeys(found))


def from_compose(project: Path) -> SmokeEnv:
    """The environment of the compose service that builds ``project``."""
    for compose in building_services(project):
        found, files = service_env(compose, compose.definition)
        if not found:
            continue
        extra = f", env_file {', '.join(files)}" if files else ""
        return SmokeEnv(
            variables=tuple(sorted(found.items())),
            source=f"{compose.where(project)} service {compose.name}{extra}",
        )
    return SmokeEnv()


def for_project(project: Path, setting: Mapping[str, str]) -> SmokeEnv:
    """The compose service's environment, with the ``smoke_env`` setting on top."""
    found = from_compose(project)
    if not setting:
        return found
    merged = {**dict(found.variables), **setting}
    source = f"{found.source} and the smoke_env setting" if found.source else "the smoke_env setting"
    return SmokeEnv(variables=tuple(sorted(merged.items())), source=source)


def what_it_may_need(project: Path, *, started: Collection[str] = ()) -> list[str]:
    """For a service that fails alike in both images: what the project says it needs at run time
    that verify does not give it (a sample env file's variables, the compose services it depends
    on), and how to give it or skip the check."""
    hints: list[str] = []
    for name in SAMPLE_FILES:
        path = project / name
        if path.is_file():
            names = list(parse_env_file(path.read_text(encoding="utf-8", errors="replace")))
            if names:
                shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
                hints.append(f"{name} names {shown}: set what the service needs in [tool.dockyard.smoke_env]")
            break
    for compose in building_services(project):
        needed = [name for name in depends_on(compose.definition) if name not in started]
        if needed:
            hints.append(
                f"the {compose.where(project)} service {compose.name} depends on {', '.join(needed)}, which "
                "verify could not start: point the service elsewhere in [tool.dockyard.smoke_env]"
            )
            break
    if hints:
        hints.append("or skip the smoke test: `dockyard phase2 --no-smoke`")
    return hints
