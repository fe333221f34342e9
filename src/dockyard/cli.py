"""``dockyard`` console script: the same task tree as ``invoke`` at dockyard's root."""

from __future__ import annotations

from invoke.program import Program

from dockyard import __version__
from dockyard.tasks import namespace

program = Program(namespace=namespace, version=__version__, name="dockyard", binary="dockyard")


def main() -> None:
    program.run()
