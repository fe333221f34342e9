"""A Dockerfile read into a small typed model: :mod:`.model` holds the dataclasses (instructions,
stages, their image config), :mod:`.parse` builds them with Docker's own parser and checks what a
build would reject. Callers use the names re-exported here."""

from __future__ import annotations

from dockyard.dockerfile.model import (
    DEFAULT_SHELL,
    Command,
    ContextPath,
    Copy,
    Dockerfile,
    Form,
    Healthcheck,
    Heredoc,
    Instruction,
    Port,
    Run,
    Stage,
)
from dockyard.dockerfile.parse import (
    ALLOWED_FLAGS,
    KNOWN_INSTRUCTIONS,
    PLATFORM_ARGS,
    expand,
    parse_directives,
    parse_file,
    parse_mount,
    parse_text,
)

__all__ = [
    "ALLOWED_FLAGS",
    "DEFAULT_SHELL",
    "KNOWN_INSTRUCTIONS",
    "PLATFORM_ARGS",
    "Command",
    "ContextPath",
    "Copy",
    "Dockerfile",
    "Form",
    "Healthcheck",
    "Heredoc",
    "Instruction",
    "Port",
    "Run",
    "Stage",
    "expand",
    "parse_directives",
    "parse_file",
    "parse_mount",
    "parse_text",
]
