"""Every path dockyard reads or writes in a project, named once (and where its own checkout is).

Paths are POSIX strings relative to the project root; the functions join them onto a project.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.config import Settings

# --- what the project has ------------------------------------------------------------------------------
PYPROJECT = "pyproject.toml"
#: The project's own Dockerfile: the "before" that phase 1 measures and phase 2 reads CMD/EXPOSE from.
BASELINE_DOCKERFILE = "Dockerfile"
HADOLINT_CONFIG = ".hadolint.yaml"
TESTS_DIRS = ("tests", "test")

# --- what dockyard writes ------------------------------------------------------------------------------
DOCKERIGNORE = ".dockerignore"
#: Phase 2's Dockerfile, and the stage a runnable image stops at.
DOCKERFILE = "docker/Dockerfile"
RUNTIME_TARGET = "runtime"
#: Phase 3's compose files and guide.
COMPOSE_DIR = "docker"
COMPOSE_FILE = f"{COMPOSE_DIR}/compose.yaml"
DEV_COMPOSE_FILE = f"{COMPOSE_DIR}/compose.dev.yaml"
DEV_GUIDE = "docs/development.md"
#: The wheelhouse: one directory per wheel set (see dockyard.wheelhouse), and its manifest.
WHEELHOUSE_DIR = ".wheelhouse"
WHEELHOUSE_MANIFEST = "wheelhouse.json"
#: In each wheel set: the lock the step installs (the project's lock plus hashes of wheels built from sdists)
WHEELHOUSE_LOCK = "requirements.txt"
#: ... and the sha256sum line of the project lock it was made from, checked before installing.
LOCK_CHECKSUM = "lock.sha256"
#: The sets that are not a project lock: uv itself, and the project's build backend.
INSTALLER_SET = "installer"
BUILD_SYSTEM_SET = "build-system"
#: Where an install step of the generated Dockerfile mounts its wheel set.
WHEELS_MOUNT = "/wheels"
#: Wheels built on the host from the runtime locks' git requirements, and where the image mounts them.
VCS_WHEELS = "docker/vcs-wheels"
VCS_MOUNT = "/tmp/vcs-wheels"
#: The split and locked requirement groups, in ``Settings.requirements_dir``.
REQUIREMENT_GROUPS = ("base", "ml", "test", "dev")
#: In ``Settings.state_dir``: the context report, the baseline, benchmark results, the writer's manifest.
CONTEXT_REPORT = "context-report.md"
BASELINE_DIR = "baseline"
BENCH_DIR = "bench"
#: Docs written by ``dockyard bench.report``.
BENCH_DOCS_DIR = "docs"


def requirements_in(settings: Settings, group: str) -> str:
    return f"{settings.requirements_dir}/{group}.in"


def requirements_lock(settings: Settings, group: str) -> str:
    return f"{settings.requirements_dir}/{group}.txt"


def context_report(settings: Settings) -> str:
    return f"{settings.state_dir}/{CONTEXT_REPORT}"


def baseline_dir(settings: Settings) -> Path:
    return settings.state_path / BASELINE_DIR


def baseline_result(settings: Settings) -> Path:
    return baseline_dir(settings) / "result.json"


def baseline_copy(settings: Settings) -> Path:
    """The Dockerfile the baseline measured, so a later run can tell whether it is still current."""
    return baseline_dir(settings) / BASELINE_DOCKERFILE


def bench_dir(settings: Settings) -> Path:
    return settings.state_path / BENCH_DIR


def bench_latest(settings: Settings) -> Path:
    return bench_dir(settings) / "latest.json"


def bench_history(settings: Settings) -> Path:
    return bench_dir(settings) / "history.jsonl"


# --- dockyard's own checkout ---------------------------------------------------------------------------
PACKAGE = Path(__file__).resolve().parent
#: Where ``dockyard demo`` copies the example, in the checkout (git-ignored).
DEMO_SCRATCH = ".demo"


def repo_root() -> Path | None:
    """dockyard's own checkout when running from one (src layout), else None."""
    candidate = PACKAGE.parent.parent
    found = (candidate / "examples").is_dir() and (candidate / PYPROJECT).is_file()
    return candidate if found else None


def bundled_example(name: str = "inference-service") -> Path | None:
    root = repo_root()
    if root is None:
        return None
    example = root / "examples" / name
    return example if example.is_dir() else None
