"""The generated image runs as the original did: two small projects written here, each built from its
naive Dockerfile and from the generated one, compared with ``docker image inspect`` and by running them.

- ``cli``: a console-script CLI installed with ``pip install .``, started by ``ENTRYPOINT`` + ``CMD``;
  a code change must re-run the source COPY and nothing else.
- ``svc``: an entrypoint shell script under an absolute WORKDIR (``/srv/app``), made executable by a
  RUN, a root original that makes an uploads directory, ``libpq-dev`` from apt (its runtime library,
  libpq5, must stay), ENV with an ARG default, LABEL, VOLUME, EXPOSE, STOPSIGNAL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from dockyard import config
from dockyard.engine import BuildRequest, Engine
from dockyard.engine.build import BuildResult
from dockyard.phases.phase2_plan import plan_dockerfile
from dockyard.render.dockerfile import render
from dockyard.scan import SCANNERS, at_or_above

NONCE = uuid.uuid4().hex[:10]
COMPARED = ("Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Volumes", "StopSignal", "Labels")

CLI_PYPROJECT = """\
[project]
name = "mycli"
version = "0.1.0"
dependencies = ["six"]
[project.scripts]
mycli = "mycli.main:main"
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"
"""
CLI_MAIN = """\
import sys

import six


def main() -> None:
    print("mycli {nonce}", six.__name__, " ".join(sys.argv[1:]))
"""
CLI_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
ENTRYPOINT ["mycli"]
CMD ["--hello"]
"""
SVC_ENTRYPOINT = """\
#!/bin/sh
set -e
echo "migrating for $APP_ENV"
touch /srv/app/uploads/written-by-entrypoint
exec "$@"
"""
SVC_DOCKERFILE = """\
FROM python:3.11-slim
ARG APP_ENV=production
ENV APP_ENV=${APP_ENV} GREETING="hello world"
LABEL org.opencontainers.image.title="svc"
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
RUN chmod +x /srv/app/docker-entrypoint.sh && mkdir -p /srv/app/uploads
VOLUME /srv/data
EXPOSE 8080
STOPSIGNAL SIGINT
ENTRYPOINT ["/srv/app/docker-entrypoint.sh"]
CMD ["python", "-m", "svc"]
"""


