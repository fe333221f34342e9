"""Where things are: the repository's bundled examples and scratch space, the state directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def repo_root() -> Path | None:
    """dockyard's own checkout when running from one (src layout), else None."""
    candidate = PACKAGE.parent.parent
    return (
        candidate if (candidate / "examples").is_dir() and (candidate / "pyproject.toml").is_file() else None
    )


def bundled_example(name: str = "inference-service") -> Path | None:
    root = repo_root()
    if root is None:
        return None
    example = root / "examples" / name
    return example if example.is_dir() else None
