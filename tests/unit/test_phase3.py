"""Phase 3 as data: the watch rules, the compose plan, the guide, the config check, down, the probe."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dockyard import config, dockerignore, process
from dockyard.engine import compose, compose_models
from dockyard.errors import InputError
from dockyard.phases import phase3
from dockyard.render import compose as render
from dockyard.render.dockerfile import DockerfilePlan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inference-service"
CAPTURE = Path("/tmp/capture/inference-service")  # where tests/data/compose was captured
DOCKERIGNORE = ".git\n**/__pycache__\n.venv\nnotebooks\ndocs\n.env\n"


def dockerfile_plan(**overrides: Any) -> DockerfilePlan:
    values: dict[str, Any] = dict(
        base_image="python:3.11-slim",
        command=("uvicorn", "inference_service.app:app", "--host", "0.0.0.0", "--port", "8000"),
        port=8000,
        health_path="/health",
        app_paths=("config", "inference_service"),
        runtime_locks=("requirements/base.txt", "requirements/ml.txt"),
        dev_locks=("requirements/dev.txt", "requirements/test.txt"),
    )
    values.update(overrides)
    return DockerfilePlan(**values)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example as phase 2 leaves it, minus real locks (the plan only needs the Dockerfile there)."""
    target = tmp_path / "inference-service"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (target / ".dockerignore").write_text(DOCKERIGNORE)
    (target / "docker").mkdir()
    (target / "docker" / "Dockerfile").write_text("FROM python:3.11-slim AS dev\n")
    (target / "requirements").mkdir()
    for name in ("base", "ml", "dev", "test"):
        (target / "requirements" / f"{name}.txt").write_text("x==1\n")
    return target


def make_plan(root: Path, *, at: Path | None = None) -> phase3.Phase3Plan:
    p = phase3.plan(config.load(root, environ={}), dockerfile_plan())
    return p if at is None else phase3.Phase3Plan(root=at, compose=p.compose, test_command=p.test_command)


# --- names and rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("inference-service", "inference-service"), ("My Service", "my-service"), ("__x.y", "x-y"),
     ("!!!", "app"), ("App_2", "app_2")],
)  # fmt: skip
def test_project_names_are_valid_for_compose(tmp_path: Path, name: str, expected: str) -> None:
    assert phase3.project_name(tmp_path / name) == expected


def test_python_paths_sync_other_paths_sync_and_restart(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "mod.py").write_text("")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text("")
    (tmp_path / "main.py").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.joblib").write_text("")
    ignored = dockerignore.Matcher(["models"])
    rules, notes = phase3.watch_rules(
        tmp_path,
        ["config", "main.py", "models", "pkg"],
        rebuild_on=["requirements/base.txt"],
        ignored=ignored,
    )
    assert [(r.action, r.path, r.target) for r in rules] == [
        ("sync+restart", "config", "/app/config"),
        ("sync", "main.py", "/app/main.py"),
        ("sync", "pkg", "/app/pkg"),
        ("rebuild", "requirements/base.txt", None),
    ]
    assert rules[0].ignore == render.SYNC_IGNORE
    assert notes == ("models is excluded by .dockerignore, so watch would never sync it: not watched",)


def test_the_example_plan(example: Path) -> None:
    p = make_plan(example)
    c = p.compose
    assert c.name == "inference-service" and c.dev_name == "inference-service-dev"
    assert c.dev_command[-1] == "--reload"
    assert [(r.action, r.path) for r in c.watch] == [
        ("sync+restart", "config"),
        ("sync", "inference_service"),
        ("rebuild", "requirements/base.txt"),
        ("rebuild", "requirements/ml.txt"),
        ("rebuild", "requirements/dev.txt"),
        ("rebuild", "requirements/test.txt"),
        ("rebuild", "docker/Dockerfile"),
        ("rebuild", ".dockerignore"),
    ]
    assert c.mounts == (render.BindMount(source="tests", target="/app/tests", why=c.mounts[0].why),)
    assert c.dev_environment == ()
    assert p.test_command[:3] == ("python", "-m", "pytest")


def test_an_installed_project_puts_the_synced_source_first(example: Path) -> None:
    (example / "src").mkdir()
    (example / "src" / "mod.py").write_text("")
    cplan, notes = phase3.compose_plan(
        config.load(example, environ={}), dockerfile_plan(install_project=True)
    )
    assert cplan.dev_environment == (("PYTHONPATH", "/app/src"),)
    assert ("rebuild", "pyproject.toml") in [(r.action, r.path) for r in cplan.watch]
    assert any("PYTHONPATH" in note for note in notes)


def test_no_phase2_dockerfile_is_an_input_error(example: Path) -> None:
    (example / "docker" / "Dockerfile").unlink()
    with pytest.raises(InputError, match="phase-2 Dockerfile"):
        make_plan(example)


