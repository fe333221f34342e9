"""A writer plan carried out (or, for a dry run, described) as the report's file lines."""

from __future__ import annotations

from dockyard.phases.report import FileResult
from dockyard.render import writer
from dockyard.render.writer import WritePlan


def write(plan: WritePlan, *, dry: bool) -> tuple[FileResult, ...]:
    """Apply ``plan``, or with ``dry`` say what it would do and keep each file's diff."""
    if dry:
        found = [
            FileResult(
                path=c.relpath, action=str(c.action), message=f"would {writer.intent(c)}", diff=writer.diff(c)
            )
            for c in plan.changes
        ]
        found += [
            FileResult(
                path=str(t), action="remove", message=f"would remove {t.name} (left by an interrupted run)"
            )
            for t in plan.stale_temps
        ]
        return tuple(found)
    return tuple(
        FileResult(path=o.path.relative_to(plan.root).as_posix(), action=str(o.action), message=o.message)
        for o in writer.apply(plan)
    )


def status_of(files: tuple[FileResult, ...], *, dry: bool) -> str:
    """``planned`` for a dry run, ``current`` when no file changed, else ``done``."""
    if dry:
        return "planned"
    return "current" if all(f.action == "unchanged" for f in files) else "done"
