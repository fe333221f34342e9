"""Render docker/compose.yaml, docker/compose.dev.yaml and the development guide from a plan, as text
(nothing here touches the disk or runs compose).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment

from dockyard import layout
from dockyard.render import templating

#: The image's WORKDIR (templates/Dockerfile.j2): targets of syncs and mounts live below it.
APP_DIR = "/app"
COMPOSE_DIR = layout.COMPOSE_DIR
COMPOSE_FILE = layout.COMPOSE_FILE
DEV_FILE = layout.DEV_COMPOSE_FILE
SERVICE = "app"
#: Paths a sync never copies: bytecode, caches and virtual environments made on the host.
SYNC_IGNORE = (
    "**/__pycache__",
    "**/*.pyc",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
    "**/*.egg-info",
    "**/.venv",
)

SYNC = "sync"
SYNC_RESTART = "sync+restart"
REBUILD = "rebuild"


@dataclass(frozen=True, kw_only=True)
class WatchRule:
    """One develop.watch entry; ``path`` is relative to the project root (posix)."""

    action: str  # sync, sync+restart or rebuild
    path: str
    target: str | None = None
    ignore: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class BindMount:
    """A project path mounted into the dev container; ``source`` is relative to the project root."""

    source: str
    target: str
    read_only: bool = True
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class ComposePlan:
    name: str  # compose project name of the production-like stack; the dev stack adds "-dev"
    port: int  # the port the service listens on in the container
    healthcheck: tuple[str, ...]
    dev_command: tuple[str, ...]
    uid: int
    watch: tuple[WatchRule, ...]
    mounts: tuple[BindMount, ...] = ()
    dev_environment: tuple[tuple[str, str], ...] = ()
    env_file: str | None = ".env"
    service: str = SERVICE
    dockerfile: str = f"{COMPOSE_DIR}/Dockerfile"
    runtime_target: str = "runtime"
    dev_target: str = "dev"
    read_only: bool = True
    port_variable: str = "APP_PORT"
    bind_variable: str = "APP_BIND"

    @property
    def dev_name(self) -> str:
        return dev_name(self.name)

    @property
    def compose_file(self) -> str:
        return COMPOSE_FILE

    @property
    def dev_file(self) -> str:
        return DEV_FILE

    @property
    def port_spec(self) -> str:
        host = f"${{{self.bind_variable}:-127.0.0.1}}"
        return f"{host}:${{{self.port_variable}:-{self.port}}}:{self.port}"

    def from_compose_dir(self, path: str) -> str:
        """``path`` (relative to the project root) as the compose files must spell it."""
        return posixpath.relpath(posixpath.join(".", path or "."), COMPOSE_DIR)


def dev_name(name: str) -> str:
    """The dev stack's compose project name, beside the production-like stack's ``name``."""
    return f"{name}-dev"


def scalar(value: object) -> str:
    """A YAML scalar compose reads literally: JSON-quoted, ``$`` doubled against interpolation."""
    if isinstance(value, bool | int):
        return json.dumps(value)
    return json.dumps(str(value).replace("$", "$$"), ensure_ascii=False)


def flow(values: Sequence[object]) -> str:
    """A YAML flow sequence of literal scalars, e.g. ``["uvicorn", "pkg.app:app"]``."""
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def _environment() -> Environment:
    return templating.environment(scalar=scalar, flow=flow, raw=json.dumps)


def privilege_drop(uid: int) -> tuple[str, ...]:
    """The dev entrypoint: start as root (see compose.dev.yaml.j2 for why), run the server as ``uid``."""
    return ("setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--")


def render_production(plan: ComposePlan) -> str:
    template = _environment().get_template("compose.yaml.j2")
    return template.render(plan=plan, context=plan.from_compose_dir(""))


def render_dev(plan: ComposePlan) -> str:
    template = _environment().get_template("compose.dev.yaml.j2")
    return template.render(
        plan=plan,
        entrypoint=privilege_drop(plan.uid),
        env_file=plan.from_compose_dir(plan.env_file) if plan.env_file else None,
    )


# --- the development guide (docs/development.md) --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GuideRule:
    path: str  # relative to the project root
    action: str
    target: str | None
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class GuideMount:
    source: str
    target: str
    read_only: bool


@dataclass(frozen=True, kw_only=True)
class GuideCommand:
    name: str  # the dockyard task, e.g. dev.up
    summary: str
    argv: str  # the compose command it runs, shell-quoted


@dataclass(frozen=True, kw_only=True)
class DevGuide:
    """What docs/development.md says; built from the compose files as compose reads them."""

    dev_name: str
    production_name: str
    service: str
    compose_file: str
    dev_file: str
    host: str
    host_port: str
    container_port: int
    port_variable: str
    bind_variable: str
    dev_target: str
    runtime_target: str
    dev_command: tuple[str, ...]
    user: str
    uid: int
    rules: tuple[GuideRule, ...]
    mounts: tuple[GuideMount, ...]
    env_files: tuple[str, ...]
    commands: tuple[GuideCommand, ...]
    production_commands: tuple[GuideCommand, ...]
    healthcheck: bool
    read_only: bool
    min_compose: str

    def rules_for(self, action: str) -> tuple[GuideRule, ...]:
        return tuple(rule for rule in self.rules if rule.action == action)


def render_guide(guide: DevGuide) -> str:
    template = _environment().get_template("development.md.j2")
    return template.render(g=guide, shell=" ".join)
