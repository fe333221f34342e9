"""``base.bump``: resolve the base image's digest from its registry and pin it in the lock."""

from __future__ import annotations

from dockyard import digests
from dockyard.config import Settings
from dockyard.phases.report import FileResult, Status, StepReport, Table
from dockyard.render import writer
from dockyard.render.writer import Format, GeneratedFile


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12] if digest else "-"


def bump(settings: Settings, *, dry_run: bool = False, force: bool = False) -> StepReport:
    """Pin ``base_image`` (and every image already in the lock) to the digest its registry serves now."""
    lock = settings.project / digests.LOCK
    old = digests.read_lock(lock)
    images = sorted({settings.base_image.split("@", 1)[0], *old})
    new = {image: digests.resolve(image) for image in images}
    rows = [
        (image, _short(old.get(image, "")), _short(digest), "yes" if old.get(image) != digest else "no")
        for image, digest in new.items()
    ]
    generated = GeneratedFile(
        digests.lock_text(new), source="registry digests (dockyard base.bump)", fmt=Format.HASH
    )
    plan = writer.plan_writes(
        settings.project, {digests.LOCK: generated}, force=force, state_dir=settings.state_dir
    )
    changed = [image for image, digest in new.items() if old.get(image) != digest]
    table = Table.of("base images", ["image", "pinned", "registry now", "changed"], rows)
    if dry_run:
        files = tuple(
            FileResult(path=digests.LOCK, action=str(c.action), message=f"would {writer.intent(c)}")
            for c in plan.changes
        )
        return StepReport(
            name="base.bump",
            status=Status.PLANNED,
            summary=f"{len(changed)} digest(s) would change",
            files=files,
            tables=(table,),
        )
    outcomes = writer.apply(plan)
    files = tuple(FileResult(path=digests.LOCK, action=str(o.action), message=o.message) for o in outcomes)
    return StepReport(
        name="base.bump",
        status=Status.DONE if changed else Status.CURRENT,
        summary=f"{len(changed)} digest(s) changed; regenerate docker/Dockerfile with `dockyard phase2`"
        if changed
        else "every pin matches its registry",
        files=files,
        tables=(table,),
        data={"pins": new},
    )
