"""dockyard: roll out fast, small, measured Docker builds on Python projects."""

from __future__ import annotations

__version__ = "0.1.0"
