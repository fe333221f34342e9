"""Scanners behind one :class:`Finding` model and two registries.

Each tool is a small module with pure argv builders and pure parsers of its JSON. :data:`SCANNERS`
holds the per-file scanners phase 2 lints with; :data:`CHECKS` the project-wide checks of
``dockyard scan``, in the order they run. Adding a check touches one new file and one line here.
"""

from __future__ import annotations

from dockyard.scan.context import ContextSecrets
from dockyard.scan.hadolint import Hadolint, HadolintCheck
from dockyard.scan.layers import ImageLayers
from dockyard.scan.model import LEVELS, Check, Finding, Scanner, ScanResult, ScanTarget, at_or_above
from dockyard.scan.pip_audit import PipAudit
from dockyard.scan.trivy import TrivyConfig, TrivyConfigCheck, TrivyImage, TrivySecret

SCANNERS: dict[str, Scanner] = {"hadolint": Hadolint(), "trivy-config": TrivyConfig()}

#: The image-layers check saves the image that trivy-image then reads: keep it before trivy-image.
CHECKS: dict[str, Check] = {
    "hadolint": HadolintCheck(),
    "pip-audit": PipAudit(),
    "context-secrets": ContextSecrets(),
    "trivy-config": TrivyConfigCheck(),
    "trivy-secret": TrivySecret(),
    "image-layers": ImageLayers(),
    "trivy-image": TrivyImage(),
}

__all__ = [
    "CHECKS", "LEVELS", "SCANNERS", "Check", "Finding", "ScanResult", "ScanTarget", "Scanner", "at_or_above",
]  # fmt: skip
