"""What the .dockerignore modules share: options, groups of patterns, findings, thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning", "info"]
Kind = Literal["optional", "kept", "junk", "secret", "kept-late"]

DEFAULT_SIZE_THRESHOLD = 10 * 1024 * 1024
SECRET_SCAN_BYTES = 8192

#: Directory names that usually hold data or models; kept when they contain Python code.
DATA_DIR_NAMES: frozenset[str] = frozenset(
    {"data", "datasets", "dataset", "raw_data", "models", "weights", "checkpoints", "artifacts"}
)
#: Experiment trackers' output; code snapshots inside (wandb keeps some) do not make it code.
EXPERIMENT_DIR_NAMES: frozenset[str] = frozenset(
    {"mlruns", "wandb", "lightning_logs", "tensorboard", "outputs", "runs", "multirun"}
)
NOTEBOOK_DIR_NAMES: frozenset[str] = frozenset({"notebooks", "notebook"})
#: Wanted or dropped as a whole by the tests/docs options, so nothing inside is picked on its own.
_WHOLE_DIRS: frozenset[str] = frozenset({"tests", "test", "docs", "doc"})


@dataclass(frozen=True, kw_only=True)
class IgnoreOptions:
    """``include_tests``: the build has a stage that runs the tests, so tests/ must be sent."""

    include_tests: bool = False
    include_docs: bool = False
    size_threshold: int = DEFAULT_SIZE_THRESHOLD
    state_dir: str = ".dockyard"


@dataclass(frozen=True, kw_only=True)
class IgnoreGroup:
    title: str
    why: str
    kind: Kind
    patterns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FoundDir:
    """A directory of the project the runtime image does not need, and why it was picked."""

    path: str
    size: int
    reason: str
    group: Literal["notebooks", "data"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    level: Level
    path: str
    message: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{self.level}: {where}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class ProjectScan:
    found: tuple[FoundDir, ...]
    packages: tuple[str, ...]
    findings: tuple[Finding, ...] = ()


# --- what every generated file ignores ------------------------------------------------------------

_VCS = ("**/.git", ".hg", ".svn", ".gitignore", ".gitattributes", ".gitmodules")
_PY_CACHES = (
    "**/__pycache__", "**/*.py[cod]", "**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache",
    "**/.hypothesis", ".coverage", ".coverage.*", "coverage.xml", "htmlcov", ".dmypy.json", ".pyre",
    ".pytype",
)  # fmt: skip
_ENVS_AND_BUILDS = (
    ".venv", "venv", "env", ".nox", ".tox", "build", "dist", "**/*.egg-info", ".eggs", "pip-wheel-metadata",
)  # fmt: skip
_EDITORS = ("**/.idea", "**/.vscode", "**/*.swp", "**/*.swo", "**/*~", "**/.DS_Store", "**/Thumbs.db")
_TOOLING = (".github", ".gitlab-ci.yml", ".pre-commit-config.yaml", ".editorconfig", "noxfile.py", "tox.ini")
_DOCKER_FILES = ("Dockerfile*", "*.Dockerfile", ".dockerignore", "docker-compose*.y*ml", "compose*.y*ml")
_SECRETS = (
    "**/.env", "**/.env.*", "!**/.env.example", "!**/.env.sample", "!**/.env.template",
    "**/*.pem", "**/*.key", "**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*",
    "**/*.p12", "**/*.pfx", "**/*.jks", "**/.ssh", "**/.aws", "**/.gnupg", "**/.kube",
    "**/.pypirc", "**/pip.conf", "**/.netrc", "**/.npmrc", "**/.git-credentials",
    "**/credentials.json", "**/.docker/config.json",
)  # fmt: skip


def junk_patterns(options: IgnoreOptions) -> tuple[str, ...]:
    """Patterns for files no image needs (the COPY check does not count them as needed)."""
    return (*_VCS, *_PY_CACHES, *_ENVS_AND_BUILDS, *_EDITORS, *_TOOLING, options.state_dir, *_DOCKER_FILES)


def secret_patterns() -> tuple[str, ...]:
    return _SECRETS
