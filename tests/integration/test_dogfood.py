"""dockyard on itself: its requirements/, .dockerignore and docker/Dockerfile are what phases 1
and 2 generate from pyproject.toml. When this fails, run:
    dockyard phase1.requirements --project . && dockyard phase1.dockerignore --project .
    dockyard phase2 --project .
"""

from __future__ import annotations

from dockyard import config
from dockyard.phases import phase1, phase2
from dockyard.render import writer
from tests.integration.conftest import ROOT


def _stale(plan: writer.WritePlan) -> list[str]:
    return [writer.intent(change) for change in plan.changes if change.action is not writer.Action.UNCHANGED]


def test_own_requirements_are_generated_and_current() -> None:
    step = phase1.plan_requirements(config.load(ROOT))
    assert _stale(step.inputs) == []
    assert step.locks is None, "the locks are older than their inputs"


def test_own_dockerignore_is_generated_and_current() -> None:
    step = phase1.plan_dockerignore(config.load(ROOT))
    changes = [c for c in step.plan.changes if c.relpath == ".dockerignore"]
    assert [c.action for c in changes] == [writer.Action.UNCHANGED]


def test_own_dockerfile_is_generated_and_current() -> None:
    plan, _ = phase2.plan_files(config.load(ROOT))
    assert _stale(plan) == []
