"""Which compose services verify starts for the smoke test, and how it runs them."""

from __future__ import annotations

from pathlib import Path

from dockyard.smoke_services import Dependency, dependencies


def test_depends_on_services_with_an_image_are_started_as_compose_gives_them(tmp_path: Path) -> None:
    (tmp_path / ".env.db").write_text("POSTGRES_USER=blog\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  web:\n    build: .\n    depends_on:\n      db:\n        condition: service_healthy\n"
        "      search:\n        condition: service_started\n"
        "      worker:\n        condition: service_started\n"
        "  db:\n    image: postgres:15.2\n    env_file: .env.db\n"
        "    environment:\n      - POSTGRES_HOST_AUTH_METHOD=trust\n    command: postgres -c fsync=off\n"
        "  search:\n    image: ${SEARCH_IMAGE}\n"
        "  worker:\n    build: ./worker\n"
    )
    found, skipped = dependencies(tmp_path)
    assert found == [
        Dependency(
            name="db",
            image="postgres:15.2",
            env=("POSTGRES_HOST_AUTH_METHOD=trust", "POSTGRES_USER=blog"),
            command=("postgres", "-c", "fsync=off"),
        )
    ]
    assert skipped == [
        "search (depends_on in docker-compose.yml): no image to run",
        "worker (depends_on in docker-compose.yml): no image to run",
    ]
    assert found[0].run_argv("docker", container="c", network="n") == [
        "docker", "run", "--detach", "--name", "c", "--network", "n", "--network-alias", "db",
        "--env", "POSTGRES_HOST_AUTH_METHOD=trust", "--env", "POSTGRES_USER=blog",
        "postgres:15.2", "postgres", "-c", "fsync=off",
    ]  # fmt: skip


def test_nothing_to_start_without_compose_or_depends_on(tmp_path: Path) -> None:
    assert dependencies(tmp_path) == ([], [])
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: .\n  db:\n    image: redis:7\n")
    assert dependencies(tmp_path) == ([], [])


def test_why_a_dependency_did_not_start_is_dockers_own_error_line() -> None:
    from dockyard.smoke_services import _why

    stderr = (
        "Unable to find image 'postgres:15.2' locally\n"
        'docker: Error response from daemon: Get "https://registry-1.docker.io/v2/": no such host.\n'
        "See 'docker run --help'.\n"
    )
    assert _why(stderr) == 'Error response from daemon: Get "https://registry-1.docker.io/v2/": no such host.'
    assert _why("") == "it did not start"
