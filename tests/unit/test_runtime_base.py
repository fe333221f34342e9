"""runtime_base in the generated Dockerfile: stripped and distroless stages; when distroless is refused."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from dockyard import config, history, runtime_base
from dockyard.dockerfile import parse_text
from dockyard.errors import ConfigError
from dockyard.phases import phase2_plan as plan
from dockyard.render.dockerfile import render


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "top_level_change_counts", lambda project: Counter())


BASE_ENV = (("LANG", "C.UTF-8"), ("GPG_KEY", "A B$C"), ("PATH", "/usr/local/bin:/usr/bin:/bin"))


def locked(root: Path, dockerfile: str, **files: str) -> Path:
    (root / "Dockerfile").write_text(dockerfile)
    (root / "requirements").mkdir(exist_ok=True)
    (root / "requirements" / "base.txt").write_text("six==1.17.0\n")
    (root / "svc").mkdir(exist_ok=True)
    (root / "svc" / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def settings(root: Path, kind: str) -> config.Settings:
    s = config.load(root, {"runtime_base": kind}, environ={})
    state = s.state_path
    state.mkdir(exist_ok=True)
    entries = {"schema": 1, "images": {s.base_image: [list(p) for p in BASE_ENV]}}
    (state / runtime_base.CACHE_FILE).write_text(json.dumps(entries))
    return s


SERVICE = (
    "FROM python:3.11-slim\nRUN apt-get update && apt-get install -y libpq5 curl\nWORKDIR /srv\nCOPY . .\n"
    "RUN mkdir -p /srv/uploads\nVOLUME /srv/uploads\nEXPOSE 8000\n"
    "HEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1\n"
    'CMD ["gunicorn", "svc:app", "-b", "0.0.0.0:8000"]\n'
)


def runtime_stage(text: str) -> str:
    return text[text.index("FROM scratch AS runtime") :]


@pytest.mark.parametrize("kind", ["stripped", "distroless"])
def test_scratch_runtime_restates_the_contract(tmp_path: Path, kind: str) -> None:
    p = plan.plan_dockerfile(settings(locked(tmp_path, SERVICE), kind))
    assert (p.runtime_base, p.base_env) == (kind, BASE_ENV)
    text = render(p)
    stage = runtime_stage(text)
    assert "FROM base AS runtime-root" in text and "RUN " not in stage  # no shell needed after the root
    parsed = parse_text(text).stage("runtime")
    assert parsed is not None
    assert parsed.cmd is not None and parsed.cmd.argv == ("gunicorn", "svc:app", "-b", "0.0.0.0:8000")
    assert parsed.user == "10001:10001" and parsed.workdir == "/srv" and parsed.volumes == ("/srv/uploads",)
    assert "GPG_KEY='A B$C'" in stage and parsed.env["LANG"] == "C.UTF-8"  # single quotes: no expansion
    assert parsed.env["PATH"] == "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin"
    assert parsed.env["VIRTUAL_ENV"] == "/opt/venv"
    assert "COPY --from=builder /opt/venv /opt/venv" in text[: text.index("FROM scratch AS runtime")]


def test_stripped_strips_and_keeps_the_shell_healthcheck(tmp_path: Path) -> None:
    text = render(plan.plan_dockerfile(settings(locked(tmp_path, SERVICE), "stripped")))
    root = text[text.index("FROM base AS runtime-root") : text.index("FROM scratch AS runtime")]
    assert "install -d -o 10001 -g 10001 /srv/uploads" in root and "/usr/local/bin/pip*" in root
    assert "# hadolint ignore=DL3067\nCOPY --from=runtime-root / /" in text
    assert 'CMD ["/bin/sh", "-c", "curl -f http://localhost:8000/health || exit 1"]' in runtime_stage(text)


def test_distroless_collects_apt_files_and_probes_with_python(tmp_path: Path) -> None:
    p = plan.plan_dockerfile(settings(locked(tmp_path, SERVICE), "distroless"))
    text = render(p)
    collect = next(line for line in text.splitlines() if line.startswith('RUN ["python", "-c"'))
    argv = json.loads(collect[4:])
    assert argv[3:5] == ["pkg:libpq5", "pkg:curl"] and "own:10001:10001:/srv/uploads" in argv
    compile(argv[2], "collect", "exec")
    assert "COPY --from=runtime-root /distroless/ /" in text
    health = parse_text(text).stage("runtime").healthcheck  # type: ignore[union-attr]
    assert health is not None and health.form == "exec" and health.args[0] == "python"
    assert "http://localhost:8000/health" in health.args[2]
    assert any("HEALTHCHECK runs in exec form" in n for n in p.notes)


@pytest.mark.parametrize(
    ("dockerfile", "files", "where", "why"),
    [
        ("FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCMD python -m svc\n", {}, "line 4: CMD", "shell"),
        (
            'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["./entrypoint.sh"]\nCMD ["serve"]\n',
            {"entrypoint.sh": '#!/bin/sh\nexec python -m svc "$@"\n'},
            "line 4: ENTRYPOINT",
            "entrypoint.sh, a #!sh script",
        ),
        (
            'FROM python:3.11-slim\nCOPY run.sh /usr/local/bin/run.sh\nCOPY svc /app/svc\nCMD ["run.sh"]\n',
            {"run.sh": "#!/usr/bin/env bash\nexec python -m svc\n"},
            "line 4: CMD",
            "run.sh, a #!bash script",
        ),
        (
            'FROM python:3.11-slim\nCOPY . /app\nCMD ["bash", "-c", "python -m svc"]\n',
            {},
            "line 3: CMD",
            "it runs bash",
        ),
        (
            "FROM python:3.11-slim\nCOPY . /app\nHEALTHCHECK CMD pg_isready -h db || exit 1\n"
            'CMD ["python", "-m", "svc"]\n',
            {},
            "line 3: HEALTHCHECK",
            "needs /bin/sh",
        ),
    ],
)
def test_distroless_is_refused_when_the_contract_needs_a_shell(
    tmp_path: Path, dockerfile: str, files: dict[str, str], where: str, why: str
) -> None:
    s = settings(locked(tmp_path, dockerfile, **files), "distroless")
    with pytest.raises(ConfigError) as caught:
        plan.plan_dockerfile(s)
    assert f"Dockerfile {where}" in caught.value.message and why in caught.value.message
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None and 'runtime_base = "stripped"' in caught.value.hint
    assert plan.plan_dockerfile(settings(tmp_path, "stripped")).runtime_base == "stripped"


def test_python_entrypoint_script_and_app_command_in_a_shell(tmp_path: Path) -> None:
    root = locked(
        tmp_path,
        'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["./run.py"]\n',
        **{"run.py": "#!/usr/bin/env python3\nprint(1)\n"},
    )
    assert plan.plan_dockerfile(settings(root, "distroless")).runtime_base == "distroless"
    s = config.load(root, {"runtime_base": "distroless", "app_command": ["sh", "-c", "x"]}, environ={})
    with pytest.raises(ConfigError, match="app_command: it runs sh"):
        plan.plan_dockerfile(s)


@pytest.mark.parametrize(
    ("test", "url"),
    [
        (("CMD-SHELL", "curl -f http://localhost:8000/health || exit 1"), "http://localhost:8000/health"),
        (("CMD-SHELL", "curl -fsS -m 2 http://127.0.0.1:80/ping"), "http://127.0.0.1:80/ping"),
        (("CMD-SHELL", "wget -q -O- http://localhost:5000/"), "http://localhost:5000/"),
        (("CMD", "curl", "--fail", "http://localhost/healthz"), "http://localhost/healthz"),
        (("CMD-SHELL", "curl -f http://localhost/ && echo ok"), None),
        (("CMD-SHELL", "pg_isready"), None),
        (("CMD", "python", "health.py"), None),
    ],
)
def test_healthcheck_probe(test: tuple[str, ...], url: str | None) -> None:
    probe = runtime_base.healthcheck_probe(test)
    if url is None:
        assert probe is None
    else:
        assert probe is not None and probe[:2] == ("python", "-c") and repr(url) in probe[2]
    kept = ("CMD", "python", "health.py")
    assert runtime_base.distroless_healthcheck(kept) == kept
    assert runtime_base.distroless_healthcheck(("NONE",)) == ("NONE",)


def test_base_env_parsing_and_missing_docker(tmp_path: Path) -> None:
    assert runtime_base.parse_env('["LANG=C.UTF-8","X=a=b"]') == (
        ("LANG", "C.UTF-8"),
        ("X", "a=b"),
        ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    )
    assert runtime_base.parse_env("null")[0][0] == "PATH"
    assert runtime_base.base_env(None, "python:3.11-slim", tmp_path) is None
    root = locked(tmp_path, SERVICE)
    p = plan.plan_dockerfile(config.load(root, {"runtime_base": "stripped"}, environ={}))
    assert p.base_env == () and any("was not read" in n for n in p.notes)
    assert "ENV PATH=/usr/local/sbin:/usr/local/bin" in render(p)


def test_runtime_base_must_be_a_known_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="runtime_base must be slim, stripped or distroless"):
        config.load(tmp_path, {"runtime_base": "alpine"}, environ={})


def test_slim_is_unchanged(tmp_path: Path) -> None:
    text = render(plan.plan_dockerfile(config.load(locked(tmp_path, SERVICE), environ={})))
    assert "FROM base AS runtime\n" in text and "scratch" not in text and "runtime-root" not in text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')\"",
            (
                "python",
                "-c",
                "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')",
            ),
        ),
        ("python /app/health.py --quiet || exit 1", ("python", "/app/health.py", "--quiet")),
        ("python -c 'print($HOME)'", ("python", "-c", "print($HOME)")),
        ('python -c "print($HOME)"', None),
        ("python health.py && echo ok", None),
        ("python $SCRIPT", None),
        ("ls *.py", None),
    ],
)
def test_simple_shell_lines_run_without_a_shell(text: str, words: tuple[str, ...] | None) -> None:
    assert runtime_base.simple_command(text) == words


def test_python_healthcheck_in_shell_form_becomes_exec_form() -> None:
    line = 'python -c "import sys; sys.exit(0)"'
    converted = runtime_base.exec_healthcheck(("CMD-SHELL", line))
    assert converted == ("CMD", "python", "-c", "import sys; sys.exit(0)")
    assert runtime_base.exec_healthcheck(("CMD-SHELL", "pg_isready")) is None  # maybe not in the root
    assert runtime_base.exec_healthcheck(("CMD", "sh", "-c", "x")) is None


def test_build_steps_run_in_exec_form_on_distroless_or_refuse_it(tmp_path: Path) -> None:
    """collectstatic carried over into a runtime with no shell: exec form, or a refusal naming it."""
    django = (
        "FROM python:3.11-slim\nWORKDIR /srv\nCOPY . .\n"
        "RUN python manage.py collectstatic --noinput\n"
        'CMD ["gunicorn", "svc:app", "-b", "0.0.0.0:8000"]\n'
    )
    p = plan.plan_dockerfile(settings(locked(tmp_path, django), "distroless"))
    assert p.build_steps == ("python manage.py collectstatic --noinput",)
    assert 'RUN ["python", "manage.py", "collectstatic", "--noinput"]' in runtime_stage(render(p))
    assert any("collectstatic --noinput` is carried over and runs again" in n for n in p.notes)
    shelled = django.replace("RUN python manage.py", "RUN DEBUG=0 python manage.py")
    s = settings(locked(tmp_path, shelled), "distroless")
    with pytest.raises(ConfigError, match="this build step needs /bin/sh"):
        plan.plan_dockerfile(s)