# --- the guide ------------------------------------------------------------------------------------------


def test_the_guide_from_the_files_as_compose_read_them_matches_the_plan(
    example: Path, data_dir: Path
) -> None:
    """The captured config is of the files this plan renders: both routes give the same guide."""
    p = make_plan(example, at=CAPTURE)
    data = data_dir / "compose"
    dev = compose_models.parse_config((data / "config-dev-as-written.json").read_text())
    production = compose_models.parse_config((data / "config-production-as-written.json").read_text())
    from_files = phase3.guide(p, dev=dev, production=production)
    assert from_files == phase3.guide(p)
    assert from_files.host == "127.0.0.1" and from_files.host_port == "8000"


def test_the_guide_shows_the_commands_the_tasks_run(example: Path) -> None:
    g = phase3.guide(make_plan(example))
    up = next(c for c in g.commands if c.name == "dev.up")
    assert up.argv == (
        "docker compose --project-name inference-service-dev --file docker/compose.yaml "
        "--file docker/compose.dev.yaml up --detach --build --wait"
    )
    test = next(c for c in g.commands if c.name == "dev.test")
    assert test.argv.endswith("exec --no-TTY --user 10001 app python -m pytest -q -p no:cacheprovider")
    assert [c.name for c in g.commands] == [
        "dev.up",
        "dev.watch",
        "dev.logs",
        "dev.test",
        "dev.shell",
        "dev.down",
    ]
    assert g.production_commands[0].argv.startswith("docker compose --project-name inference-service --file")


# --- dry run and the config check -------------------------------------------------------------------------


def test_dry_run_shows_three_files_and_writes_nothing(example: Path, fake_process) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(["git"], returncode=128)
    report = phase3.files_step(config.load(example, environ={}), dry=True)
    planned = [f.message for f in report.files]
    assert planned == [
        "would create docker/compose.yaml",
        "would create docker/compose.dev.yaml",
        "would create docs/development.md",
    ]
    assert all(f.diff.startswith("--- /dev/null") for f in report.files)
    assert not (example / "docker" / "compose.yaml").exists()
    assert not (example / "docs" / "development.md").exists()
    assert [c for c in fake_process.calls if c[0] != "git"] == []


def _script_config(fake_process: Any, data: Path, root: Path, production: str, dev: str) -> None:
    prod = compose.config_argv(phase3.production_stack(root, "docker"))
    devel = compose.config_argv(phase3.dev_stack(root, "docker"))
    fake_process.on(prod, stdout=production)
    fake_process.on(devel, stdout=dev)
    fake_process.on(
        [*prod, "--no-interpolate"], stdout=(data / "config-production-as-written.json").read_text()
    )
    fake_process.on([*devel, "--no-interpolate"], stdout=(data / "config-dev-as-written.json").read_text())


