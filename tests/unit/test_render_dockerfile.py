"""The optimized Dockerfile as text: stages, ordering, mounts, and what reaches the runtime image."""

from __future__ import annotations

import json

from dockyard.dockerfile import parse_text
from dockyard.render.dockerfile import DockerfilePlan, dev_command, healthcheck, render

PLAN = DockerfilePlan(
    base_image="python:3.11-slim",
    command=("uvicorn", "svc.app:app", "--host", "0.0.0.0", "--port", "8000"),
    port=8000,
    health_path="/health",
    app_paths=("config", "svc"),
    runtime_locks=("requirements/base.txt", "requirements/ml.txt"),
)


def test_stages_and_runtime_contents() -> None:
    parsed = parse_text(render(PLAN))
    assert [s.name for s in parsed.stages] == ["base", "tools", "builder", "ml", "dev", "test", "runtime"]
    runtime = parsed.final_stage
    assert runtime.user == "10001:10001"
    assert runtime.cmd is not None and runtime.cmd.form == "exec"
    assert runtime.cmd.args == PLAN.command
    assert runtime.healthcheck is not None
    copies = [c.sources for c in runtime.copies]
    assert copies == [("/opt/ml",), ("/opt/venv",), ("config",), ("svc",)]
    assert runtime.env["PYTHONDONTWRITEBYTECODE"] == "1" and runtime.env["PYTHONUNBUFFERED"] == "1"


def test_locks_are_bind_mounted_hash_checked_and_layered_in_order() -> None:
    text = render(PLAN)
    base, ml = text.index("requirements/base.txt"), text.index("requirements/ml.txt")
    assert base < ml
    builder = parse_text(text).stage("builder")
    assert builder is not None
    mounts = [m for run in builder.runs for m in run.mounts]
    assert {
        "type": "bind",
        "source": "requirements/base.txt",
        "target": "/tmp/requirements/base.txt",
    } in mounts
    assert any(m.get("type") == "cache" and m.get("target") == "/root/.cache/uv" for m in mounts)
    assert text.count("--require-hashes") == 4  # base, ml, dev, test
    assert "COPY requirements" not in text


def test_no_python_location_and_no_syntax_line_by_default() -> None:
    text = render(PLAN)
    assert "/usr/local" not in text and "/usr/bin/python" not in text
    assert not text.startswith("# syntax=")
    assert render(DockerfilePlan(**{**PLAN.__dict__, "syntax": "docker/dockerfile:1"})).startswith(
        "# syntax=docker/dockerfile:1\n"
    )


def test_pip_installer_and_apt_cache_mounts() -> None:
    text = render(DockerfilePlan(**{**PLAN.__dict__, "installer": "pip", "apt_build_packages": ("gcc",)}))
    assert "--mount=type=cache,target=/root/.cache/pip" in text
    assert "/opt/uv" not in text
    assert (
        "target=/var/cache/apt,sharing=locked" in text and "target=/var/lib/apt/lists,sharing=locked" in text
    )
    tools = parse_text(text).stage("tools")
    assert tools is not None and any("apt-get install" in r.script for r in tools.runs)
    runtime = parse_text(text).final_stage
    assert all("apt-get" not in r.script for r in runtime.runs)


def test_dev_command_and_healthcheck() -> None:
    assert dev_command(("uvicorn", "a:b"))[-1] == "--reload"
    assert dev_command(("gunicorn", "a:b")) == ("gunicorn", "a:b")
    probe = healthcheck(8000, "/health")
    assert probe[:2] == ("python", "-c") and "http://127.0.0.1:8000/health" in probe[2]
    assert json.loads(json.dumps(probe)) == list(probe)


def test_without_an_ml_lock_there_is_no_ml_stage() -> None:
    text = render(DockerfilePlan(**{**PLAN.__dict__, "runtime_locks": ("requirements/base.txt",)}))
    assert parse_text(text).stage("ml") is None
    assert "/opt/ml" not in text and "dockyard-ml.pth" not in text


def test_distributions_the_base_has_are_left_to_it() -> None:
    import dataclasses

    assert "include-system-site-packages" not in render(PLAN)
    text = render(dataclasses.replace(PLAN, shared_with_base=("pip", "setuptools")))
    builder = parse_text(text).stage("builder")
    assert builder is not None
    script = builder.runs[-1].script
    assert 'uv pip uninstall --python "$VIRTUAL_ENV/bin/python" pip setuptools' in script
    assert "include-system-site-packages = true" in script
    # after the base lock's install, before anything the runtime stage copies
    assert (
        text.index("requirements/base.txt")
        < text.index("uv pip uninstall")
        < text.index("FROM base AS runtime")
    )
