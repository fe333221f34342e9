"""The Docker engine as dockyard sees it: a probe, builders, the build primitive, compose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.config import Settings
from dockyard.engine import probe as _probe
from dockyard.engine.build import BuildResult, OnStep, run_build
from dockyard.engine.builders import Builder, BuildRequest, Buildx
from dockyard.engine.probe import Capabilities


@dataclass(frozen=True)
class Engine:
    """A probed engine with a chosen builder; the handle phases and the benchmark build through."""

    settings: Settings
    caps: Capabilities
    builder: Builder

    @classmethod
    def connect(cls, settings: Settings) -> Engine:
        caps = _probe.probe(settings)
        return cls(settings, caps, _probe.require_builder(caps))

    @property
    def docker(self) -> str:
        """The docker executable the probe settled on (the setting, or the one found on PATH)."""
        return self.caps.docker_path or self.caps.docker

    @property
    def buildx_instance(self) -> str | None:
        """The buildx builder every buildx command names (``--builder``), when the settings name one."""
        return self.builder.instance if isinstance(self.builder, Buildx) else None

    @property
    def log_dir(self) -> Path:
        return self.settings.cache_dir / "logs"

    def build(
        self, request: BuildRequest, *, label: str = "build", on_step: OnStep | None = None
    ) -> BuildResult:
        return run_build(
            self.docker, self.builder, request, log_dir=self.log_dir, label=label, on_step=on_step
        )


__all__ = ["BuildRequest", "BuildResult", "Capabilities", "Engine"]
