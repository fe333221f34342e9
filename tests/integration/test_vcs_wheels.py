"""Git requirements, installed: phase 2 builds each one into a wheel on the host (git runs there, never in
the image) and the image installs it hash-checked and non-editable. The repositories are made here, on
the local filesystem (``git+file://``), with per-run unique package names and content.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import config, process
from dockyard.engine import BuildRequest, Engine
from dockyard.errors import BuildFailed, CommandFailed
from dockyard.phases import phase2
from dockyard.phases import verify as verify_phase
from dockyard.phases.report import Status
from dockyard.wheelhouse import vcs

GIT = ["git", "-c", "user.name=dockyard-test", "-c", "user.email=test@dockyard.invalid"]
#: Run in the image: each named distribution's version, its direct_url.json, and the module's MARK.
INSPECT = """\
import importlib, importlib.metadata as m, json, shutil, sys
found = {}
for dist, module in zip(sys.argv[1::2], sys.argv[2::2]):
    d = m.distribution(dist)
    found[dist] = {
        "version": d.version,
        "direct_url": json.loads(d.read_text("direct_url.json") or "{}"),
        "mark": importlib.import_module(module).MARK,
    }
print(json.dumps({"dists": found, "git": shutil.which("git")}))
"""


def git_package(root: Path, name: str, mark: str, *, subdirectory: str = "", deps: str = "") -> str:
    """A git repository holding one tiny setuptools package; returns its commit."""
    root.mkdir(parents=True)
    package = root / subdirectory if subdirectory else root
    module = name.replace("-", "_")
    (package / module).mkdir(parents=True)
    (package / module / "__init__.py").write_text(f"MARK = {mark!r}\n")
    (package / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = [{deps}]\n'
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[tool.setuptools]\npackages = ["{module}"]\n'
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*GIT, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-qm", "tiny package"], check=True)
    done = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def run_python(docker: str, image: str) -> list[str]:
    return [docker, "run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c", INSPECT]


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[list[str]]:
    images: list[str] = []
    yield images
    subprocess.run([engine.docker, "image", "rm", "-f", *images], capture_output=True, check=False)


def test_git_requirements_are_built_on_the_host_and_installed_hash_checked(
    engine: Engine, tmp_path: Path, cleanup: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nonce = uuid.uuid4().hex[:8]
    plain, editable = f"vcsplain-{nonce}", f"vcsedit-{nonce}"
    plain_commit = git_package(
        tmp_path / "repos" / "plain", plain, f"plain {nonce}", subdirectory="pkg", deps='"six"'
    )
    git_package(tmp_path / "repos" / "edit", editable, f"edit {nonce}")
    project = tmp_path / f"vcs-app-{nonce}"
    project.mkdir()
    (project / "requirements.txt").write_text(
        "idna\n"
        f"{plain} @ git+file://{tmp_path}/repos/plain#subdirectory=pkg\n"
        # a placeholder, as a token would be written: uv and the host's git fill it, no file holds the value
        f"-e git+file://${{VCS_TEST_ROOT}}/edit#egg={editable.replace('-', '_')}\n"
    )
    monkeypatch.setenv("VCS_TEST_ROOT", str(tmp_path / "repos"))
    modules = (plain.replace("-", "_"), editable.replace("-", "_"))
    (project / "app.py").write_text(f"import idna, {modules[0]}, {modules[1]}\n")
    settings = config.load(project, {"app_command": ("python", "app.py"), "app_port": 0})
    tag = f"{project.name.lower()}:dockyard"
    cleanup += [tag, *verify_phase.image_tags(project)]

    report = phase2.run(settings, engine=engine, bench=False, branch=False)

    failed = [f"{s.name}: {s.summary}" for s in report.steps if s.status is Status.FAILED]
    assert report.status is not Status.FAILED, failed
    step = next(s for s in report.steps if s.name == "VCS wheels")
    assert step.status is Status.DONE
    lines = [f.message for f in step.findings]
    assert len(lines) == 2, lines  # one report line each
    assert any(plain in line and plain_commit in line and "built" in line for line in lines), lines
    listing = (project / vcs.DIRNAME / vcs.REQUIREMENTS).read_text()
    assert listing.count("--hash=sha256:") == 2
    assert "${VCS_TEST_ROOT}/edit" in listing and f"{tmp_path}/repos/edit" not in listing
    assert f"{tmp_path}/repos/edit" not in (project / "requirements" / "base.txt").read_text()
    dockerfile = (project / "docker" / "Dockerfile").read_text()
    assert "git+" not in dockerfile and "git clone" not in dockerfile

    inspected = subprocess.run(
        [*run_python(engine.docker, tag), plain, modules[0], editable, modules[1]],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(inspected.stdout)
    assert found["git"] is None  # no git in the image
    for dist, mark in ((plain, f"plain {nonce}"), (editable, f"edit {nonce}")):
        info = found["dists"][dist]
        assert info["version"] == "0.1.0"
        assert info["mark"] == mark  # the committed content
        # installed from the host-built wheel, not from git, and not editable (the -e one included)
        assert info["direct_url"]["url"].startswith(f"file://{vcs.MOUNT}/")
        assert not info["direct_url"].get("dir_info", {}).get("editable", False)
        assert "vcs_info" not in info["direct_url"]

    # a second run reuses the wheels (same commits): nothing is rebuilt on the host
    again = phase2.vcs_step(settings)
    assert again is not None and again.status is Status.CURRENT

    # the hash is checked: a wheel changed after phase 2 fails the build
    wheel = next((project / vcs.DIRNAME).glob(f"{plain.replace('-', '_')}-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    request = BuildRequest(
        context=project,
        dockerfile=project / "docker" / "Dockerfile",
        target="runtime",
        tags=(f"{tag}-tampered",),
    )
    cleanup.append(f"{tag}-tampered")
    with pytest.raises(BuildFailed) as caught:
        engine.build(request, label="vcs-tampered")
    assert "hash" in caught.value.render().lower()


def test_a_token_filled_into_a_git_url_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git runs on the host with the token filled in; its failure (nothing listens on port 9) is
    reported with the placeholder, and dockyard's command echo never sees the argv."""
    secret = f"tok-{uuid.uuid4().hex}"
    monkeypatch.setenv("VCS_TEST_TOKEN", secret)
    found = vcs.parse(f"lib @ git+http://${{VCS_TEST_TOKEN}}@127.0.0.1:9/org/lib.git@{'0' * 40}", "base.txt")
    assert found is not None
    echoed: list[str] = []
    process.set_echo(echoed.append)
    try:
        with pytest.raises(CommandFailed) as caught:
            vcs.build(tmp_path, [found], timeout=60)
    finally:
        process.set_echo(None)
    shown = caught.value.render()
    assert "127.0.0.1:9" in shown and secret not in shown
    assert not any(secret in line for line in echoed)
    assert not (tmp_path / vcs.DIRNAME).exists() or not any((tmp_path / vcs.DIRNAME).iterdir())
