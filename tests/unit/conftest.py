"""Unit tests are pure: any subprocess that does not go through a fake of dockyard.process fails."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard import process


def _forbidden(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"unit tests must not start processes: {args!r}")


@pytest.fixture(scope="session", autouse=True)
def matplotlib_font_cache() -> None:
    """matplotlib runs fc-list when it first builds its font cache (on a fresh machine or image):
    let it do that once, before processes are forbidden."""
    with contextlib.suppress(ImportError):  # the charts extra is optional
        import matplotlib.font_manager  # noqa: F401


@pytest.fixture(autouse=True)
def no_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", _forbidden)
    monkeypatch.setattr(subprocess, "Popen", _forbidden)
    monkeypatch.setattr(subprocess, "check_output", _forbidden)
    monkeypatch.setattr(subprocess, "call", _forbidden)


@dataclass
class FakeProcess:
    """Scripted answers for dockyard.process.run/stream, keyed by an argv prefix."""

    answers: list[tuple[tuple[str, ...], Callable[[tuple[str, ...]], process.Result]]] = field(
        default_factory=list
    )
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def on(self, prefix: Sequence[str], stdout: str = "", returncode: int = 0, stderr: str = "") -> None:
        def answer(argv: tuple[str, ...]) -> process.Result:
            return process.Result(argv, returncode, stdout, stderr)

        self.answers.insert(0, (tuple(prefix), answer))

    def _find(self, argv: Sequence[str]) -> process.Result:
        argv = tuple(argv)
        self.calls.append(argv)
        for prefix, answer in self.answers:
            if argv[: len(prefix)] == prefix:
                return answer(argv)
        raise AssertionError(f"no scripted answer for {argv!r}")

    def run(
        self, argv: Sequence[str], *, check: bool = True, hint: str | None = None, **_: object
    ) -> process.Result:
        result = self._find(argv)
        if check and result.returncode != 0:
            from dockyard.errors import CommandFailed

            raise CommandFailed(argv, result.returncode, result.stderr or result.stdout, hint=hint)
        return result

    @contextmanager
    def stream(self, argv: Sequence[str], **_: object) -> Iterator[process.Streamed]:
        result = self._find(argv)
        text = result.stdout + result.stderr
        handle = process.Streamed(tuple(argv), iter(text.splitlines()))
        yield handle
        handle.returncode = result.returncode


@pytest.fixture
def fake_process(monkeypatch: pytest.MonkeyPatch) -> FakeProcess:
    """Replace the process seam; tests script answers with ``fake_process.on(prefix, stdout=...)``."""
    fake = FakeProcess()
    monkeypatch.setattr(process, "run", fake.run)
    monkeypatch.setattr(process, "stream", fake.stream)
    monkeypatch.setattr(process, "which", lambda program: program)
    return fake


DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA
