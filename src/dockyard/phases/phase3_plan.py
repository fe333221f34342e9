"""Phase 3's plan, as data: which paths sync, sync and restart, or rebuild the dev service.

From it come ``docker/compose.yaml`` and ``docker/compose.dev.yaml`` (see docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard import dockerignore, layout
from dockyard.config import Settings
from dockyard.errors import InputError
from dockyard.phases import phase2_plan
from dockyard.render import compose as render
from dockyard.render.dockerfile import DockerfilePlan, dev_command, healthcheck
from dockyard.render.writer import GeneratedFile

SOURCE = "dockyard phase3"
DOCKERFILE = layout.DOCKERFILE
#: What the safe writer takes: paths relative to the project, and their text.
Files = dict[Path | str, GeneratedFile]


@dataclass(frozen=True, kw_only=True)
class Phase3Plan:
    root: Path
    compose: render.ComposePlan
    test_command: tuple[str, ...]
    notes: tuple[str, ...] = ()


def project_name(root: Path) -> str:
    """A compose project name from the directory name: lowercase letters, digits, ``-`` and ``_``."""
    name = re.sub(r"[^a-z0-9_-]+", "-", root.name.lower())
    name = re.sub(r"^[^a-z0-9]+", "", name).rstrip("-_")
    return name or "app"


def has_python(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".py"
    return any(path.rglob("*.py"))


def watch_rules(
    root: Path,
    paths: Sequence[str],
    *,
    rebuild_on: Sequence[str],
    ignored: dockerignore.Matcher | None = None,
    app_dir: str = render.APP_DIR,
) -> tuple[tuple[render.WatchRule, ...], tuple[str, ...]]:
    """The develop.watch rules for the service's paths (each synced into ``app_dir``) and the files
    that need a rebuild, with notes."""
    rules: list[render.WatchRule] = []
    notes: list[str] = []
    for path in paths:
        target = str(PurePosixPath(app_dir, path))
        if ignored is not None and ignored.excluded(path):
            notes.append(f"{path} is excluded by .dockerignore, so watch would never sync it: not watched")
            continue
        if has_python(root / path):
            why = f"{path}: copied in on change; the dev server's reloader restarts the worker"
            rules.append(
                render.WatchRule(
                    action=render.SYNC, path=path, target=target, ignore=render.SYNC_IGNORE, why=why
                )
            )
        else:
            why = f"{path}: read at startup, so the container restarts after the copy"
            rules.append(
                render.WatchRule(
                    action=render.SYNC_RESTART, path=path, target=target, ignore=render.SYNC_IGNORE, why=why
                )
            )
    for index, path in enumerate(rebuild_on):
        why = "dependencies and the build itself: only a new image is right" if index == 0 else ""
        rules.append(render.WatchRule(action=render.REBUILD, path=path, why=why))
    return tuple(rules), tuple(notes)


def _tests_dir(root: Path) -> str | None:
    for name in layout.TESTS_DIRS:
        if (root / name).is_dir():
            return name
    return None


def compose_plan(
    settings: Settings, dockerfile: DockerfilePlan
) -> tuple[render.ComposePlan, tuple[str, ...]]:
    root = settings.project
    # The dev stage copies the build context into the WORKDIR the generated Dockerfile keeps from the
    # original (``/usr/src/app``, ``/``...), so that is where watch syncs to and mounts go.
    app_dir = dockerfile.workdir
    paths = phase2_plan.runtime_paths(root)
    rebuild_on = [*dockerfile.runtime_locks, *dockerfile.dev_locks, DOCKERFILE]
    if (root / layout.DOCKERIGNORE).is_file():
        rebuild_on.append(layout.DOCKERIGNORE)
    if dockerfile.install_project:
        rebuild_on.append(layout.PYPROJECT)
    ignored = dockerignore.Matcher(dockerignore.read_dockerignore(root / layout.DOCKERIGNORE))
    rules, notes = watch_rules(root, paths, rebuild_on=rebuild_on, ignored=ignored, app_dir=app_dir)
    mounts: list[render.BindMount] = []
    tests = _tests_dir(root)
    if tests is not None:
        why = f"{tests}/ as on disk (the runtime build context may leave it out) for dev.test"
        mounts.append(render.BindMount(source=tests, target=str(PurePosixPath(app_dir, tests)), why=why))
    environment: tuple[tuple[str, str], ...] = ()
    if dockerfile.install_project:
        # The project is installed into the venv; the synced source must come first on the path.
        source = str(PurePosixPath(app_dir, "src")) if (root / "src").is_dir() else app_dir
        environment = (("PYTHONPATH", source),)
        notes += (f"the project is installed as a package: PYTHONPATH={source} puts the synced source first",)
    plan = render.ComposePlan(
        name=project_name(root),
        port=dockerfile.port,
        healthcheck=healthcheck(dockerfile.port, dockerfile.health_path) if dockerfile.health_path else (),
        dev_command=dev_command(dockerfile.command),
        uid=dockerfile.uid,
        watch=rules,
        mounts=tuple(mounts),
        dev_environment=environment,
        env_file=".env",
    )
    return plan, notes


def plan(settings: Settings, dockerfile: DockerfilePlan | None = None) -> Phase3Plan:
    dockerfile = dockerfile or phase2_plan.plan_dockerfile(settings)
    if not (settings.project / DOCKERFILE).is_file():
        raise InputError(
            f"no {DOCKERFILE}: phase 3 builds on the phase-2 Dockerfile",
            path=str(settings.project / DOCKERFILE),
            hint="run `dockyard phase2` first",
        )
    cplan, notes = compose_plan(settings, dockerfile)
    return Phase3Plan(root=settings.project, compose=cplan, test_command=dockerfile.test_command, notes=notes)


def compose_files(p: Phase3Plan) -> Files:
    return {
        p.compose.compose_file: GeneratedFile(render.render_production(p.compose), source=SOURCE),
        p.compose.dev_file: GeneratedFile(render.render_dev(p.compose), source=SOURCE),
    }
