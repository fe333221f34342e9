"""How often each path changed, from git history: the order layers should be copied in."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from dockyard import process


def log_argv(project: Path, max_commits: int = 500) -> list[str]:
    return [
        "git",
        "-C",
        str(project),
        "log",
        f"--max-count={max_commits}",
        "--format=",
        "--name-only",
        "--relative",
    ]


def change_counts(log_text: str) -> Counter[str]:
    """Count commits touching each top-level entry (``pkg/mod.py`` counts for ``pkg``)."""
    counts: Counter[str] = Counter()
    for line in log_text.splitlines():
        line = line.strip()
        if line:
            counts[line.split("/", 1)[0]] += 1
    return counts


def top_level_change_counts(project: Path) -> Counter[str]:
    """Empty when the project is not in a git repository (or git is missing)."""
    if shutil.which("git") is None:
        return Counter()
    result = process.run(log_argv(project), check=False, echo=False)
    return change_counts(result.stdout) if result.returncode == 0 else Counter()


def order_by_stability(paths: list[str], counts: Counter[str], *, fallback: dict[str, int]) -> list[str]:
    """Least changed first. Without history, ``fallback`` ranks (config before data before code):
    a path it does not name (application code) ranks after all it names."""
    unknown = max(fallback.values(), default=0) + 1

    def key(path: str) -> tuple[int, int, str]:
        return (counts.get(path, 0), fallback.get(path, unknown), path)

    return sorted(paths, key=key)
