"""``dockyard scan`` end to end, the issue's done-when: a phase-2 copy of the example with a
known-vulnerable pin planted in a lock and a private key planted in the build context fails
``--fail-on high``, names the advisory (served by ``dockyard scan.mirror`` on loopback) and the
key, and both are in the SARIF, which validates against the published 2.1.0 schema.

trivy comes from .ci/provision (``$CI_STATE_DIR/tools/trivy``, off PATH); in CI it must be there.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.engine import BuildRequest, Engine
from tests.integration.conftest import ROOT, dockyard_cli
from tests.integration.phase2_project import make_phase2_project
from tests.sarif_schema import validate

ADVISORIES = ROOT / "tests" / "data" / "advisories"
STATE = Path(os.environ.get("CI_STATE_DIR", "/var/lib/dockyard-ci"))


def trivy_dir(request: pytest.FixtureRequest) -> Path | None:
    found = shutil.which("trivy")
    if found:
        return Path(found).parent
    provisioned = STATE / "tools" / "trivy"
    if provisioned.is_file():
        return provisioned.parent
    if os.environ.get("CI") or request.config.getoption("--require-docker"):
        pytest.fail(f"trivy is missing: .ci/provision installs it into {provisioned}")
    return None


def private_key() -> str:
    """A PEM block shaped like an RSA key (random body): what secret scanners look for."""
    body = base64.b64encode(os.urandom(900)).decode()
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(textwrap.wrap(body, 64))
        + "\n-----END RSA PRIVATE KEY-----\n"
    )


@pytest.fixture(scope="module")
def mirror() -> Iterator[tuple[str, list[str]]]:
    """``dockyard scan.mirror`` as its own process; yields its /v1/query URL and its request log."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "scan.mirror", "--advisories", str(ADVISORIES)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stdout = proc.stdout
    assert stdout is not None
    first, second = stdout.readline(), stdout.readline()
    assert first.startswith("serving 4 advisories (0 withdrawn, skipped)"), first + second
    url = second.split("--osv-url ", 1)[1].split()[0]
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(line.strip() for line in stdout), daemon=True)
    reader.start()
    yield url, log
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def planted(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The example as phases 1-2 leave it, a key planted in its package (which the runtime image
    copies, and which the .dockerignore does not exclude), its runtime image built, and then a
    vulnerable PyYAML pinned in the base lock."""
    project = make_phase2_project(tmp_path_factory.mktemp("scan") / "inference-service")
    (project / "inference_service" / "deploy_key").write_text(private_key())
    tag = f"dockyard-test-scan:{uuid.uuid4().hex[:10]}"
    request = BuildRequest(
        context=project, dockerfile=project / "docker" / "Dockerfile", target="runtime", tags=(tag,)
    )
    engine.build(request, label="scan-test")
    lock = project / "requirements" / "base.txt"
    text = lock.read_text()
    assert "\npyyaml==6.0.4 " in text
    lock.write_text(text.replace("\npyyaml==6.0.4 ", "\npyyaml==5.3.1 "))
    yield project, tag
    subprocess.run([engine.docker, "image", "rm", "--force", tag], capture_output=True, check=False)


def test_scan_fails_on_high_and_names_advisory_and_key(
    planted: tuple[Path, str],
    mirror: tuple[str, list[str]],
    engine: Engine,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    project, tag = planted
    url, mirror_log = mirror
    trivy = trivy_dir(request)
    path = f"{trivy}{os.pathsep}{os.environ['PATH']}" if trivy else os.environ["PATH"]
    sarif_path = tmp_path / "scan.sarif"
    result = dockyard_cli(
        "scan", "--project", str(project), "--fail-on", "high", "--image", tag, "--osv-url", url,
        "--docker", engine.docker, "--sarif", str(sarif_path),
        env={"PATH": path, "TRIVY_CACHE_DIR": str(tmp_path / "trivy-cache")},
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-4000:]
    assert "FAILED" in out and "PYSEC-2021-142" in out and "inference_service/deploy_key" in out

    # pip-audit asked the loopback mirror, and dockyard looked the advisory's severity up there
    assert "POST /v1/query 200" in mirror_log
    assert "GET /v1/vulns/PYSEC-2021-142 200" in mirror_log

    sarif = json.loads(sarif_path.read_text())
    validate(sarif)
    results = {run["tool"]["driver"]["name"]: run["results"] for run in sarif["runs"]}
    (vuln,) = [r for r in results["pip-audit"] if r["ruleId"] == "PYSEC-2021-142"]
    assert vuln["properties"]["fixed"] == ["5.4"] and vuln["level"] == "error"
    assert vuln["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "requirements/base.txt"

    def uris(tool: str) -> set[str]:
        return {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results[tool]}

    assert "inference_service/deploy_key" in uris("context-secrets")
    assert "app/inference_service/deploy_key" in uris("image-layers")  # it shipped in the image
    (in_image,) = [r for r in results["image-layers"] if r["ruleId"] == "private-key"]
    assert "COPY inference_service /app/inference_service" in in_image["message"]["text"]
    if trivy:
        assert "inference_service/deploy_key" in uris("trivy-secret")
        assert "Dockerfile" in uris("trivy-config")  # the naive original runs as root (DS002)
        assert (project / ".dockyard" / "scan" / "sbom.cdx.json").is_file()
        sbom = json.loads((project / ".dockyard" / "scan" / "sbom.cdx.json").read_text())
        assert sbom["bomFormat"] == "CycloneDX" and sbom["components"]

    step = json.loads((project / ".dockyard" / "scan" / "latest.json").read_text())
    assert step["scanned"]["dockerfiles"] == ["Dockerfile", "docker/Dockerfile"]
    assert step["scanned"]["locks"] == [f"requirements/{g}.txt" for g in ("base", "dev", "ml", "test")]
    assert step["ungated_files"] == ["Dockerfile"]  # the original's findings are shown, not gated
    blocking = {(f["tool"], f["id"]) for f in step["findings"] if f["severity"] in {"high", "critical"}}
    assert {("pip-audit", "PYSEC-2021-142"), ("image-layers", "private-key")} <= blocking

    # the same run's JSON and Markdown reports under the state directory
    assert step["passed"] is False and step["fail_on"] == "high"
    assert (
        "| high | pip-audit | PYSEC-2021-142 | requirements/base.txt:"
        in (project / ".dockyard" / "scan" / "latest.md").read_text()
    )
    assert not (project / ".dockyard" / "scan" / "image.tar").exists()  # the saved image is removed


def test_ignore_file_lets_the_gate_pass_until_it_expires(
    planted: tuple[Path, str], mirror: tuple[str, list[str]], tmp_path: Path
) -> None:
    project, _ = planted
    url, _ = mirror
    ignore = tmp_path / "ignore.toml"
    ignore.write_text(
        '[[ignore]]\nid = "CVE-2020-14343"\nreason = "test: accepted"\nexpires = 2999-01-01\n'
        '[[ignore]]\nid = "private-key"\nreason = "test: accepted"\nexpires = 2999-01-01\n'
        '[[ignore]]\nid = "secret-file"\nreason = "test: accepted"\nexpires = 2000-01-01\n'
    )
    args = ("scan", "--project", str(project), "--fail-on", "critical", "--no-image", "--osv-url", url,
            "--check", "pip-audit,context-secrets", "--ignore-file", str(ignore), "--json", "-")  # fmt: skip
    result = dockyard_cli(*args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert {f["id"] for f in data["data"]["ignored"]} == {"PYSEC-2021-142", "private-key"}
    assert any("secret-file expired on 2000-01-01 and matched nothing" in n for n in data["data"]["notes"])
