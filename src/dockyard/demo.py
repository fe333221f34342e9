"""The guided rollout on the bundled example: copy it to scratch space, then run every phase there.

The example in ``examples/`` stays naive in git forever; the demo always works on a fresh copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dockyard.errors import ConfigError
from dockyard.paths import bundled_example, repo_root

SCRATCH = ".demo"


def scratch_copy(example: Path | None = None, scratch: Path | None = None) -> Path:
    """A fresh copy of the example in the scratch directory (ignored by git), returned."""
    source = example or bundled_example()
    if source is None or not source.is_dir():
        raise ConfigError(
            "the bundled example was not found",
            hint="run the demo from a dockyard checkout, or pass --example DIR",
        )
    base = scratch or ((repo_root() or Path.cwd()) / SCRATCH)
    target = base / source.name
    if target.exists():
        shutil.rmtree(target)
    base.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True)
    return target
