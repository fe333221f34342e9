"""The one Jinja environment the renderers share: package templates, strict, no HTML escaping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment(**filters: Callable[..., Any]) -> Environment:
    env = Environment(
        loader=PackageLoader("dockyard.render", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Dockerfiles, YAML and Markdown, never HTML
    )
    env.filters.update(filters)
    return env
