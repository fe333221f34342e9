"""``python -m dockyard``: the same as the ``dockyard`` console script."""

from dockyard.cli import main

main()
