"""The shared-library probe: parsing real captured output, the difference with the runtime base, the
cache, and what the plan makes of an answer (a full python image in the original, slim at runtime)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dockyard import config, contract, history, shared_libraries
from dockyard.dockerfile import parse_text
from dockyard.phases import phase2_plan as plan
from dockyard.render.dockerfile import DockerfilePlan, render


def _captured(data_dir: Path, name: str) -> dict[str, tuple[str, ...]]:
    return shared_libraries.parse((data_dir / "shared_libraries" / name).read_text())


def test_psycopg2_built_on_the_full_image_needs_libpq_in_slim(data_dir: Path) -> None:
    """Captured: a venv with psycopg2 (built from source on the full image), PyYAML and lxml wheels;
    the slim stand-in's dpkg-query; the full image's owner of libpq.so.5."""
    used = _captured(data_dir, "builder-psycopg2-packages.txt")
    installed = _captured(data_dir, "python-3.11-slim-installed.txt")["package"]
    assert "libpq5" in used["package"] and "libc6" in used["package"] and used["missing"] == ()
    assert "libc6" in installed and "libpq5" not in installed
    found = shared_libraries.missing(used["package"], installed)
    assert "libpq5" in found and "libssl3" not in found and "libc6" not in found
    assert _captured(data_dir, "python-3.11-owners.txt")["package"] == ("libpq5",)


def test_a_probe_that_did_not_finish_is_an_error() -> None:
    with pytest.raises(ValueError, match="did not finish"):
        shared_libraries.parse("package libpq5\n")
    parsed = shared_libraries.parse("missing libGL.so.1\n-- done\n")
    assert parsed == {"package": (), "missing": ("libGL.so.1",)}


def test_argv_runs_sh_in_the_image_with_the_environments() -> None:
    argv = shared_libraries.packages_argv("docker", "img:builder")
    assert argv[:3] == ["docker", "run", "--rm"] and "img:builder" in argv
    assert argv[-2:] == list(shared_libraries.ENVIRONMENTS)
    assert shared_libraries.owners_argv("docker", "python:3.11", ["libpq.so.5"])[-1] == "libpq.so.5"


def test_cache_keyed_by_images_and_locks(tmp_path: Path) -> None:
    lock = tmp_path / "base.txt"
    lock.write_text("psycopg2==2.9.9\n")
    key = shared_libraries.key(builder_image="python:3.11", runtime_image="python:3.11-slim", locks=[lock])
    assert shared_libraries.cached(tmp_path, key) is None
    shared_libraries.save(tmp_path, key, ("libpq5",))
    assert shared_libraries.cached(tmp_path, key) == ("libpq5",)
    lock.write_text("psycopg2==2.9.10\n")
    images = {"builder_image": "python:3.11", "runtime_image": "python:3.11-slim"}
    assert shared_libraries.key(**images, locks=[lock]) != key


@pytest.mark.parametrize(
    ("image", "full"),
    [
        ("python:3.11", True),
        ("python:3.12.4-bookworm", True),
        ("docker.io/library/python:3.11", True),
        ("python:3.11-slim", False),
        ("python:3.12-slim-bookworm", False),
        ("python:3.11-alpine", False),
        ("debian:bookworm", False),
    ],
)
def test_full_python_images(image: str, full: bool) -> None:
    assert contract.is_full_python_image(image) is full


def test_the_runtime_of_a_full_image_original_is_slim_and_gets_the_probed_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "top_level_change_counts", lambda project: Counter())
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        'CMD ["python", "-m", "worker"]\n'
    )
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "__init__.py").write_text("")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("psycopg2==2.9.9\n")
    settings = config.load(tmp_path, environ={})
    assert settings.base_image == "python:3.11-slim"
    first = plan.plan_dockerfile(settings)
    assert first.base_image == "python:3.11-slim" and first.library_probe is not None
    assert first.apt_runtime_packages == ()
    assert any("looks for the system libraries" in n for n in first.notes)
    shared_libraries.save(settings.state_path, first.library_probe, ("libpq5",))
    second = plan.plan_dockerfile(settings)
    assert second.library_probe is None and second.apt_runtime_packages == ("libpq5",)
    assert any(n.startswith("libpq5: system libraries") for n in second.notes)


def test_the_builder_starts_from_the_full_image_when_something_compiles() -> None:
    text = render(
        DockerfilePlan(
            base_image="python:3.11-slim",
            builder_image="python:3.11",
            command=("python", "-m", "worker"),
            port=0,
            health_path="",
            app_paths=("worker",),
            apt_runtime_packages=("libpq5",),
        )
    )
    parsed = parse_text(text)
    tools, runtime = parsed.stage("tools"), parsed.final_stage
    assert tools is not None and parsed.root_image(tools) == "python:3.11"
    assert parsed.root_image(runtime) == "python:3.11-slim"
    assert "useradd" in tools.runs[0].script  # the dev stage's USER exists there too
    base = parsed.stage("base")
    assert base is not None and "libpq5" in base.runs[0].script


def test_the_originals_app_build_steps_run_in_the_runtime_after_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """django-uploads' collectstatic and microblog's `flask translate compile` make files the
    application serves; installs, tests, chmod and one-off `python -c` are not carried over."""
    steps = contract.app_build_steps(
        [
            "python manage.py collectstatic --noinput",
            "flask translate compile",
            "pip install -r requirements.txt",
            "python setup.py install",
            "python -m pip install x",
            "python -m pytest -q",
            "python manage.py test",
            "chmod a+x boot.sh",
            "mkdir -p uploads && chown -R django:django uploads",
            'python -c "import nltk"',
        ]
    )
    assert steps == ("python manage.py collectstatic --noinput", "flask translate compile")
    monkeypatch.setattr(history, "top_level_change_counts", lambda project: Counter())
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\nWORKDIR /site\nCOPY . .\nRUN pip install -r requirements.txt\n"
        'RUN python manage.py collectstatic --noinput\nCMD ["gunicorn", "site_app.wsgi"]\n'
    )
    (tmp_path / "site_app").mkdir()
    (tmp_path / "site_app" / "__init__.py").write_text("")
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("django==4.2.16\n")
    runtime = parse_text(render(plan.plan_dockerfile(config.load(tmp_path, environ={})))).final_stage
    scripts = [r.script for r in runtime.runs]
    assert scripts[-1] == "python manage.py collectstatic --noinput"
    last_copy = max(c.line for c in runtime.copies)
    assert runtime.runs[-1].line > last_copy and runtime.user is not None
