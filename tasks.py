"""Invoke entry point: `invoke --list` shows dockyard's tasks. The work lives in src/dockyard."""

from dockyard.tasks import namespace as ns

__all__ = ["ns"]
