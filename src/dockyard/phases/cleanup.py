"""Phase 4's cleanup steps: disk use (``cache.df``), policy pruning (``cache.prune``), GC settings."""

from __future__ import annotations

from datetime import datetime

from dockyard import process, ui, wheelhouse
from dockyard.config import Settings
from dockyard.housekeeping import gc, prune, usage
from dockyard.phases.report import Finding, Level, Measurement, Status, StepReport, Table


def measure(settings: Settings, docker: str, builder: str | None = None) -> usage.Usage:
    return usage.measure(
        docker,
        wheelhouse=settings.project / wheelhouse.DIRNAME,
        logs=settings.cache_dir / "logs",
        builder=builder,
    )


def df_report(used: usage.Usage) -> StepReport:
    ours = [i for i in used.images if i.made_by_dockyard]
    theirs = [i for i in used.images if not i.made_by_dockyard]
    rows = [
        ("images made by dockyard", len(ours), ui.human_bytes(sum(i.size for i in ours))),
        ("other images", len(theirs), ui.human_bytes(sum(i.size for i in theirs))),
        (
            "build cache (shared by every build on this builder)",
            len(used.cache),
            ui.human_bytes(used.cache_bytes),
        ),
        (
            "  of which cache mounts",
            sum(r.kind == "exec.cachemount" for r in used.cache),
            ui.human_bytes(sum(r.size for r in used.cache if r.kind == "exec.cachemount")),
        ),
        ("volumes", len(used.volumes), ui.human_bytes(sum(v.size for v in used.volumes))),
        ("wheelhouse (project)", "", ui.human_bytes(used.wheelhouse_bytes)),
        ("build logs (dockyard)", "", ui.human_bytes(used.logs_bytes)),
        ("build cache of", "", used.cache_of),
    ]
    return StepReport(
        name="cache.df",
        status=Status.DONE,
        summary=f"build cache {ui.human_bytes(used.cache_bytes)}, "
        f"dockyard's images {ui.human_bytes(sum(i.size for i in ours))}",
        tables=(Table.of("disk use", ["what", "count", "size"], rows),),
        measurements=(
            Measurement(name="build_cache_bytes", value=used.cache_bytes, unit="B"),
            Measurement(name="dockyard_image_bytes", value=sum(i.size for i in ours), unit="B"),
            Measurement(name="wheelhouse_bytes", value=used.wheelhouse_bytes, unit="B"),
        ),
        data={
            "images": [{"ref": i.ref, "bytes": i.size, "dockyard": i.made_by_dockyard} for i in used.images],
            "build_cache_of": used.cache_of,
        },
    )


def cache_df(settings: Settings, docker: str, *, builder: str | None = None) -> StepReport:
    """Build cache (``builder``: that buildx builder's), images, volumes and the wheelhouse, with what
    dockyard made set apart."""
    return df_report(measure(settings, docker, builder))


def cache_prune(
    settings: Settings,
    docker: str,
    policy: prune.Policy,
    *,
    dry_run: bool,
    now: datetime | None = None,
    builder: str | None = None,
) -> StepReport:
    """Remove what ``policy`` selects (``dry_run``: only say what, and how much it would free).
    ``builder``: the build cache is that buildx builder's (``buildx du`` and ``buildx prune``)."""
    before = measure(settings, docker, builder)
    chosen = prune.plan(before, policy, now=now or usage.now())
    rows = [("image", i.ref, ui.human_bytes(i.size)) for i in chosen.images]
    rows += [
        ("build cache", f"{r.kind}: {r.description[:60]}", ui.human_bytes(r.size)) for r in chosen.records
    ]
    tables = [Table.of("selected by the policy", ["kind", "what", "size"], rows)]
    if chosen.kept:
        tables.append(Table.of("kept", ["what", "why"], [(k.what, k.why) for k in chosen.kept]))
    estimate = chosen.image_bytes + chosen.cache_bytes
    if dry_run:
        return StepReport(
            name="cache.prune",
            status=Status.PLANNED,
            summary=f"would free about {ui.human_bytes(estimate)} "
            f"({len(chosen.images)} image(s), {len(chosen.records)} cache record(s))",
            tables=tuple(tables),
            measurements=(Measurement(name="would_free_bytes", value=estimate, unit="B"),),
        )
    findings: list[Finding] = []
    for image in chosen.images:
        result = process.run(prune.remove_image_argv(docker, image), check=False)
        if result.returncode != 0:
            findings.append(
                Finding(level=Level.WARNING, message=f"{image.ref}: {result.stderr.strip()[:200]}")
            )
    for record in chosen.records:
        # a record can go with its parent, or be taken by a build running meanwhile: not an error
        process.run(prune.prune_record_argv(docker, record, builder=builder), check=False, echo=False)
    after = measure(settings, docker, builder)
    left = {r.id for r in chosen.records} & {r.id for r in after.cache}
    if left:
        findings.append(
            Finding(
                level=Level.WARNING,
                message=f"{len(left)} cache record(s) the policy chose are still there "
                "(in use by a build running meanwhile?); run cache.prune again later",
            )
        )
    freed_cache = max(0, before.cache_bytes - after.cache_bytes)
    gone = {i.id for i in before.images} - {i.id for i in after.images}
    freed_images = sum(i.size for i in before.images if i.id in gone)
    return StepReport(
        name="cache.prune",
        status=Status.DONE,
        summary=f"freed {ui.human_bytes(freed_images + freed_cache)} "
        f"({len(chosen.images)} image(s), {len(chosen.records)} cache record(s))",
        tables=tuple(tables),
        findings=tuple(findings),
        measurements=(
            Measurement(name="freed_image_bytes", value=freed_images, unit="B"),
            Measurement(name="freed_cache_bytes", value=freed_cache, unit="B"),
        ),
    )


def gc_settings(settings: Settings, docker: str, *, builder: str | None = None) -> StepReport:
    """A build-cache GC recommendation from the cache size measured now (after a full rollout)."""
    used = measure(settings, docker, builder)
    advice = gc.recommend(used.cache_bytes)
    return StepReport(
        name="cache.gc",
        status=Status.DONE,
        summary=f"measured build cache {ui.human_bytes(used.cache_bytes)}: keep {advice.keep_gb} GB",
        tables=(
            Table.of(
                "garbage collection",
                ["where", "setting"],
                [
                    ("classic engine: /etc/docker/daemon.json", advice.daemon_json().strip()),
                    ("buildx builder: buildkitd.toml", advice.buildkitd_toml().strip()),
                ],
            ),
        ),
        data={"daemon_json": advice.daemon_json(), "buildkitd_toml": advice.buildkitd_toml()},
    )