def test_run_writes_checks_and_documents(example: Path, fake_process, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    data = data_dir / "compose"
    fake_process.on(["git"], returncode=128)
    fake_process.on(["docker", "compose", "version"], stdout=(data / "version.json").read_text())
    _script_config(
        fake_process, data, example,
        (data / "config-production.json").read_text(), (data / "config-dev.json").read_text(),
    )  # fmt: skip
    report = phase3.files_step(config.load(example, environ={}))
    assert [f.message for f in report.files] == [
        "created docker/compose.yaml",
        "created docker/compose.dev.yaml",
        "created docs/development.md",
    ]
    assert report.data["compose_version"] == "2.40.3"
    assert report.status == "done"
    assert "develop:" in (example / "docker" / "compose.dev.yaml").read_text()
    # the guide comes from compose's reading of the files (captured elsewhere, hence the absolute path)
    guide = (example / "docs" / "development.md").read_text()
    assert f"| `{CAPTURE}/inference_service` | `/app/inference_service` |" in guide


def test_the_config_check_names_what_is_missing(example: Path, fake_process, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    data = data_dir / "compose"
    production = json.loads((data / "config-production.json").read_text())
    production["services"]["app"]["ports"][0]["host_ip"] = "0.0.0.0"
    del production["services"]["app"]["healthcheck"]
    dev = json.loads((data / "config-dev.json").read_text())
    del dev["services"]["app"]["develop"]
    _script_config(fake_process, data, example, json.dumps(production), json.dumps(dev))
    checked = phase3.check_config(example, make_plan(example).compose, "docker")
    assert checked.problems == (
        "docker/compose.yaml: the service has no health check",
        "docker/compose.yaml: ports are not bound to loopback by default",
        "docker/compose.dev.yaml: no develop.watch rules, so edits never reach the container",
    )


# --- down and leftovers --------------------------------------------------------------------------------


def test_down_reports_nothing_left_or_what_is(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    stack = phase3.dev_stack(Path("/p"), "docker")
    mounts = (data_dir / "compose" / "mounts-anonymous-volume.txt").read_text()
    (volume,) = compose_models.parse_mount_volumes(mounts)
    state: dict[str, Any] = {"down": False, "volumes": ["other"]}
    calls: list[list[str]] = []

    def run(argv: list[str], **_: object) -> process.Result:
        calls.append(list(argv))
        out = ""
        if argv == compose.labelled_argv("docker", "container", stack.project_name):
            out = "" if state["down"] else "abc123\n"
        elif argv[:3] == ["docker", "container", "inspect"]:
            out = mounts
        elif argv == compose.down_argv(stack):
            state["down"] = True
        elif argv == compose.volume_names_argv("docker"):
            out = "".join(f"{v}\n" for v in state["volumes"])
        return process.Result(tuple(argv), 0, out, "")

    monkeypatch.setattr(process, "run", run)
    assert phase3.down(stack) == ()
    assert compose.down_argv(stack) in calls
    state["down"], state["volumes"] = False, ["other", volume]
    assert phase3.down(stack) == (f"volume {volume}",)


# --- the hot-reload probe --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("uvicorn", "pkg.app:app", "--host", "0.0.0.0", "--reload"), ("pkg.app", "app")),
        (("uvicorn", "--port", "8000", "--reload", "pkg:api"), ("pkg", "api")),
        (("/opt/venv/bin/uvicorn", "m:app"), ("m", "app")),
        (("uvicorn", "--factory", "pkg:make"), None),
        (("uvicorn", "pkg.app"), None),
        (("gunicorn", "pkg:app"), None),
        ((), None),
    ],
)
def test_the_asgi_app_a_dev_command_serves(command: tuple[str, ...], expected: Any) -> None:
    assert phase3.asgi_target(command) == expected


def test_module_files(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("")
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "lib" / "__init__.py").write_text("")
    assert phase3.module_file(tmp_path, "pkg.app") == "pkg/app.py"
    assert phase3.module_file(tmp_path, "lib") == "src/lib/__init__.py"
    assert phase3.module_file(tmp_path, "missing.mod") is None


def test_the_probe_answers_its_path_and_passes_everything_else_on() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["path"] if scope["type"] == "http" else scope["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})

    namespace: dict[str, Any] = {"app": app}
    exec(compile(phase3.probe_snippet("app", "tok123"), "probe", "exec"), namespace)
    wrapped = namespace["app"]
    assert wrapped is not app

    async def call(scope: dict[str, Any]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        await wrapped(scope, receive, send)
        return sent

    answer = asyncio.run(call({"type": "http", "path": phase3.PROBE_PATH}))
    assert answer[0]["status"] == 200 and answer[1]["body"] == b"tok123"
    assert asyncio.run(call({"type": "http", "path": "/health"}))[0]["status"] == 204
    asyncio.run(call({"type": "lifespan", "path": ""}))
    assert seen == ["/health", "lifespan"]


def test_result_rows_say_what_failed() -> None:
    result = phase3.HotReloadResult(
        ok=False, mode="http", edited="pkg/app.py", seconds=None, timeout=10, image_rebuilt=False,
        container_recreated=False, rebuild_lock="requirements/test.txt", rebuild_ok=False,
        events=("enabled",), message="the running service did not show the change in time",
    )  # fmt: skip
    rows = dict(result.rows())
    assert rows["the running service answered with the change"] == "no answer"
    assert rows["after changing requirements/test.txt"] == "no rebuild seen"
    assert rows["left behind after down"] == "nothing"
    assert rows["result"].startswith("FAILED: the running service")


def test_hot_reload_check_needs_the_phase3_files(example: Path, fake_process, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    fake_process.on(
        ["docker", "compose", "version"], stdout=(data_dir / "compose" / "version.json").read_text()
    )
    with pytest.raises(InputError, match=r"no docker/compose\.yaml") as caught:
        phase3.hot_reload_check(config.load(example, environ={}), docker="docker")
    assert caught.value.hint == "run `dockyard phase3` first"


def test_free_port_is_a_loopback_port() -> None:
    assert 1024 <= phase3.free_port() <= 65535


def test_watch_targets_follow_the_workdir_the_image_keeps(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("")
    rules, _ = phase3.watch_rules(tmp_path, ["app"], rebuild_on=[], app_dir="/usr/src/app")
    assert [(r.path, r.target) for r in rules] == [("app", "/usr/src/app/app")]
    rules, _ = phase3.watch_rules(tmp_path, ["app"], rebuild_on=[], app_dir="/")
    assert [(r.path, r.target) for r in rules] == [("app", "/app")]
