"""The developer guide: facts read from the project, rendering, links, idempotence and --check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dockyard import ci, config, devguide
from dockyard.bench import report, trend
from dockyard.phases import phase5
from dockyard.phases.report import Level, Status
from dockyard.render import writer

DATA = Path(__file__).resolve().parents[1] / "data"
TASKS = (devguide.TaskInfo(name="docs", summary="Write the guide."),)


@pytest.fixture(autouse=True)
def quick_chart(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib takes a second per chart: a stand-in PNG, except where a test asks for the real one."""
    if "real_chart" not in request.fixturenames:
        monkeypatch.setattr(
            report, "chart_png_bytes", lambda result: b"\x89PNG stand-in " + repr(result).encode()
        )


def _write(root: Path, rel: str, text: str) -> None:
    writer.write_generated(root, rel, text, source="a test")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project as phases 1-3 leave it, with a benchmark result, and a scan report."""
    root = tmp_path / "service"
    root.mkdir()
    (root / "requirements.txt").write_text("fastapi==0.115.0\nnumpy==2.1.0\n")
    for group, pins in {"base": ["fastapi==0.115.0", "starlette==0.38.6"], "ml": ["numpy==2.1.0"]}.items():
        _write(root, f"requirements/{group}.in", "\n".join(p.split("==")[0] for p in pins) + "\n")
        _write(root, f"requirements/{group}.txt", "".join(f"{p} \\\n    --hash=sha256:00\n" for p in pins))
    _write(root, "requirements/test.in", "pytest\n")
    _write(root, "requirements/test.txt", "pytest==8.3.3 \\\n    --hash=sha256:00\n")
    _write(root, ".dockerignore", ".git\n")
    _write(root, "docker/Dockerfile", (DATA / "dockerfiles" / "multistage.Dockerfile").read_text())
    _write(root, "docker/compose.yaml", "services: {}\n")
    bench = root / ".dockyard" / "bench"
    bench.mkdir(parents=True)
    shutil.copy(DATA / "bench" / "result-v1.json", bench / "latest.json")
    return root


def _settings(root: Path) -> config.Settings:
    return config.load(root, environ={})


def _guide(root: Path, **kwargs: object) -> str:
    return devguide.render(devguide.collect(_settings(root), tasks=TASKS, **kwargs))  # type: ignore[arg-type]


def test_the_guide_describes_the_project(project: Path) -> None:
    text = _guide(project)
    assert "# Developer guide: service" in text
    assert "[`requirements/base.txt`](../requirements/base.txt)" in text
    assert "`docker/compose.dev.yaml`, not there yet (`dockyard phase3` writes it)" in text
    assert "the stages `builder`, `test`, `runtime`" in text
    assert "uses 2 BuildKit cache mounts" in text
    # the lock table: pins counted, and the stages that read each lock
    assert "| base | [`requirements/base.in`](../requirements/base.in) |" in text
    assert "| 2 | `builder` |" in text and "| 1 | `test` |" in text
    assert "([`requirements.txt`](../requirements.txt))" in text
    # the benchmark, against its first variant, and the steps that ran on a rebuild
    assert "| scenario " in text and "naive" in text and "× faster" in text
    assert "![Build benchmark](build-benchmark.png)" in text
    assert "`[4/5] RUN pip install -r requirements.txt`" in text
    assert "| `dockyard docs` | Write the guide. |" in text
    assert "do not survive a fresh runner" in text
    assert "No pipeline yet: `dockyard ci`" in text
    assert "No scan report yet" in text


def test_every_link_names_a_file(project: Path) -> None:
    text = _guide(project)
    assert devguide.broken_links(text, project, also=[devguide.CHART]) == []
    assert devguide.broken_links(text, project) == ["build-benchmark.png"]
    assert devguide.broken_links("[x](../nope.txt) [y](https://example.org) [z](#top)", project) == [
        "../nope.txt"
    ]


def test_the_task_list_is_introspected_from_the_collection() -> None:
    tasks = {t.name: t for t in devguide.introspect_tasks()}
    assert {"docs", "ci", "trend", "bench.compare", "phase1.requirements", "dev.watch"} <= set(tasks)
    assert tasks["bench.run"].aliases == ("bench",)
    assert tasks["docs"].summary.startswith("Write docs/developer-guide.md")
    assert all(t.summary for t in tasks.values())


def test_ci_and_scan_sections_follow_the_files(project: Path) -> None:
    phase5.ci_step(_settings(project))
    scan = project / ".dockyard" / "scan"
    scan.mkdir(parents=True)
    findings = [
        {
            "severity": "low",
            "tool": "hadolint",
            "rule": "DL3008",
            "location": "docker/Dockerfile:3",
            "message": "pin",
        },
        {
            "severity": "HIGH",
            "tool": "pip-audit",
            "id": "GHSA-1",
            "where": "requirements/base.txt",
            "message": "a|b",
        },
        {"level": "error", "tool": "x", "message": "unknown severity"},
    ]
    (scan / "latest.json").write_text(json.dumps({"findings": findings}))
    text = _guide(project)
    assert f"[`{ci.GITHUB_FILE}`](../{ci.GITHUB_FILE})" in text
    assert "| `check` | pull request |" in text
    assert "3 findings (1 high, 1 low, 1 unknown), from hadolint (1), pip-audit (1), x (1)" in text
    rows = [line for line in text.splitlines() if line.startswith("| high") or line.startswith("| low")]
    assert rows[0].startswith("| high | pip-audit | GHSA-1 | requirements/base.txt | a\\|b |")


def test_no_benchmark_yet(project: Path) -> None:
    (project / ".dockyard" / "bench" / "latest.json").unlink()
    text = _guide(project)
    assert "No benchmark yet" in text and "build-benchmark.png" not in text


@pytest.fixture
def real_chart() -> None:
    """Requested by a test that draws the real chart (see quick_chart)."""


def test_docs_twice_writes_the_same_bytes(project: Path, real_chart: None) -> None:
    s = _settings(project)
    first = phase5.docs_step(s, tasks=TASKS)
    assert first.status is Status.DONE
    assert [f.path for f in first.files] == [devguide.GUIDE, devguide.CHART]
    guide, chart = project / devguide.GUIDE, project / devguide.CHART
    before = (guide.read_bytes(), chart.read_bytes(), guide.stat().st_mtime_ns, chart.stat().st_mtime_ns)
    second = phase5.docs_step(s, tasks=TASKS)
    assert second.status is Status.CURRENT
    after = (guide.read_bytes(), chart.read_bytes(), guide.stat().st_mtime_ns, chart.stat().st_mtime_ns)
    assert after == before
    assert writer.is_generated(guide)
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_check_fails_after_a_phase_changes_a_file(project: Path) -> None:
    s = _settings(project)
    assert phase5.docs_step(s, tasks=TASKS, check=True).status is Status.FAILED  # not written yet
    phase5.docs_step(s, tasks=TASKS)
    assert phase5.docs_step(s, tasks=TASKS, check=True).status is Status.CURRENT
    # a re-lock changes one pin: the guide is stale, and --check writes nothing
    lock = project / "requirements/base.txt"
    _write(project, "requirements/base.txt", "fastapi==0.115.2 \\\n    --hash=sha256:00\n")
    guide_bytes = (project / devguide.GUIDE).read_bytes()
    stale = phase5.docs_step(s, tasks=TASKS, check=True)
    assert stale.status is Status.FAILED and stale.failed
    assert devguide.GUIDE in stale.summary and "dockyard docs" in stale.summary
    assert (project / devguide.GUIDE).read_bytes() == guide_bytes and lock.is_file()
    phase5.docs_step(s, tasks=TASKS)
    assert phase5.docs_step(s, tasks=TASKS, check=True).status is Status.CURRENT
    # phase 2 writes a different Dockerfile with the same stages: stale too
    dockerfile = (project / "docker/Dockerfile").read_text()
    _write(
        project, "docker/Dockerfile", writer.strip_header(dockerfile, writer.Format.DOCKERFILE)[0] + "# x\n"
    )
    assert phase5.docs_step(s, tasks=TASKS, check=True).status is Status.FAILED


def test_check_fails_when_the_chart_is_missing(project: Path) -> None:
    s = _settings(project)
    phase5.docs_step(s, tasks=TASKS)
    (project / devguide.CHART).unlink()
    report = phase5.docs_step(s, tasks=TASKS, check=True)
    assert report.status is Status.FAILED and devguide.CHART in report.summary


def test_an_edited_guide_is_kept(project: Path) -> None:
    s = _settings(project)
    phase5.docs_step(s, tasks=TASKS)
    guide = project / devguide.GUIDE
    guide.write_text(guide.read_text() + "\nmy notes\n")
    assert phase5.docs_step(s, tasks=TASKS, check=True).status is Status.FAILED
    report = phase5.docs_step(s, tasks=TASKS)
    assert guide.read_text().endswith("my notes\n")
    assert (project / (devguide.GUIDE + ".new")).is_file()
    assert report.files[0].action == "write_new_beside"
    assert "`docs/developer-guide.md.new`" in (project / (devguide.GUIDE + ".new")).read_text()


def test_dry_run_writes_nothing(project: Path) -> None:
    report = phase5.docs_step(_settings(project), tasks=TASKS, dry=True)
    assert report.status is Status.PLANNED
    assert not (project / devguide.GUIDE).exists() and not (project / devguide.CHART).exists()
    assert report.files[0].diff.startswith("--- /dev/null")


def test_without_matplotlib_the_guide_keeps_its_tables(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trend, "charts_available", lambda: False)
    report = phase5.docs_step(_settings(project), tasks=TASKS)
    assert report.status is Status.DONE
    assert [f.path for f in report.files] == [devguide.GUIDE]
    assert any(f.level is Level.INFO and "dockyard[charts]" in f.message for f in report.findings)
    text = (project / devguide.GUIDE).read_text()
    assert "| scenario " in text and "build-benchmark.png" not in text


def test_a_broken_link_fails_the_step(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devguide, "render", lambda g: "see [gone](../gone.txt)\n")
    report = phase5.docs_step(_settings(project), tasks=TASKS)
    assert report.status is Status.FAILED
    assert report.findings[-1].message == "link to a missing file: ../gone.txt"
    assert not (project / devguide.GUIDE).exists()


def test_phase5_runs_its_steps_in_order(project: Path) -> None:
    assert [name for name, _ in phase5.STEPS] == ["bench", "scan", "ci", "trend", "docs"]
    documenting = [s for s in phase5.STEPS if s[0] in ("ci", "trend", "docs")]  # bench and scan need docker
    report = phase5.run(_settings(project), steps=documenting)
    assert [step.name for step in report.steps] == ["ci", "trend", "docs"]
    assert report.status is Status.DONE
    text = (project / devguide.GUIDE).read_text()
    assert "| `check` | pull request |" in text  # the guide saw the pipeline written before it
    again = phase5.run(_settings(project), steps=documenting)
    assert {step.status for step in again.steps} == {Status.CURRENT, Status.SKIPPED}


def test_before_a_full_benchmark_the_baseline_is_shown(project: Path) -> None:
    bench = project / ".dockyard" / "bench" / "latest.json"
    doc = json.loads(bench.read_text())
    doc["variants"] = doc["variants"][:1]
    baseline = project / ".dockyard" / "baseline" / "result.json"
    baseline.parent.mkdir(parents=True)
    baseline.write_text(json.dumps(doc))
    bench.unlink()
    text = _guide(project)
    assert "From [`.dockyard/baseline/result.json`](../.dockyard/baseline/result.json)" in text
    assert "Only one variant was measured" in text
