"""The phase3 task and the dev.* tasks: flags in, the right compose command out, failures as exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

from dockyard.engine import compose
from dockyard.phases import phase2
from dockyard.phases import phase3 as phase
from dockyard.render import compose as render
from dockyard.tasks import dev, phase3

VERSION = '{"version":"v2.40.3"}'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "compose.yaml").write_text("services: {}\n")
    (tmp_path / "docker" / "compose.dev.yaml").write_text("services: {}\n")
    return tmp_path


def test_the_dev_collection() -> None:
    assert sorted(dev.dev.task_names) == ["down", "logs", "shell", "test", "up", "watch"]


def test_dev_down_says_nothing_is_left(fake_process, project: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    stack = phase.dev_stack(project, "docker")
    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    fake_process.on(["docker", "ps"], stdout="")
    fake_process.on(["docker", "network"], stdout="")
    fake_process.on(["docker", "volume"], stdout="")
    fake_process.on(compose.down_argv(stack))
    dev.down(Context(), project=str(project), docker="docker")
    assert f"the dev stack {stack.project_name} is gone" in capsys.readouterr().out
    assert tuple(compose.down_argv(stack)) in fake_process.calls


def test_dev_down_fails_when_something_is_left(fake_process, project: Path) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    fake_process.on(["docker", "ps"], stdout="")
    fake_process.on(["docker", "network"], stdout="n1\n")
    fake_process.on(["docker", "volume"], stdout="")
    fake_process.on(compose.down_argv(phase.dev_stack(project, "docker")))
    with pytest.raises(Exit) as caught:
        dev.down(Context(), project=str(project), docker="docker")
    assert caught.value.code == 5
    assert "network n1" in str(caught.value.message)


def test_dev_test_runs_pytest_as_the_image_user_and_keeps_its_exit_code(fake_process, project: Path) -> None:  # type: ignore[no-untyped-def]
    stack = phase.dev_stack(project, "docker")
    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    argv = phase.test_argv(stack, args=["-k", "predict"])
    fake_process.on(argv, stdout="1 failed\n", returncode=1)
    with pytest.raises(Exit) as caught:
        dev.test(Context(), project=str(project), docker="docker", args="-k predict")
    assert caught.value.code == 1
    assert tuple(argv) in fake_process.calls
    assert argv[argv.index("--user") + 1] == "10001"


def test_dev_tasks_need_the_phase3_files(fake_process, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    with pytest.raises(Exit) as caught:
        dev.up(Context(), project=str(tmp_path), docker="docker")
    assert "run `dockyard phase3` first" in str(caught.value.message)


def test_dev_tasks_without_compose_v2_say_what_to_install(fake_process, project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["docker", "compose", "version"], returncode=1)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(Exit) as caught:
        dev.watch(Context(), project=str(project), docker="docker")
    assert caught.value.code == 3
    assert "docker-compose-plugin" in str(caught.value.message)


def test_phase3_dry(fake_process, tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    plan = phase.Phase3Plan(
        root=tmp_path,
        compose=render.ComposePlan(
            name="x", port=8000, healthcheck=("true",), dev_command=("uvicorn", "m:app"), uid=10001, watch=()
        ),
        test_command=("pytest",),
        notes=("a note",),
    )
    monkeypatch.setattr(phase, "plan", lambda settings: plan)
    monkeypatch.setattr(phase2, "outputs", lambda settings, **kwargs: [])
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM python:3.11-slim AS dev\n")
    phase3.phase3(Context(), project=str(tmp_path), dry_run=True)
    out = capsys.readouterr().out
    assert "info: a note" in out
    assert "would create docker/compose.yaml" in out
    assert not (tmp_path / "docker" / "compose.yaml").exists()
    assert fake_process.calls == []


def test_dev_test_runs_the_configured_test_command(fake_process, project: Path) -> None:  # type: ignore[no-untyped-def]
    (project / "pyproject.toml").write_text(
        '[tool.dockyard]\ntest_command = ["pytest", "-x", "tests/unit"]\n'
    )
    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    stack = phase.dev_stack(project, "docker")
    argv = phase.test_argv(stack, test_command=("pytest", "-x", "tests/unit"), args=["-k", "predict"])
    fake_process.on(argv, stdout="1 passed\n")
    dev.test(Context(), project=str(project), docker="docker", args="-k predict")
    assert tuple(argv) in fake_process.calls
    assert argv[-5:] == ["pytest", "-x", "tests/unit", "-k", "predict"]


def test_dev_test_defaults_to_the_one_default_test_command(fake_process, project: Path) -> None:  # type: ignore[no-untyped-def]
    from dockyard.config import DEFAULT_TEST_COMMAND

    fake_process.on(["docker", "compose", "version"], stdout=VERSION)
    argv = phase.test_argv(phase.dev_stack(project, "docker"))
    fake_process.on(argv, stdout="1 passed\n")
    dev.test(Context(), project=str(project), docker="docker")
    assert argv[-len(DEFAULT_TEST_COMMAND) :] == list(DEFAULT_TEST_COMMAND)
    assert tuple(argv) in fake_process.calls
