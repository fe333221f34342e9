"""The rollout: phases in order, resumable after an interruption, and its Markdown report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import config, process
from dockyard.config import Settings
from dockyard.phases import rollout
from dockyard.phases.report import FileResult, Finding, Level, Measurement, Progress, Status, StepReport


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    (tmp_path / "app.py").write_text("print('hi')\n")
    # no git here: the fingerprint falls back to walking the tree (the unit tier forbids subprocesses)
    monkeypatch.setattr(process, "run", lambda *a, **k: type("R", (), {"returncode": 1, "stdout": ""})())
    return config.load(tmp_path, environ={})


def phase(
    name: str, calls: list[str], *, fail: bool = False, interrupt: bool = False
) -> rollout.RolloutPhase:
    def run(s: Settings, progress: Progress) -> StepReport:
        calls.append(name)
        if interrupt:
            raise KeyboardInterrupt
        return StepReport(
            name=name,
            status=Status.FAILED if fail else Status.DONE,
            summary=f"{name} summary",
            files=(FileResult(path=f"{name}.txt", action="create", message=f"created {name}.txt"),),
            measurements=(Measurement(name="code_s", value=0.12, unit="s", baseline=24.3),),
            findings=(Finding(level=Level.WARNING, message="a | pipe", where="Dockerfile:3"),),
        )

    return rollout.RolloutPhase(name=name, title=name, run=run)


def test_runs_in_order_and_writes_the_report(settings: Settings) -> None:
    calls: list[str] = []
    result = rollout.run(settings, [phase("phase1", calls), phase("phase2", calls)])
    assert calls == ["phase1", "phase2"]
    assert result.status is Status.DONE
    text = (settings.project / rollout.REPORT).read_text()
    assert "`phase1.txt`" in text and "24.3 s" in text and "a \\| pipe" in text
    again = rollout.run(settings, [phase("phase1", calls), phase("phase2", calls)])
    assert calls == ["phase1", "phase2"]  # nothing ran: every phase finished on this state
    assert [s.status for s in again.steps[:2]] == [Status.CURRENT, Status.CURRENT]
    assert (settings.project / rollout.REPORT).read_text() == text  # the same report, from the records


def test_resumes_after_an_interruption(settings: Settings) -> None:
    calls: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        rollout.run(settings, [phase("phase1", calls), phase("phase2", calls, interrupt=True)])
    calls.clear()
    rollout.run(settings, [phase("phase1", calls), phase("phase2", calls)])
    assert calls == ["phase2"]


def test_phases_that_write_files_are_still_skipped_when_nothing_changed_since(settings: Settings) -> None:
    calls: list[str] = []

    def writing(name: str) -> rollout.RolloutPhase:
        inner = phase(name, calls)

        def run(s: Settings, progress: Progress) -> StepReport:
            (s.project / f"{name}.txt").write_text(name)  # each phase leaves a file behind
            return inner.run(s, progress)

        return rollout.RolloutPhase(name=name, title=name, run=run)

    rollout.run(settings, [writing("phase1"), writing("phase2")])
    calls.clear()
    again = rollout.run(settings, [writing("phase1"), writing("phase2")])
    assert calls == []
    assert [s.status for s in again.steps[:2]] == [Status.CURRENT, Status.CURRENT]


def test_a_changed_project_runs_again_and_a_failure_stops(settings: Settings) -> None:
    calls: list[str] = []
    rollout.run(settings, [phase("phase1", calls)])
    (settings.project / "app.py").write_text("print('changed')\n")
    result = rollout.run(settings, [phase("phase1", calls, fail=True), phase("phase2", calls)])
    assert calls == ["phase1", "phase1"]
    assert result.failed and result.summary == "failed at phase1"
    calls.clear()
    rollout.run(settings, [phase("phase1", calls), phase("phase2", calls)], fresh=True)
    assert calls == ["phase1", "phase2"]
