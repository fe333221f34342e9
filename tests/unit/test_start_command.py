"""Start-command inference on small project trees, without a Dockerfile."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.start_command import console_scripts, infer, require


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_fastapi_app_found_by_its_assignment(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "service/__init__.py": "",
            "service/api.py": "from fastapi import FastAPI\n\napi = FastAPI(title='x')\n",
            "tests/test_api.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        },
    )
    found = infer(project)
    assert found is not None
    assert found.argv == ("uvicorn", "service.api:api", "--host", "0.0.0.0", "--port", "8000")
    assert found.port == 8000
    assert found.reason.startswith("chose `uvicorn service.api:api")
    assert "service/api.py creates a FastAPI application `api`" in found.reason


def test_src_layout_app_gets_app_dir(tmp_path: Path) -> None:
    project = tree(
        tmp_path, {"src/pkg/__init__.py": "", "src/pkg/main.py": "import fastapi\napp = fastapi.FastAPI()\n"}
    )
    found = infer(project)
    assert found is not None
    assert found.argv[:2] == ("uvicorn", "pkg.main:app") and found.argv[-2:] == ("--app-dir", "src")


def test_flask_uses_gunicorn_only_when_declared(tmp_path: Path) -> None:
    project = tree(tmp_path, {"app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    found = infer(project)
    assert found is not None and found.argv[:3] == ("flask", "--app", "app:app")
    (project / "requirements.txt").write_text("flask==3.0\ngunicorn==22.0\n")
    found = infer(project)
    assert found is not None and found.argv == ("gunicorn", "--bind", "0.0.0.0:8000", "app:app")


def test_flask_factory(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {"web/__init__.py": "from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n"},
    )
    found = infer(project)
    assert found is not None and found.argv[2] == "web:create_app()"


def test_django_wsgi_with_gunicorn(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
            "mysite/__init__.py": "",
            "mysite/wsgi.py": "application = None\n",
            "requirements.txt": "Django==5.0\ngunicorn==22.0\n",
        },
    )
    found = infer(project)
    assert found is not None
    assert found.argv == ("gunicorn", "--bind", "0.0.0.0:8000", "mysite.wsgi:application")
    assert "Django" in found.reason


def test_django_without_gunicorn_uses_runserver(tmp_path: Path) -> None:
    project = tree(tmp_path, {"manage.py": "print('django')\n"})
    found = infer(project)
    assert found is not None and found.argv == ("python", "manage.py", "runserver", "0.0.0.0:8000")


def test_streamlit_script(tmp_path: Path) -> None:
    project = tree(tmp_path, {"dashboard.py": "import streamlit as st\nst.title('hi')\n"})
    found = infer(project)
    assert found is not None
    assert found.argv[:3] == ("streamlit", "run", "dashboard.py") and found.port == 8501


def test_gradio_launch_listens_on_all_interfaces(tmp_path: Path) -> None:
    project = tree(tmp_path, {"demo.py": "import gradio as gr\ndemo = gr.Interface(fn=str)\ndemo.launch()\n"})
    found = infer(project)
    assert found is not None
    assert found.argv == ("python", "demo.py") and found.port == 7860
    assert found.env["GRADIO_SERVER_NAME"] == "0.0.0.0"


def test_project_scripts_prefers_the_one_named_like_the_project(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "my_tool"\n[project.scripts]\n'
            'aaa-helper = "my_tool.x:main"\nmy-tool = "my_tool.cli:main"\n'
        },
    )
    found = infer(project)
    assert found is not None and found.argv == ("my-tool",) and found.port == 0
    assert "console script `my-tool` (my_tool.cli:main)" in found.reason
    assert any("aaa-helper" in other for other in found.others)


def test_console_scripts_from_setup_cfg_and_literal_setup_py(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "setup.cfg": "[options.entry_points]\nconsole_scripts =\n    cfgtool = pkg.cli:main\n",
            "setup.py": "from setuptools import setup\nsetup(name='x', entry_points={'console_scripts': "
            "['pytool=pkg.other:run']})\n",
        },
    )
    assert console_scripts(project) == {"cfgtool": "pkg.cli:main", "pytool": "pkg.other:run"}


def test_setup_py_with_computed_entry_points_is_skipped(tmp_path: Path) -> None:
    project = tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(entry_points=make())\n"})
    assert console_scripts(project) == {}


def test_python_m_package(tmp_path: Path) -> None:
    project = tree(tmp_path, {"worker/__init__.py": "", "worker/__main__.py": "print('work')\n"})
    found = infer(project)
    assert found is not None and found.argv == ("python", "-m", "worker") and found.port == 0


def test_procfile_web_line_wins_and_port_variable_is_filled(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "Procfile": "release: python manage.py migrate\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        },
    )
    found = infer(project)
    assert found is not None
    assert found.argv == ("gunicorn", "app:app", "--bind", "0.0.0.0:8000")
    assert "Procfile" in found.reason and found.others


def test_procfile_worker_only(tmp_path: Path) -> None:
    project = tree(tmp_path, {"Procfile": "worker: celery -A tasks worker\n"})
    found = infer(project)
    assert found is not None and found.argv == ("celery", "-A", "tasks", "worker") and found.port == 0


def test_nothing_to_go_on(tmp_path: Path) -> None:
    project = tree(tmp_path, {"lib/__init__.py": "x = 1\n", "README.md": "hi"})
    assert infer(project) is None
    with pytest.raises(InputError, match="cannot tell how the project starts"):
        require(project)


def test_app_built_by_a_factory_in_the_same_module(tmp_path: Path) -> None:
    """The bundled example's shape: ``app = create_app()``, the factory calls FastAPI(...)."""
    project = tree(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/app.py": "from fastapi import FastAPI\n\n"
            "def create_app(settings=None):\n    app = FastAPI(title='x')\n    return app\n\n"
            "app = create_app()\n",
        },
    )
    found = infer(project)
    assert found is not None and found.argv[:2] == ("uvicorn", "svc.app:app")
    assert "svc/app.py creates a FastAPI application `app`" in found.reason


