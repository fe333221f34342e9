"""The CI pipelines: commands as data, and both renderings of one model."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dockyard import ci, config
from dockyard.phases import phase5
from dockyard.phases.report import Status
from dockyard.render import writer


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    project = tmp_path / "My Service"
    project.mkdir()
    return config.load(project, {"registry": "registry.example:5000"}, environ={})


def _yaml(text: str) -> dict:
    return YAML(typ="safe").load(io.StringIO(text))


def test_shell_line_keeps_variables_expandable_and_quotes_the_rest() -> None:
    line = ci.shell_line(["docker", "--tag", "${REGISTRY}/app:x", "it's", "a b", "plain=1,2"])
    assert line == """docker --tag "${REGISTRY}/app:x" 'it'"'"'s' 'a b' plain=1,2"""


def test_build_reads_and_writes_the_registry_cache_in_max_mode() -> None:
    argv = ci.build_argv("app", "runtime", export_cache=True)
    assert argv[:3] == ("docker", "buildx", "build")
    assert argv[argv.index("--target") + 1] == "runtime"
    assert argv[argv.index("--cache-from") + 1] == "type=registry,ref=${REGISTRY}/app:buildcache-runtime"
    assert (
        argv[argv.index("--cache-to") + 1] == "type=registry,ref=${REGISTRY}/app:buildcache-runtime,mode=max"
    )
    assert "--no-cache" not in argv


def test_the_fresh_rebuild_uses_no_cache_but_refreshes_it() -> None:
    argv = ci.build_argv("app", "test", export_cache=True, use_cache=False)
    assert "--no-cache" in argv and "--pull" in argv and "--cache-from" not in argv
    assert "--cache-to" in argv


def test_pipeline_jobs(settings: config.Settings) -> None:
    p = ci.pipeline(settings)
    assert p.image == "my-service"
    assert p.registry == "registry.example:5000"
    jobs = {job.event: job for job in p.jobs}
    assert set(jobs) == set(ci.EVENTS)
    scripts = {
        event: "\n".join(line for s in job.steps for line in s.script()) for event, job in jobs.items()
    }
    for event, script in scripts.items():
        for target in ci.TARGETS:
            assert f"--target {target}" in script, event
        assert "dockyard scan" in script and f"--sarif {ci.SARIF}" in script
    assert (
        "dockyard bench.compare --baseline bench-base.json --result bench-head.json"
        in scripts["pull_request"]
    )
    assert "dockyard docs --check" in scripts["pull_request"]
    assert "--cache-to" not in scripts["pull_request"]  # a pull request only reads the cache
    assert "docker push" in scripts["default_branch"] and "docker push" not in scripts["pull_request"]
    assert "--no-cache" in scripts["schedule"] and "--no-cache" not in scripts["default_branch"]


def test_github_workflow_structure(settings: config.Settings) -> None:
    text = ci.render_github(ci.pipeline(settings))
    doc = _yaml(text)
    assert set(doc["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert doc["on"]["schedule"] == [{"cron": ci.SCHEDULE_CRON}]
    assert doc["permissions"]["security-events"] == "write"
    assert "registry.example:5000" in doc["env"]["REGISTRY"]
    for name, job in doc["jobs"].items():
        uses = [step.get("uses", "") for step in job["steps"]]
        assert any(u.startswith("docker/setup-buildx-action@") for u in uses), name
        assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses), name
        runs = "\n".join(step.get("run", "") for step in job["steps"])
        assert "dockyard scan" in runs
    assert doc["jobs"]["check"]["if"] == "github.event_name == 'pull_request'"
    assert doc["jobs"]["rebuild"]["if"] == "github.event_name == 'schedule'"
    assert "do not survive a fresh runner" in text


def test_gitlab_runs_the_same_commands(settings: config.Settings) -> None:
    p = ci.pipeline(settings)
    doc = _yaml(ci.render_gitlab(p))
    assert doc["variables"]["REGISTRY"] == "registry.example:5000"
    for job in p.jobs:
        expected = [line for step in job.steps for line in step.script()]
        assert doc[job.name]["script"] == expected
    assert doc["rebuild"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert "do not survive a fresh runner" in ci.render_gitlab(p)


def test_ci_step_writes_through_the_safe_writer_and_is_idempotent(settings: config.Settings) -> None:
    dry = phase5.ci_step(settings, dry=True)
    assert dry.status is Status.PLANNED
    assert [f.path for f in dry.files] == [ci.GITHUB_FILE, ci.GITLAB_FILE]
    assert not (settings.project / ci.GITHUB_FILE).exists()
    first = phase5.ci_step(settings)
    assert first.status is Status.DONE
    for name in (ci.GITHUB_FILE, ci.GITLAB_FILE):
        assert writer.is_generated(settings.project / name)
    again = phase5.ci_step(settings)
    assert again.status is Status.CURRENT


def test_an_edited_workflow_is_kept_and_the_new_one_lands_beside_it(settings: config.Settings) -> None:
    phase5.ci_step(settings)
    workflow = settings.project / ci.GITHUB_FILE
    workflow.write_text(workflow.read_text() + "# mine\n")
    report = phase5.ci_step(settings)
    assert workflow.read_text().endswith("# mine\n")
    assert (settings.project / (ci.GITHUB_FILE + ".new")).is_file()
    assert report.files[0].action == "write_new_beside"


def test_ci_is_a_task() -> None:
    from dockyard.tasks import namespace

    assert "ci" in namespace.task_names
