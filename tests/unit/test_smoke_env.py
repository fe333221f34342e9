"""The smoke test's environment from the compose service that builds the project (django-on-docker)."""

from __future__ import annotations

from pathlib import Path

from dockyard import smoke, smoke_env
from dockyard.phases.verify import in_python_argv

COMPOSE = """\
services:
  web:
    build: ./app
    command: python manage.py runserver 0.0.0.0:8000
    env_file:
      - ./.env.dev
    environment:
      - DJANGO_ALLOWED_HOSTS=localhost 127.0.0.1 [::1]
      - FROM_SHELL=${HOME}
  db:
    image: postgres:15
    environment:
      POSTGRES_USER: hello_django
"""
ENV_DEV = """\
# the development settings
DEBUG=1
SECRET_KEY='foo bar'
export SQL_ENGINE=django.db.backends.postgresql
SQL_PORT=5432 # the default
"""


def test_the_env_file_of_the_service_that_builds_an_app_directory(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / ".env.dev").write_text(ENV_DEV)
    env = smoke_env.for_project(tmp_path / "app", {})
    assert dict(env.variables) == {
        "DEBUG": "1",
        "SECRET_KEY": "foo bar",
        "SQL_ENGINE": "django.db.backends.postgresql",
        "SQL_PORT": "5432",
        "DJANGO_ALLOWED_HOSTS": "localhost 127.0.0.1 [::1]",
    }  # FROM_SHELL is interpolated by compose from the host: left out; the db service is not ours
    assert env.source == "docker-compose.yml service web, env_file ./.env.dev"
    merged = smoke_env.for_project(tmp_path / "app", {"DEBUG": "0"})
    assert dict(merged.variables)["DEBUG"] == "0" and merged.source.endswith("and the smoke_env setting")


def test_no_compose_file_no_environment(tmp_path: Path) -> None:
    assert smoke_env.for_project(tmp_path, {}) == smoke_env.SmokeEnv()
    assert smoke_env.for_project(tmp_path, {"A": "1"}).as_flags() == ("A=1",)


def test_a_service_of_another_build_context_lends_nothing(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  api:\n    build: {context: ./api}\n    env_file: .env\n"
    )
    (tmp_path / ".env").write_text("A=1\n")
    assert smoke_env.from_compose(tmp_path).variables == ()
    (tmp_path / "api").mkdir()
    assert smoke_env.from_compose(tmp_path / "api").variables == (("A", "1"),)


def test_the_containers_get_the_variables() -> None:
    argv = smoke.run_command_argv("docker", "img", name="n", argv=["tool", "--help"], env=["A=1", "B=x y"])
    assert argv[argv.index("--env") : argv.index("--entrypoint")] == ["--env", "A=1", "--env", "B=x y"]
    assert argv[argv.index("--entrypoint") :] == ["--entrypoint", "tool", "img", "--help"]
    python = in_python_argv("docker", "img", name="n", code="pass", env=["A=1"])
    assert python[python.index("--env") + 1] == "A=1" and python.index("--env") < python.index("img")


def test_named_and_anonymous_volumes_of_the_service_are_where_it_writes(tmp_path: Path) -> None:
    """weekly_worklog keeps its log files in `itms_logs:/app/logs`; the generated image, run as a
    non-root user, must be able to write there. Bind mounts of the source are a dev loop's, not that."""
    from dockyard.smoke_env import runtime_volumes

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    build: .\n    volumes:\n"
        "      - .:/app\n      - itms_logs:/app/logs\n      - /app/cache\n      - ./conf:/etc/conf:ro\n"
        "      - certs:/certs:ro\n      - type: volume\n        source: media\n        target: /app/media/\n"
        "      - type: bind\n        source: ./data\n        target: /data\n"
        "volumes:\n  itms_logs:\n  certs:\n  media:\n"
    )
    assert runtime_volumes(tmp_path) == ["/app/logs", "/app/cache", "/app/media"]
