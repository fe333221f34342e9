"""The compose files and the development guide, as text (compose itself checks them in the integration
tests)."""

from __future__ import annotations

import json

import pytest

from dockyard.render import compose as render

PLAN = render.ComposePlan(
    name="svc",
    port=8000,
    healthcheck=(
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')",
    ),
    dev_command=("uvicorn", "pkg.app:app", "--host", "0.0.0.0", "--port", "8000", "--reload"),
    uid=10001,
    watch=(
        render.WatchRule(
            action="sync", path="pkg", target="/app/pkg", ignore=("**/__pycache__",), why="code"
        ),
        render.WatchRule(action="sync+restart", path="config", target="/app/config"),
        render.WatchRule(action="rebuild", path="requirements/base.txt", why="deps"),
        render.WatchRule(action="rebuild", path="docker/Dockerfile"),
    ),
    mounts=(render.BindMount(source="tests", target="/app/tests", why="tests as on disk"),),
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a b", '"a b"'), ("$HOME", '"$$HOME"'), ("it's", '"it\'s"'), (True, "true"), (3, "3"), ("é", '"é"')],
)
def test_scalars_are_literal_for_compose(value: object, expected: str) -> None:
    assert render.scalar(value) == expected


def test_flow_sequences_are_json_arrays() -> None:
    assert render.flow(["sh", "-c", "echo $X"]) == '["sh", "-c", "echo $$X"]'
    assert json.loads(render.flow(["a", "b"])) == ["a", "b"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", ".."), ("pkg", "../pkg"), ("requirements/base.txt", "../requirements/base.txt"),
     ("docker/Dockerfile", "Dockerfile"), (".env", "../.env")],
)  # fmt: skip
def test_paths_are_relative_to_the_compose_directory(path: str, expected: str) -> None:
    assert PLAN.from_compose_dir(path) == expected


def test_production_file() -> None:
    text = render.render_production(PLAN)
    assert 'name: "svc"\n' in text
    assert '      context: ".."\n      dockerfile: "docker/Dockerfile"\n      target: "runtime"\n' in text
    assert '      - "${APP_BIND:-127.0.0.1}:${APP_PORT:-8000}:8000"\n' in text  # interpolated on purpose
    assert "    read_only: true\n    tmpfs:\n      - /tmp\n" in text
    assert "    cap_drop:\n      - ALL\n" in text
    assert "    restart: unless-stopped\n" in text
    (test_line,) = [line for line in text.splitlines() if line.startswith("      test: ")]
    assert json.loads(test_line.removeprefix("      test: ")) == ["CMD", *PLAN.healthcheck]
    assert "develop:" not in text and "user:" not in text


def test_production_file_without_read_only_root() -> None:
    plan = render.ComposePlan(**{**PLAN.__dict__, "read_only": False})
    assert "read_only" not in render.render_production(plan)
    assert "read_only: false" not in render.render_dev(plan)


def test_dev_file_runs_the_dev_stage_as_root_dropping_to_the_image_user() -> None:
    text = render.render_dev(PLAN)
    assert 'name: "svc-dev"\n' in text
    assert '    build:\n      target: "dev"\n' in text
    assert "    read_only: false\n" in text
    assert "    cap_drop: !reset []\n" in text
    assert "    user: root\n" in text
    assert '    entrypoint: ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups", "--"]\n' in text
    (command,) = [line for line in text.splitlines() if line.startswith("    command: ")]
    assert json.loads(command.removeprefix("    command: ")) == list(PLAN.dev_command)
    assert '      - path: "../.env"\n        required: false\n' in text


def test_dev_file_watch_rules_in_plan_order() -> None:
    text = render.render_dev(PLAN)
    watch = text[text.index("    develop:\n") :]
    assert watch == (
        "    develop:\n"
        "      watch:\n"
        "        # code\n"
        "        - action: sync\n"
        '          path: "../pkg"\n'
        '          target: "/app/pkg"\n'
        '          ignore: ["**/__pycache__"]\n'
        "        - action: sync+restart\n"
        '          path: "../config"\n'
        '          target: "/app/config"\n'
        "        # deps\n"
        "        - action: rebuild\n"
        '          path: "../requirements/base.txt"\n'
        "        - action: rebuild\n"
        '          path: "Dockerfile"\n'
    )


def test_dev_file_mounts_and_environment() -> None:
    plan = render.ComposePlan(
        **{**PLAN.__dict__, "dev_environment": (("PYTHONPATH", "/app/src"),), "env_file": None}
    )
    text = render.render_dev(plan)
    assert '    environment:\n      PYTHONPATH: "/app/src"\n' in text
    assert (
        "    volumes:\n      # tests as on disk\n      - type: bind\n"
        '        source: "../tests"\n        target: "/app/tests"\n        read_only: true\n'
    ) in text
    assert "env_file" not in text


def test_dollar_signs_in_commands_are_not_interpolated() -> None:
    plan = render.ComposePlan(**{**PLAN.__dict__, "dev_command": ("sh", "-c", "exec app --port $PORT")})
    assert '"exec app --port $$PORT"' in render.render_dev(plan)


def _guide(**overrides: object) -> render.DevGuide:
    values: dict[str, object] = dict(
        dev_name="svc-dev", production_name="svc", service="app", compose_file=render.COMPOSE_FILE,
        dev_file=render.DEV_FILE, host="127.0.0.1", host_port="8000", container_port=8000,
        port_variable="APP_PORT", bind_variable="APP_BIND", dev_target="dev", runtime_target="runtime",
        dev_command=("uvicorn", "pkg.app:app", "--reload"), user="root", uid=10001,
        rules=(
            render.GuideRule(path="pkg", action="sync", target="/app/pkg", ignore=("**/__pycache__",)),
            render.GuideRule(path="requirements/base.txt", action="rebuild", target=None),
        ),
        mounts=(render.GuideMount(source="tests", target="/app/tests", read_only=True),),
        env_files=(".env",),
        commands=(render.GuideCommand(name="dev.up", summary="start it", argv="docker compose up"),),
        production_commands=(
            render.GuideCommand(name="up", summary="run it", argv="docker compose -f x up"),
        ),
        healthcheck=True, read_only=True, min_compose="2.24",
    )  # fmt: skip
    values.update(overrides)
    return render.DevGuide(**values)  # type: ignore[arg-type]


def test_guide_lists_what_syncs_rebuilds_and_the_commands() -> None:
    text = render.render_guide(_guide())
    assert "| `pkg` | `/app/pkg` |" in text
    assert "- `requirements/base.txt`" in text
    assert "| `dockyard dev.up` | start it | `docker compose up` |" in text
    assert "| `docker compose -f x up` | run it |" in text
    assert "http://127.0.0.1:8000" in text
    assert "Never synced: `**/__pycache__`" in text
    assert "`tests` is mounted at `/app/tests` (read-only)" in text
    assert "starts as `root` and drops the server to uid 10001" in text
    assert "Synced, then the container restarts" not in text  # no such rule


def test_guide_sections_follow_the_rules() -> None:
    text = render.render_guide(_guide(rules=(), mounts=(), env_files=()))
    assert "Synced, no restart" not in text
    assert "rebuilt and the container recreated" not in text
    assert "Mounted, not synced" not in text
    assert "Never synced" not in text
