"""CI sessions. The work lives in the dockyard package; sessions install from requirements/ (hashed)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "package"]
nox.options.reuse_existing_virtualenvs = True

NO_MATPLOTLIB = "import importlib.util, sys; sys.exit(importlib.util.find_spec('matplotlib') is not None)"


def install(session: nox.Session, *groups: str) -> None:
    files = [arg for group in groups for arg in ("-r", f"requirements/{group}.txt")]
    session.install("--require-hashes", *files)
    session.install("--no-deps", "-e", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests; integration tests need Docker (in CI a missing engine fails)."""
    install(session, "base", "ml", "test")
    session.run("pytest", *session.posargs)


@nox.session
def unit(session: nox.Session) -> None:
    """Unit tests only: pure, fast, no Docker."""
    install(session, "base", "ml", "test")
    session.run("pytest", "tests/unit", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the package, the tests and the edges."""
    install(session, "base", "ml", "test", "dev")
    session.run("ruff", "check", "src", "tests", "tasks.py", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "tasks.py", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/, and on tests/ with the relaxed settings of pyproject.toml."""
    install(session, "base", "ml", "test", "dev")
    session.run("mypy", "--strict", "src/dockyard")
    session.run("mypy", "tests")


@nox.session
def package(session: nox.Session) -> None:
    """Build the sdist and wheel; install the wheel in a fresh venv without the charts extra; run it."""
    install(session, "base")  # uv builds
    dist = Path(session.create_tmp()) / "dist"
    session.run("uv", "build", "--sdist", "--wheel", "--out-dir", str(dist))
    venv = Path(session.create_tmp()) / "wheel-venv"
    session.run(
        "uv", "venv", "--quiet", "--clear", "--python", session.virtualenv.location + "/bin/python", str(venv)
    )
    python, dockyard = str(venv / "bin" / "python"), str(venv / "bin" / "dockyard")
    (wheel,) = dist.glob("dockyard-*.whl")
    session.run("uv", "pip", "install", "--quiet", "--python", python, str(wheel))
    session.run(python, "-c", NO_MATPLOTLIB, external=True)
    session.run(dockyard, "--help", external=True)
    session.run(dockyard, "doctor", external=True)
    out = Path(session.create_tmp()) / "report"
    session.run(
        dockyard, "bench.report", "--result", "docs/benchmark-example.json", "--out", str(out), external=True
    )
    if not (out / "benchmark.md").is_file() or (out / "benchmark.png").exists():
        session.error("without matplotlib, bench.report must write benchmark.md and no chart")


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """The main job: the whole rollout on a scratch copy of the bundled example."""
    install(session, "base", "ml")
    session.run("dockyard", "demo", *session.posargs)


@nox.session(default=False)
def platform(session: nox.Session) -> None:
    """linux/arm64 under qemu: provision qemu and the arm64 stand-in (~12 min once), build and run it."""
    install(session, "base", "ml", "test")
    session.run("bash", ".ci/provision-qemu", external=True)
    session.run("pytest", "--qemu", "tests/integration", "-p", "no:cacheprovider", *session.posargs)


@nox.session(default=False)
def fixture_locks(session: nox.Session) -> None:
    """Re-make the fixture projects' locks and METADATA with the real uv, poetry, pdm and pipenv."""
    install(session, "base", "ml")
    session.install("poetry", "pdm", "hishel>=1.4,<2", "pipenv")
    session.run("python", "tests/data/projects/make_locks.py", *session.posargs)


@nox.session(default=False)
def corpus(session: nox.Session) -> None:
    """dockyard on every corpus project (tests/corpus); posargs: project names and runner flags."""
    install(session, "base", "ml")
    session.run("python", "-m", "tests.corpus.runner", *session.posargs)
