"""Base-image candidate Dockerfiles, from a real `docker image inspect` of a phase-2 runtime image."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import candidates
from dockyard.dockerfile import parse_text
from dockyard.phases.basecandidates import Candidate, recommend

DATA = Path(__file__).parents[1] / "data" / "housekeeping"


@pytest.fixture
def config() -> candidates.RuntimeConfig:
    return candidates.RuntimeConfig.from_inspect((DATA / "image-inspect-runtime.json").read_text())


def test_config_from_real_inspect(config: candidates.RuntimeConfig) -> None:
    assert config.user == "10001:10001"
    assert config.workdir == "/app"
    assert config.ports == ("8000/tcp",)
    assert any(e.startswith("PATH=") for e in config.env)
    assert config.cmd or config.entrypoint


@pytest.mark.parametrize("kind", ["stripped", "distroless"])
def test_candidate_dockerfiles_parse_and_restate_the_config(
    kind: str, config: candidates.RuntimeConfig
) -> None:
    text = candidates.dockerfile_for(kind, "svc:dockyard", config)
    parsed = parse_text(text)
    final = parsed.final_stage
    assert final.base == "scratch"
    assert "USER 10001:10001" in text and "WORKDIR /app" in text and "EXPOSE 8000/tcp" in text
    assert text.count("FROM ") == 2


def test_stripped_removes_pip_and_test_suites(config: candidates.RuntimeConfig) -> None:
    text = candidates.stripped_dockerfile("svc:dockyard", config)
    assert "site-packages/pip" in text and "/test" in text and "ensurepip" in text


def test_env_values_with_spaces_are_quoted() -> None:
    config = candidates.RuntimeConfig(env=("GREETING=hello world",), cmd=("python", "app.py"))
    text = candidates.stripped_dockerfile("x", config)
    assert 'ENV GREETING="hello world"' in text
    assert 'CMD ["python", "app.py"]' in text


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="slim"):
        candidates.dockerfile_for("slim", "x", candidates.RuntimeConfig())


def test_recommend_smallest_passing() -> None:
    def cand(kind: str, size: int, passed: bool) -> Candidate:
        return Candidate(kind=kind, image=kind, size=size, build_s=0, passed=passed, smoke="", packages=0)

    best = recommend([cand("slim", 300, True), cand("stripped", 250, True), cand("distroless", 100, False)])
    assert best is not None
    assert best.kind == "stripped"
    assert recommend([cand("slim", 300, False)]) is None


def test_distroless_candidate_carries_the_apt_packages(config: candidates.RuntimeConfig) -> None:
    text = candidates.dockerfile_for("distroless", "svc:dockyard", config, packages=("libpq5=15.8-0",))
    run = next(line for line in text.splitlines() if line.startswith("RUN "))
    assert run.endswith('"/app", "pkg:libpq5"]')
