"""Phase 2's decisions, as data: what the optimized Dockerfile installs, copies and runs.

Everything is inferred from the project as it is (its current Dockerfile, its phase-1
requirement locks, its layout and git history) and can be overridden in ``[tool.dockyard]``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from dockyard import dockerfile as dockerfile_mod
from dockyard import history
from dockyard.config import Settings
from dockyard.errors import InputError
from dockyard.render.dockerfile import DockerfilePlan

#: Top-level entries that never belong in the runtime image.
NOT_RUNTIME = {
    "tests", "test", "docs", "doc", "notebooks", "scripts", "examples", "benchmarks", "requirements",
    "docker", "build", "dist", "htmlcov", "node_modules", "Dockerfile", "compose.yaml", "compose.yml",
    "docker-compose.yml", "docker-compose.yaml", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini",
    "noxfile.py", "tasks.py", "conftest.py", "Makefile", "README.md", "README.rst", "LICENSE",
    "CHANGELOG.md", "requirements.txt", "uv.lock", "poetry.lock", "Pipfile", "Pipfile.lock", "venv",
}  # fmt: skip
#: Without git history: configuration changes least, then data, then code.
FALLBACK_RANK = {"config": 0, "conf": 0, "settings": 0, "static": 1, "templates": 1, "data": 1, "models": 1}


def current_dockerfile(settings: Settings) -> dockerfile_mod.Dockerfile | None:
    """The project's own Dockerfile (the phase-1 baseline), if it has one."""
    path = settings.project / "Dockerfile"
    return dockerfile_mod.parse_file(path) if path.is_file() else None


def app_command(settings: Settings, current: dockerfile_mod.Dockerfile | None) -> tuple[str, ...]:
    if settings.app_command:
        return settings.app_command
    stage = current.final_stage if current else None
    if stage is not None and stage.cmd is not None:
        cmd = stage.cmd
        argv = tuple(cmd.args) if cmd.form == "exec" else ("sh", "-c", " ".join(cmd.args))
        if argv:
            return argv
    raise InputError(
        "cannot tell how the service starts: no CMD in the project's Dockerfile",
        path=str(settings.project / "Dockerfile"),
        hint='set app_command in [tool.dockyard], e.g. app_command = ["uvicorn", "pkg.app:app"]',
    )


def app_port(settings: Settings, current: dockerfile_mod.Dockerfile | None) -> int:
    if settings.app_port == 0:
        return 0
    if current is not None:
        for port in current.final_stage.expose:
            if port.number is not None:
                return port.number
    return settings.app_port


def runtime_paths(project: Path) -> list[str]:
    """Top-level files and directories the running service may need."""
    paths = []
    for entry in sorted(project.iterdir()):
        name = entry.name
        if name.startswith(".") or name in NOT_RUNTIME or name.endswith((".md", ".rst", ".ipynb", ".txt")):
            continue
        if name.startswith(("Dockerfile", "test_", "requirements")) or name.endswith((".in", ".lock")):
            continue
        if entry.is_dir() and not any(entry.rglob("*")):
            continue
        paths.append(name)
    return paths


def installs_project(project: Path) -> bool:
    """A pyproject with [project] and [build-system] is installed as a package (no deps)."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"cannot read TOML: {exc}", path=str(path)) from exc
    return "project" in data and "build-system" in data


def plan_dockerfile(settings: Settings) -> DockerfilePlan:
    project = settings.project
    current = current_dockerfile(settings)
    reqs = settings.requirements_dir
    runtime_locks = tuple(
        f"{reqs}/{name}.txt" for name in ("base", "ml") if _has_pins(project / reqs / f"{name}.txt")
    )
    dev_locks = tuple(
        f"{reqs}/{name}.txt" for name in ("dev", "test") if _has_pins(project / reqs / f"{name}.txt")
    )
    if not runtime_locks:
        raise InputError(
            f"no locked runtime requirements in {reqs}/",
            path=str(project / reqs),
            hint="run `dockyard phase1` first: it splits and locks requirements",
        )
    install_project = installs_project(project)
    local = tuple(line for lock in runtime_locks for line in local_lines((project / lock).read_text()))
    private = next(
        (
            m.group(1)
            for lock in (*runtime_locks, *dev_locks)
            if (m := _PRIVATE.search((project / lock).read_text()))
        ),
        None,
    )
    paths = [] if install_project else runtime_paths(project)
    counts = history.top_level_change_counts(project)
    ordered = history.order_by_stability(paths, counts, fallback=FALLBACK_RANK)
    return DockerfilePlan(
        base_image=settings.base_image,
        command=app_command(settings, current),
        port=app_port(settings, current),
        health_path=settings.health_path,
        app_paths=tuple(ordered),
        runtime_locks=runtime_locks,
        dev_locks=dev_locks,
        installer=settings.installer,
        syntax=settings.syntax,
        apt_build_packages=settings.build_packages,
        test_command=settings.test_command,
        install_project=install_project,
        local_installs=local,
        private_index=private,
    )


_PRIVATE = re.compile(r"^# dockyard: private index \((--[a-z-]+)\)", re.MULTILINE)


def local_lines(lock_text: str) -> list[str]:
    """The local paths and archives a phase-1 lock lists unhashed (``-e`` dropped: an image never edits)."""
    from dockyard.requirements.lock import unhashed_lines

    found = []
    for line in unhashed_lines(lock_text):
        target = line.removeprefix("-e ").strip()
        target = target.split(" @ ", 1)[1] if " @ " in target else target
        target = target.removeprefix("file:")
        if target.startswith(("./", "../")) or target == ".":
            found.append(target)
    return found


def _has_pins(path: Path) -> bool:
    if not path.is_file():
        return False
    return any(line and not line.startswith(("#", " ", "-")) for line in path.read_text().splitlines())
