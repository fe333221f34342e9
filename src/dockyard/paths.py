"""Kept for imports from before :mod:`dockyard.layout`, which names every path now."""

from dockyard.layout import PACKAGE, bundled_example, repo_root

__all__ = ["PACKAGE", "bundled_example", "repo_root"]
