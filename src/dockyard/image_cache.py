"""Answers about base images kept in the project's state directory: one JSON file per question
(apt runtime libraries, the base image's ENV), ``{"schema": N, "images": {IMAGE: ANSWER}}``.
A missing, unreadable or older-schema file reads as empty; writes are atomic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockyard.atomic import atomic_write_text


def read(path: Path, schema: int) -> dict[str, Any]:
    """The cache document, or an empty one of ``schema``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("schema") != schema or not isinstance(data.get("images"), dict):
        return {"schema": schema, "images": {}}
    return data


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
