"""The ``dockyard`` console script: dockyard's task tree behind a Program that shows only the
global flags that do something, and ends quietly when its output pipe is closed."""

from __future__ import annotations

import os
import sys
from typing import Any

from invoke.program import Program

from dockyard import __version__
from dockyard.tasks import namespace

#: invoke's global flags for ``c.run()`` and invoke's own config files, which dockyard does not use:
#: hidden, and refused if given.
HIDDEN_CORE_FLAGS = frozenset(
    {"dry", "pty", "hide", "warn-only", "prompt-for-sudo-password", "echo", "command-timeout", "config"}
)


class DockyardProgram(Program):
    """invoke's Program without the flags that would silently do nothing here."""

    def core_args(self) -> list[Any]:
        return [arg for arg in super().core_args() if not HIDDEN_CORE_FLAGS & set(arg.names)]

    def update_config(self, merge: bool = True) -> None:
        # Program.update_config reads the hidden flags; dockyard's settings come from dockyard.config.
        if merge:
            self.config.merge()


program = DockyardProgram(namespace=namespace, version=__version__, name="dockyard", binary="dockyard")


def main() -> None:
    try:
        program.run()
        sys.stdout.flush()
    except BrokenPipeError:
        # `dockyard --help | head`: the reader is gone; say nothing more (Python's documented recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
