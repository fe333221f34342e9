"""Phase 2's inferences: command, port, runtime paths, layer order, project install."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dockyard import config, contract, history
from dockyard.dockerfile import parse_text
from dockyard.errors import InputError
from dockyard.history import change_counts, log_argv, order_by_stability
from dockyard.phases import phase2_layout
from dockyard.phases import phase2_plan as plan
from dockyard.phases.phase2_plan import FALLBACK_RANK
from dockyard.render.dockerfile import render


def project(
    tmp_path: Path, dockerfile: str = 'FROM python:3.11-slim\nEXPOSE 9000\nCMD ["gunicorn", "app:app"]\n'
) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for folder in ("svc", "config", "tests", "docs", "notebooks", "requirements", "empty"):
        (tmp_path / folder).mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "config" / "app.toml").write_text("")
    (tmp_path / "tests" / "test_x.py").write_text("")
    (tmp_path / "manage.py").write_text("")
    for name in ("README.md", "requirements.txt", "pyproject.toml", ".env.example", "notes.ipynb"):
        (tmp_path / name).write_text("")
    return tmp_path


def test_command_and_port_come_from_the_current_dockerfile(tmp_path: Path) -> None:
    s = config.load(project(tmp_path), environ={})
    current = plan.current_dockerfile(s)
    assert plan.app_command(s, current) == ("gunicorn", "app:app")
    assert plan.app_port(s, current) == 9000


def test_shell_form_cmd_and_override(tmp_path: Path) -> None:
    root = project(tmp_path, "FROM python:3.11-slim\nCMD python -m svc --port 8000\n")
    s = config.load(root, environ={})
    assert plan.app_command(s, plan.current_dockerfile(s)) == ("/bin/sh", "-c", "python -m svc --port 8000")
    s = config.load(root, {"app_command": ["python", "-m", "svc"]}, environ={})
    assert plan.app_command(s, plan.current_dockerfile(s)) == ("python", "-m", "svc")


def test_missing_cmd_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    (tmp_path / "notes.txt").write_text("nothing to start here\n")
    s = config.load(tmp_path, environ={})
    with pytest.raises(InputError, match="cannot tell how the service starts") as caught:
        plan.app_command(s, plan.current_dockerfile(s))
    assert caught.value.hint is not None and "app_command" in caught.value.hint


def test_missing_cmd_falls_back_to_the_inferred_start_command(tmp_path: Path) -> None:
    s = config.load(project(tmp_path, "FROM python:3.11-slim\n"), environ={})
    command = plan.app_command(s, plan.current_dockerfile(s))
    assert "manage.py" in " ".join(command) or "gunicorn" in command[0]


def test_runtime_paths_leave_out_tests_docs_and_tooling(tmp_path: Path) -> None:
    assert plan.runtime_paths(project(tmp_path)) == ["config", "manage.py", "svc"]
    # an sdist's build metadata (sqlite-utils ships sqlite_utils.egg-info; .dockerignore drops it)
    (tmp_path / "svc.egg-info").mkdir()
    (tmp_path / "svc.egg-info" / "PKG-INFO").write_text("")
    (tmp_path / "PKG-INFO").write_text("")
    assert plan.runtime_paths(tmp_path) == ["config", "manage.py", "svc"]


def test_installs_project_only_with_a_build_system(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert not plan.installs_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n[build-system]\nrequires = ["setuptools"]\n'
    )
    assert plan.installs_project(tmp_path)


@pytest.mark.parametrize(
    ("line", "installs"),
    [
        ("-e .", True),
        ("--editable=./", True),
        (".", True),
        ("-e .[web]  # the service", True),
        ("file:.", True),
        ("-e ./libs/helper", False),
        ("requests", False),
        ("# -e .", False),
    ],
)
def test_a_setup_py_project_whose_requirements_name_it_is_installed(
    tmp_path: Path, line: str, installs: bool
) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (tmp_path / "requirements.txt").write_text(f"idna\n{line}\n")
    assert plan.installs_project(tmp_path) is installs


def test_plan_needs_phase1_locks(tmp_path: Path) -> None:
    s = config.load(project(tmp_path), environ={})
    with pytest.raises(InputError, match="no locked runtime requirements") as caught:
        plan.plan_dockerfile(s)
    assert caught.value.hint is not None and "phase1" in caught.value.hint


def test_change_counts_and_order() -> None:
    log = "svc/app.py\nsvc/model.py\n\nconfig/app.toml\nsvc/app.py\nREADME.md\n"
    counts = change_counts(log)
    assert counts == Counter({"svc": 3, "config": 1, "README.md": 1})
    assert order_by_stability(["svc", "config", "static"], counts, fallback=FALLBACK_RANK) == [
        "static",
        "config",
        "svc",
    ]  # fmt: skip  (static never changed; config once; svc three times)
    assert order_by_stability(["svc", "data", "config"], Counter(), fallback=FALLBACK_RANK) == [
        "config", "data", "svc",
    ]  # fmt: skip
    assert log_argv(Path("/p"))[:3] == ["git", "-C", "/p"]


# --- the original's contract, carried over -------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "top_level_change_counts", lambda project: Counter())


def locked(root: Path, dockerfile: str, name: str = "Dockerfile") -> Path:
    (root / name).write_text(dockerfile)
    (root / "requirements").mkdir(exist_ok=True)
    (root / "requirements" / "base.txt").write_text("six==1.17.0\n")
    return root


def test_no_expose_means_a_command_line_program(tmp_path: Path) -> None:
    root = locked(tmp_path, 'FROM python:3.12-slim-bookworm\nENTRYPOINT ["tool"]\n')
    s = config.load(root, environ={})
    current = plan.original(s)
    assert (plan.app_port(s, current), plan.app_command(s, current)) == (0, ("tool",))
    assert s.base_image == "python:3.12-slim"  # follows the original's Python
    assert plan.app_port(config.load(root, {"app_port": 9000}, environ={}), current) == 9000
    assert plan.app_port(s, None) == 8000 and plan.health_path(s, None) == ""  # no guessed path


def test_health_path_from_a_route_in_the_code(tmp_path: Path) -> None:
    root = locked(tmp_path, 'FROM python:3.11-slim\nEXPOSE 8000\nCMD ["uvicorn", "app:app"]\n')
    (root / "app.py").write_text('@app.get("/healthz")\ndef healthz():\n    return {}\n')
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text('client.get("/status")\n')  # tests are not the service
    s = config.load(root, environ={})
    assert plan.health_path(s, plan.original(s)) == "/healthz"


def test_health_path_from_the_original_healthcheck(tmp_path: Path) -> None:
    root = locked(
        tmp_path,
        "FROM python:3.11-slim\nEXPOSE 5000\n"
        "HEALTHCHECK CMD curl -fsS http://localhost:5000/api/ping || exit 1\nCMD gunicorn app:app\n",
    )
    s = config.load(root, environ={})
    assert plan.health_path(s, plan.original(s)) == "/api/ping"
    rendered = render(plan.plan_dockerfile(s))
    # exec form for hadolint (DL3025), run by the shell Docker uses for a shell-form check
    assert (
        'HEALTHCHECK CMD ["/bin/sh", "-c", "curl -fsS http://localhost:5000/api/ping || exit 1"]' in rendered
    )


def test_layout_subdirectory_spaces_and_entrypoint_script(tmp_path: Path) -> None:
    root = locked(
        tmp_path,
        "FROM python:3.11-slim\nWORKDIR /srv/app\nCOPY backend/ .\n"
        'COPY ["settings Example.json", "./"]\n'
        "COPY start.sh /start.sh\nRUN chmod +x /start.sh && mkdir -p media\nUSER appuser\n"
        'ENTRYPOINT ["/start.sh"]\nCMD ["python", "main.py"]\n',
    )
    (root / "backend").mkdir()
    (root / "backend" / "main.py").write_text("")
    (root / "settings Example.json").write_text("{}")
    (root / "start.sh").write_text("#!/bin/sh\n")
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.workdir == "/srv/app" and (p.entrypoint, p.cmd) == (("/start.sh",), ("python", "main.py"))
    assert (p.user, p.user_name, p.group_name) == ("appuser", "appuser", "appuser")
    assert p.writable_dirs == ("/srv/app/media",)  # not root: only what it made
    text = render(p)
    assert "COPY backend /srv/app\n" in text
    assert 'COPY ["settings Example.json", "/srv/app/settings Example.json"]\n' in text
    assert "COPY --chmod=0755 start.sh /start.sh\n" in text
    runtime = parse_text(text).final_stage
    assert runtime.user == "appuser" and runtime.workdir == "/srv/app"
    assert runtime.entrypoint is not None and runtime.entrypoint.args == ("/start.sh",)
    assert runtime.cmd is not None and runtime.cmd.args == ("python", "main.py")


def test_a_package_project_installs_editable_from_its_metadata(tmp_path: Path) -> None:
    root = locked(
        tmp_path, 'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\nENTRYPOINT ["mycli"]\n'
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "mycli"\nversion = "1"\nreadme = "README.md"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (root / "README.md").write_text("hi")
    (root / "src" / "mycli").mkdir(parents=True)
    (root / "src" / "mycli" / "__init__.py").write_text("")
    (root / "src" / "mycli" / "main.py").write_text("")
    (root / "src" / "helper.py").write_text("")
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.editable is not None
    assert p.editable.files == ("pyproject.toml", "README.md", "src/mycli/__init__.py")
    assert p.editable.stubs == ("/app/src/helper.py",)
    text = render(p)
    builder = parse_text(text).stage("builder")
    assert builder is not None and "--editable /app" in builder.runs[-1].script
    runtime = parse_text(text).final_stage
    # the runtime stage takes the venv once, then the source, last
    assert [c.sources for c in runtime.copies] == [("/opt/venv",), ("src",)]
    assert any("editable" in n for n in p.notes)


def test_a_version_file_the_setup_py_names_by_name_goes_with_the_metadata(tmp_path: Path) -> None:
    """datasette's setup.py reads os.path.join(here, "datasette", "version.py") at install time."""
    (tmp_path / "setup.py").write_text(
        "import os\nfrom setuptools import setup\n"
        "def get_version():\n"
        '    return open(os.path.join(os.path.dirname(__file__), "app", "version.py")).read()\n'
        'setup(name="app", version=get_version())\n'
    )
    (tmp_path / "app").mkdir()
    for name in ("__init__.py", "version.py", "views.py"):
        (tmp_path / "app" / name).write_text("")
    found = phase2_layout.editable_install(tmp_path, "/app")
    assert found.files == ("setup.py", "app/__init__.py", "app/version.py")


