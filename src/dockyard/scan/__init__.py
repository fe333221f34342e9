"""Scanners behind one :class:`Finding` model and one registry.

Each scanner is a small module with a pure argv builder and a pure parser of the tool's JSON;
:data:`SCANNERS` maps a name to it. Adding a scanner touches one new file and one line here.
"""

from __future__ import annotations

from dockyard.scan.hadolint import Hadolint
from dockyard.scan.model import LEVELS, Finding, Scanner, ScanResult, at_or_above
from dockyard.scan.trivy import TrivyConfig

SCANNERS: dict[str, Scanner] = {"hadolint": Hadolint(), "trivy-config": TrivyConfig()}

__all__ = ["LEVELS", "SCANNERS", "Finding", "ScanResult", "Scanner", "at_or_above"]