def test_bundled_example() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "inference-service"
    found = infer(example)
    assert found is not None
    assert found.argv == ("uvicorn", "inference_service.app:app", "--host", "0.0.0.0", "--port", "8000")


def test_compose_command_of_the_service_that_builds_the_project(tmp_path: Path) -> None:
    """A Dockerfile without CMD, run by the project's compose file (a real Django project's shape)."""
    project = tree(
        tmp_path / "app",
        {
            "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_app.settings')\n",
            "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
            "docker-compose.yml": (
                "services:\n"
                "  db:\n    image: postgres:16\n    command: postgres -c fsync=off\n"
                '  web:\n    build: .\n    ports:\n      - "127.0.0.1:8001:8000/tcp"\n'
                "    command:\n      python manage.py runserver 0.0.0.0:8000\n"
            ),
        },
    )
    found = infer(project)
    assert found is not None
    assert found.argv == ("python", "manage.py", "runserver", "0.0.0.0:8000")
    assert found.port == 8000
    assert "docker-compose.yml service web" in found.reason
    assert any("manage.py" in other for other in found.others)


def test_compose_entrypoint_list_and_long_port_syntax(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  api:\n    build:\n      context: .\n"
                '    entrypoint: ["python", "-m"]\n    command: ["svc", "--port", "9000"]\n'
                "    ports:\n      - target: 9000\n        published: 80\n"
            ),
        },
    )
    found = infer(project)
    assert found is not None and found.port == 9000
    assert found.argv == ("python", "-m", "svc", "--port", "9000")


def test_compose_command_with_interpolation_is_left_to_other_hints(tmp_path: Path) -> None:
    project = tree(
        tmp_path,
        {
            "compose.yaml": "services:\n  w:\n    build: .\n    command: celery -A $APP worker\n",
            "Procfile": "worker: celery -A tasks worker\n",
        },
    )
    found = infer(project)
    assert found is not None and found.argv == ("celery", "-A", "tasks", "worker")