def test_a_project_without_runtime_dependencies_installs_itself_only(tmp_path: Path) -> None:
    """pyjokes declares no dependencies: phase 1's base.txt pins nothing, which is not an error."""
    root = locked(tmp_path, 'FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\nCMD ["pyjoke"]\n')
    (root / "requirements" / "base.txt").write_text("# Generated by dockyard\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "jokes"\nversion = "1"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (root / "jokes").mkdir()
    (root / "jokes" / "__init__.py").write_text("")
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.runtime_locks == () and p.editable is not None
    assert any("pins nothing" in n for n in p.notes)
    builder = parse_text(render(p)).stage("builder")
    assert builder is not None and not any("requirements/" in r.script for r in builder.runs)
    # the original has no WORKDIR: it runs in /, with the project in /src
    assert (p.workdir, p.runtime_workdir) == ("/src", "/")
    assert parse_text(render(p)).final_stage.workdir == "/"


def test_a_poetry_project_the_original_installs_is_installed_editable(tmp_path: Path) -> None:
    """pyjokes: [tool.poetry] and poetry-core, `COPY . /src` and `pip install /src`."""
    root = locked(tmp_path, 'FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\nCMD ["pyjoke"]\n')
    (root / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "jokes"\nversion = "1"\n[tool.poetry.scripts]\npyjoke = "jokes:main"\n'
        '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
    )
    (root / "jokes").mkdir()
    (root / "jokes" / "__init__.py").write_text("def main():\n    pass\n")
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.install_project and p.editable is not None and p.editable.project_dir == "/src"
    # a readme in a subdirectory, as sherlock's: the backend reads it for the editable install
    (root / "docs" / "pyproject").mkdir(parents=True)
    (root / "docs" / "pyproject" / "README.md").write_text("jokes\n")
    with (root / "pyproject.toml").open("a") as toml:
        toml.write('[tool.poetry.urls]\nreadme = "docs/pyproject/README.md"\n')
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.editable is not None and "docs/pyproject/README.md" in p.editable.files
    (root / "Dockerfile").write_text('FROM python:3.11-slim\nCOPY . /src\nCMD ["python", "-m", "jokes"]\n')
    assert not plan.plan_dockerfile(config.load(root, environ={})).install_project  # not installed there


def test_compiled_extensions_fall_back_to_a_wheel_build(tmp_path: Path) -> None:
    root = locked(tmp_path, 'FROM python:3.11-slim\nCOPY . /app\nRUN pip install /app\nCMD ["fast"]\n')
    (root / "setup.py").write_text(
        "from setuptools import Extension, setup\nsetup(ext_modules=[Extension('f', ['f.c'])])\n"
    )
    (root / "f.c").write_text("")
    p = plan.plan_dockerfile(config.load(root, environ={}))
    assert p.install_project and p.editable is None
    assert any("built as a wheel" in n and "ext_modules" in n for n in p.notes)


def test_apt_packages_split_and_dev_libraries_from_the_cache(tmp_path: Path) -> None:
    from dockyard import system_packages

    root = locked(
        tmp_path,
        'FROM python:3.11-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev curl\nCMD ["x"]\n',
    )
    s = config.load(root, environ={})
    p = plan.plan_dockerfile(s)
    assert (p.apt_runtime_packages, p.apt_build_packages) == (("curl",), ("gcc", "libpq-dev"))
    assert any("not looked up yet" in n for n in p.notes)
    system_packages.save_cache(s.state_path, s.base_image, {"libpq-dev": ("libpq5",)})
    p = plan.plan_dockerfile(s)
    assert p.apt_runtime_packages == ("curl", "libpq5")
    text = render(p)
    base = parse_text(text).stage("base")
    assert base is not None and "install -y --no-install-recommends curl libpq5" in base.runs[0].script
    assert "# hadolint ignore=DL3008" in text


def test_another_dockerfile_name_and_a_target(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("six==1.17.0\n")
    (tmp_path / "Dockerfile.web").write_text(
        'FROM python:3.11-slim AS web\nEXPOSE 80\nCMD ["serve"]\nFROM web AS cli\nENTRYPOINT ["tool"]\n'
    )
    s = config.load(tmp_path, environ={})
    assert plan.app_command(s, plan.original(s)) == ("tool",)
    s = config.load(tmp_path, {"target": "web"}, environ={})
    assert plan.app_command(s, plan.original(s)) == ("serve",)
    assert plan.app_port(s, plan.original(s)) == 80


def test_build_packages_are_left_out_when_every_pin_has_a_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockyard import binary_wheels, system_packages

    root = locked(
        tmp_path, 'FROM python:3.11-slim\nRUN apt-get install -y build-essential libpq-dev\nCMD ["x"]\n'
    )
    s = config.load(root, environ={})
    system_packages.save_cache(s.state_path, s.base_image, {"libpq-dev": ("libpq5",)})
    answers = iter([True, False])
    monkeypatch.setattr(binary_wheels, "all_binary", lambda paths, **kw: next(answers))
    p = plan.plan_dockerfile(s, docker="docker")
    assert (p.apt_runtime_packages, p.apt_build_packages) == (("libpq5",), ())
    assert any("has a wheel" in n for n in p.notes)
    p = plan.plan_dockerfile(s, docker="docker")
    assert p.apt_build_packages == ("build-essential", "libpq-dev")
    argv = binary_wheels.check_argv("uv", [root / "requirements" / "base.txt"], python_version="3.11")
    assert argv[:7] == ["uv", "pip", "compile", "--quiet", "--no-header", "--only-binary", ":all:"]


def test_directories_named_by_env_are_made_writable(tmp_path: Path) -> None:
    root = locked(
        tmp_path,
        'FROM python:3.11-slim\nENV QUEUE_DIR=/queue APP_HOME=/usr/local/app PYTHONPATH=/x\nCMD ["w"]\n',
    )
    s = config.load(root, environ={})
    assert plan.writable_dirs(plan.original(s)) == ("/queue",)


def test_directories_the_code_makes_are_writable_under_a_root_original(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text(
        "import os\nfrom pathlib import Path\n"
        "if not os.path.exists('logs'):\n    os.mkdir('logs')\n"
        "os.makedirs('data/cache', exist_ok=True)\nPath('uploads').mkdir()\n"
        "os.makedirs('/var/abs')\nos.mkdir('../up')\nos.mkdir(name)\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("import os\nos.mkdir('scratch')\n")
    made = plan.code_made_dirs(tmp_path)
    assert made == ("data/cache", "logs", "uploads")
    (tmp_path / "Dockerfile").write_text("FROM python:slim\nCOPY app app\nCMD ['python', '-m', 'app']\n")
    root = contract.read(tmp_path / "Dockerfile")
    assert plan.writable_dirs(root, made_by_code=made, workdir="/") == ("/data/cache", "/logs", "/uploads")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:slim\nUSER 1000\nCOPY app app\nCMD ['python', '-m', 'app']\n"
    )
    as_user = contract.read(tmp_path / "Dockerfile")
    assert plan.writable_dirs(as_user, made_by_code=made, workdir="/") == ()


def test_the_venv_leaves_to_the_slim_base_what_it_has_at_the_locked_version(tmp_path: Path) -> None:
    import json

    from dockyard import preinstalled
    from dockyard.phases.phase2_plan import shared_with_base

    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(
        "pip==23.0.1 \\\n    --hash=sha256:a\nsetuptools==80.0 \\\n    --hash=sha256:b\nflask==3.0 \\\n"
        "    --hash=sha256:c\n"
    )
    s = config.load(tmp_path, environ={})
    cache = {
        "schema": preinstalled.SCHEMA,
        "images": {s.base_image: {"pip": "23.0.1", "setuptools": "66.1.1"}},
    }
    s.state_path.mkdir(parents=True, exist_ok=True)
    (s.state_path / preinstalled.CACHE_FILE).write_text(json.dumps(cache))
    notes: list[str] = []
    locks = ("requirements/base.txt",)
    assert shared_with_base(s, locks, kind="slim", docker=None, notes=notes) == ("pip",)
    assert notes and notes[0].startswith("pip: ")
    assert shared_with_base(s, locks, kind="stripped", docker=None, notes=[]) == ()  # it drops pip


def test_poetry_run_comes_off_the_start_command(tmp_path: Path) -> None:
    root = locked(
        tmp_path, 'FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD ["poetry", "run", "uvicorn", "app:app"]\n'
    )
    (root / "app.py").write_text("")
    s = config.load(root, environ={})
    assert plan.app_command(s, plan.original(s)) == ("uvicorn", "app:app")
    p = plan.plan_dockerfile(s)
    assert (p.entrypoint, p.cmd) == (None, ("uvicorn", "app:app"))
    assert any("starts through `poetry run`" in note for note in p.notes)
    assert 'CMD ["uvicorn", "app:app"]' in render(p)