def lock(project: Path, requirement: str) -> None:
    reqs = project / "requirements"
    reqs.mkdir()
    (reqs / "base.in").write_text(requirement + "\n")
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run(
        [uv, "pip", "compile", "-q", "--python-version", "3.11", "--generate-hashes", "--no-header",
         "base.in", "-o", "base.txt"],
        cwd=reqs, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def make_cli(root: Path) -> Path:
    project = root / "cli"
    (project / "src" / "mycli").mkdir(parents=True)
    (project / "pyproject.toml").write_text(CLI_PYPROJECT)
    (project / "src" / "mycli" / "__init__.py").write_text('"""mycli."""\n')
    (project / "src" / "mycli" / "main.py").write_text(CLI_MAIN.format(nonce=NONCE))
    (project / "Dockerfile").write_text(CLI_DOCKERFILE)
    lock(project, "six")
    return project


def make_svc(root: Path) -> Path:
    project = root / "svc-project"
    (project / "svc").mkdir(parents=True)
    (project / "svc" / "__init__.py").write_text("")
    (project / "svc" / "__main__.py").write_text(f'import os\nprint("svc {NONCE}", os.environ["GREETING"])\n')
    (project / "docker-entrypoint.sh").write_text(SVC_ENTRYPOINT)
    (project / "requirements.txt").write_text("six\n")
    (project / "Dockerfile").write_text(SVC_DOCKERFILE)
    lock(project, "six")
    return project


@dataclass
class Built:
    project: Path
    original: str
    generated: str
    result: BuildResult


def generate(project: Path, docker: str) -> Path:
    dockerfile = project / "docker" / "Dockerfile"
    dockerfile.parent.mkdir(exist_ok=True)
    dockerfile.write_text(render(plan_dockerfile(config.load(project, environ={}), docker=docker)))
    return dockerfile


def build_pair(engine: Engine, project: Path) -> Built:
    tag = f"dockyard-test-contract-{project.name}:{NONCE}"
    engine.build(BuildRequest(context=project, dockerfile=project / "Dockerfile", tags=(tag + "-orig",)))
    dockerfile = generate(project, engine.docker)
    request = BuildRequest(context=project, dockerfile=dockerfile, target="runtime", tags=(tag + "-gen",))
    return Built(project, tag + "-orig", tag + "-gen", engine.build(request, label="contract"))


@pytest.fixture(scope="module")
def built(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    root = tmp_path_factory.mktemp("contract")
    pairs = {"cli": build_pair(engine, make_cli(root)), "svc": build_pair(engine, make_svc(root))}
    yield pairs
    tags = [t for b in pairs.values() for t in (b.original, b.generated)]
    subprocess.run([engine.docker, "image", "rm", "--force", *tags], capture_output=True, check=False)


def inspect(docker: str, image: str) -> dict[str, object]:
    out = subprocess.run([docker, "image", "inspect", image], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout)[0]["Config"])


def env_of(config: dict[str, object]) -> dict[str, str]:
    """An image configuration's ``Env`` (``NAME=value`` entries) as a dict."""
    entries = cast("list[object]", config["Env"])
    return {name: value for name, value in (str(e).split("=", 1) for e in entries)}


def run(docker: str, image: str, *args: str) -> str:
    done = subprocess.run([docker, "run", "--rm", image, *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("name", ["cli", "svc"])
def test_the_generated_image_keeps_the_running_contract(
    engine: Engine, built: dict[str, Built], name: str
) -> None:
    pair = built[name]
    before, after = inspect(engine.docker, pair.original), inspect(engine.docker, pair.generated)
    assert {k: before.get(k) for k in COMPARED} == {k: after.get(k) for k in COMPARED}
    env_before, env_after = env_of(before), env_of(after)
    carried = {k: v for k, v in env_before.items() if k != "PATH"}
    assert carried.items() <= env_after.items()
    assert env_after["PATH"].startswith("/opt/venv/bin:")
    assert before["User"] == "" and after["User"] == "10001:10001"  # root original, non-root copy
    assert run(engine.docker, pair.original) == run(engine.docker, pair.generated)
    lint = SCANNERS["hadolint"].scan(pair.project / "docker" / "Dockerfile")
    assert at_or_above(lint.findings, "warning") == []


def test_cli_console_script_runs_with_its_arguments(engine: Engine, built: dict[str, Built]) -> None:
    assert run(engine.docker, built["cli"].generated, "a", "b").strip() == f"mycli {NONCE} six a b"


def test_svc_entrypoint_script_uploads_and_system_libraries(engine: Engine, built: dict[str, Built]) -> None:
    image = built["svc"].generated
    out = run(engine.docker, image)
    assert out.splitlines() == ["migrating for production", f"svc {NONCE} hello world"]
    probe = (
        "dpkg-query -W -f='${Package} ' libpq5 2>/dev/null;"
        " dpkg-query -W libpq-dev >/dev/null 2>&1 && echo dev;"
        " touch /srv/app/uploads/x /srv/data/y && echo writable"
    )
    checked = subprocess.run(
        [engine.docker, "run", "--rm", "--entrypoint", "sh", image, "-c", probe],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert checked.stdout.split() == ["libpq5", "writable"]


def test_a_code_change_reruns_only_the_source_copy(engine: Engine, built: dict[str, Built]) -> None:
    """BuildKit's cache is shared with other work on this daemon, which may prune it at any time:
    a rebuild that re-ran the base stage (which no code change can touch) saw a pruned cache and is
    retried; any other executed step is a real failure."""
    pair = built["cli"]
    request = BuildRequest(
        context=pair.project, dockerfile=pair.project / "docker" / "Dockerfile", target="runtime"
    )
    main = pair.project / "src" / "mycli" / "main.py"
    for attempt in range(3):
        engine.build(request, label="contract-warm")
        main.write_text(CLI_MAIN.format(nonce=f"{NONCE}-{attempt}"))
        result = engine.build(request, label="contract-code-change")
        executed = [s.name for s in result.executed]
        if not any(s.startswith("[base") for s in executed):
            break
    subprocess.run([engine.docker, "image", "rm", result.image_id], capture_output=True, check=False)
    assert executed == ["[runtime 3/3] COPY src /app/src"]
