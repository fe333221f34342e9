"""A private index that needs a password (pypiserver with htpasswd, on loopback), serving a package built
here: phase 1 resolves it through a ${VARIABLE} URL, and the generated Dockerfile reads the URL from a
BuildKit secret. The build succeeds with the secret and fails clearly without it, and the password is in
no generated file, no `docker history` entry and no image layer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config
from dockyard.engine import Engine
from dockyard.phases import phase1, phase2
from dockyard.render import writer

PASSWORD = f"pw-{uuid.uuid4().hex}"
USER = "dockyard"
PACKAGE = """\
[project]
name = "dockyard-private-probe"
version = "0.1.0"

[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pypiserver on 127.0.0.1 that asks a password for everything, holding one package built here."""
    try:
        import pypiserver  # noqa: F401
        from passlib.apache import HtpasswdFile
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("pypiserver and passlib are test dependencies: install requirements/test.txt")
        pytest.skip("pypiserver and passlib are not installed")

    root = tmp_path_factory.mktemp("index")
    source = root / "probe"
    (source / "dockyard_private_probe").mkdir(parents=True)
    (source / "pyproject.toml").write_text(PACKAGE)
    (source / "dockyard_private_probe" / "__init__.py").write_text("VALUE = 42\n")
    packages = root / "packages"
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "build", "--wheel", "--out-dir", str(packages), str(source)], check=True, timeout=300)
    passwords = HtpasswdFile(str(root / "htpasswd"), new=True)
    passwords.set_password(USER, PASSWORD)
    passwords.save()
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "pypi-server"), "run", "-i", "127.0.0.1", "-p", str(port),
         "-P", str(root / "htpasswd"), "-a", "download,list,update", str(packages)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/simple/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def build(docker: str, project: Path, tag: str, secret: Path | None) -> subprocess.CompletedProcess[str]:
    argv = [docker, "build", "--network", "host", "--progress", "plain", "--target", "runtime", "-t", tag]
    argv += ["-f", str(project / "docker" / "Dockerfile")]
    if secret is not None:
        argv += ["--secret", f"id=dockyard_index,src={secret}"]
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    return subprocess.run([*argv, str(project)], capture_output=True, text=True, env=env, timeout=900)


def test_private_index_through_a_buildkit_secret(
    engine: Engine, index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = index.split("//", 1)[1].split("@", 1)[0]  # user:password
    placeholder = index.replace(token, "${PROBE_INDEX_AUTH}")
    monkeypatch.setenv("PROBE_INDEX_AUTH", token)
    project = tmp_path / "svc"
    project.mkdir()
    (project / "requirements.txt").write_text(
        f"--extra-index-url {placeholder}\ndockyard-private-probe\nsix\n"
    )
    (project / "app.py").write_text("import dockyard_private_probe\nimport six\n")
    (project / ".dockerignore").write_text(".git\n**/__pycache__\n*.secret\n")
    settings = config.load(project, {"app_command": ("python", "app.py"), "app_port": 0})
    step = phase1.plan_requirements(settings)
    for plan in step.plans():
        writer.apply(plan)
    dockerfile_plan, _notes = phase2.plan_files(settings)
    writer.apply(dockerfile_plan)
    generated = [
        p
        for p in project.rglob("*")
        if p.is_file() and p.suffix != ".secret" and p.name != "requirements.txt"
    ]
    for path in generated:
        text = path.read_text(errors="replace")
        assert PASSWORD not in text and "PROBE_INDEX_AUTH" not in text, path
    assert "dockyard-private-probe==0.1.0" in (project / "requirements" / "base.txt").read_text()
    assert "--mount=type=secret,id=dockyard_index" in (project / "docker" / "Dockerfile").read_text()

    tag = f"dockyard-test/private-index:{uuid.uuid4().hex[:10]}"
    refused = build(engine.docker, project, tag + "-nosecret", None)
    assert refused.returncode != 0
    assert "this build needs the private index URL as a BuildKit secret" in refused.stdout + refused.stderr
    secret = tmp_path / "index.secret"
    secret.write_text(index)
    built = build(engine.docker, project, tag, secret)
    assert built.returncode == 0, built.stderr[-3000:]
    try:
        probe = "import dockyard_private_probe as p; print(p.VALUE)"
        ran = subprocess.run(
            [engine.docker, "run", "--rm", tag, "python", "-c", probe],
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        assert ran.stdout.strip() == "42"
        history = subprocess.run(
            [engine.docker, "history", "--no-trunc", tag], capture_output=True, text=True, check=True
        ).stdout
        assert PASSWORD not in history
        saved = tmp_path / "image.tar"
        subprocess.run([engine.docker, "save", "-o", str(saved), tag], check=True, timeout=300)
        assert_not_in_layers(saved, PASSWORD.encode())
    finally:
        subprocess.run([engine.docker, "image", "rm", "-f", tag], capture_output=True, check=False)


def assert_not_in_layers(image_tar: Path, secret: bytes) -> None:
    """Every file of every layer (and the image config) of a `docker save` archive, searched."""
    with tarfile.open(image_tar) as outer:
        for member in outer.getmembers():
            if not member.isfile():
                continue
            data = outer.extractfile(member)
            assert data is not None
            blob = data.read()
            assert secret not in blob, member.name
            if member.name.endswith("layer.tar"):
                import io

                with tarfile.open(fileobj=io.BytesIO(blob)) as layer:
                    for entry in layer.getmembers():
                        if entry.isfile():
                            handle = layer.extractfile(entry)
                            assert handle is not None
                            assert secret not in handle.read(), f"{member.name}:{entry.name}"
