"""CI sessions. The work lives in the dockyard package; sessions install from requirements/ (hashed)."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True


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
    """mypy --strict on src/."""
    install(session, "base", "ml", "test", "dev")
    session.run("mypy", "--strict", "src/dockyard")


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """The main job: the whole rollout on a scratch copy of the bundled example."""
    install(session, "base", "ml")
    session.run("invoke", "demo", *session.posargs)


@nox.session(default=False)
def corpus(session: nox.Session) -> None:
    """dockyard on every corpus project (tests/corpus); posargs: project names and runner flags."""
    install(session, "base", "ml")
    session.run("python", "-m", "tests.corpus.runner", *session.posargs)
