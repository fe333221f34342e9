"""The checks of ``dockyard verify``, on image configurations and real in-image listings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import cast

import pytest

from dockyard import verify
from dockyard.engine.image_config import ExposedPort, ImageConfig, parse
from dockyard.phases.verify import FIND_PYTHON, Images, in_python_argv, report
from dockyard.smoke import Probe, SmokeResult

BASE_ENV = {"LANG": "C.UTF-8", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def image(**kw: object) -> ImageConfig:
    env = cast("Mapping[str, str]", kw.pop("env", BASE_ENV))
    return ImageConfig(id="sha256:x", env=MappingProxyType(dict(env)), **kw)  # type: ignore[arg-type]


ORIGINAL = image(
    cmd=("uvicorn", "svc.app:app"),
    env={**BASE_ENV, "LOG_LEVEL": "info"},
    workdir="/app",
    ports=(ExposedPort(number=8000),),
)
GENERATED = image(
    cmd=("uvicorn", "svc.app:app"),
    env={
        **BASE_ENV,
        "LOG_LEVEL": "info",
        "VIRTUAL_ENV": "/opt/venv",
        "PATH": "/opt/venv/bin:" + BASE_ENV["PATH"],
    },
    workdir="/app",
    ports=(ExposedPort(number=8000),),
    user="10001:10001",
)


def test_same_contract_passes_and_lists_expected_differences() -> None:
    rows = verify.contract_checks(ORIGINAL, GENERATED)
    assert [r.name for r in rows] == [
        "entrypoint and command",
        "environment",
        "working directory",
        "ports",
        "volumes",
        "user",
    ]
    assert all(r.ok for r in rows), [r.differences for r in rows]
    env = rows[1]
    assert "PATH adds /opt/venv/bin (the virtual environment)" in env.notes
    assert "adds VIRTUAL_ENV=/opt/venv (expected)" in env.notes
    assert rows[5].notes == ("the original runs as root; the generated image as 10001:10001",)


def test_a_dropped_env_variable_fails_and_is_named() -> None:
    dropped = image(env={**BASE_ENV, "PATH": "/opt/venv/bin:" + BASE_ENV["PATH"]}, user="app")
    check = verify.env_check(ORIGINAL.env, dropped.env)
    assert not check.ok and check.differences == ("LOG_LEVEL=info is missing",)
    changed = verify.env_check(ORIGINAL.env, {**GENERATED.env, "LOG_LEVEL": "debug"})
    assert changed.differences == ("LOG_LEVEL=debug, the original info",)


def test_path_must_keep_every_original_entry() -> None:
    check = verify.env_check({"PATH": "/custom/bin:/usr/bin"}, {"PATH": "/opt/venv/bin:/usr/bin"})
    assert check.differences == ("PATH lacks /custom/bin",)


def test_base_image_variables_are_notes() -> None:
    check = verify.env_check({"PYTHON_VERSION": "3.12.1"}, {"PYTHON_VERSION": "3.12.7"})
    assert check.ok and check.notes == ("PYTHON_VERSION=3.12.7, the original 3.12.1",)


def test_command_workdir_ports_volumes_user_differences() -> None:
    other = image(cmd=("python", "-m", "svc"), workdir="/srv", volumes=("/data",))
    rows = {r.name: r for r in verify.contract_checks(ORIGINAL, other)}
    assert rows["entrypoint and command"].differences == (
        "runs 'python -m svc', the original 'uvicorn svc.app:app'",
    )
    assert rows["working directory"].differences == ("/srv instead of /app",)
    assert rows["ports"].differences == ("8000/tcp not exposed",)
    assert rows["volumes"].differences == ("VOLUME /data added",)
    assert rows["user"].differences == ("the generated image runs as root",)
    configured = verify.command_check(ORIGINAL, other, command_set=True)
    assert configured.ok and configured.notes


def test_entrypoint_and_cmd_split_differently_is_the_same_command() -> None:
    split = image(entrypoint=("uvicorn",), cmd=("svc.app:app",))
    check = verify.command_check(ORIGINAL, split)
    assert check.ok and check.notes


def test_installed_from_a_real_listing_leaves_debian_packages_out(data_dir: Path) -> None:
    text = (data_dir / "verify" / "distributions-python-base.json").read_text()
    installed = verify.parse_installed(text)
    assert installed.python == "3.11.2" and installed.executable == "/usr/bin/python3"
    assert installed.versions == {}


def installed(**versions: str) -> verify.Installed:
    return verify.Installed(python="3.11.2", executable="/opt/venv/bin/python", versions=versions)


def test_distributions_at_the_lock_and_no_dev_packages() -> None:
    runtime = {"fastapi": "0.115.0", "numpy": "2.1.0"}
    dev = {"pytest": "8.3.0", "numpy": "2.1.0"}
    original = installed(fastapi="0.110.0", numpy="2.1.0", pytest="8.3.0", pip="24.0", requests="2.32.0")
    good = verify.distributions_check(
        original,
        installed(fastapi="0.115.0", numpy="2.1.0", requests="2.32.0"),
        runtime_locks=runtime,
        dev_locks=dev,
    )
    assert good.ok, good.differences
    assert good.notes == ("fastapi: the original has 0.110.0, the lock 0.115.0",)
    assert good.generated.endswith("2/2 at the lock")
    bad = verify.distributions_check(
        original, installed(fastapi="0.114.0", pytest="8.3.0"), runtime_locks=runtime, dev_locks=dev
    )
    assert bad.differences == (
        "fastapi is 0.114.0, locked 0.115.0",
        "numpy==2.1.0 (locked) is not installed",
        "pytest (a dev or test dependency) is installed",
        "numpy==2.1.0 is in the original, not in the generated image",
        "requests==2.32.0 is in the original, not in the generated image",
    )


def test_a_locked_distribution_the_venv_leaves_to_the_base_counts_at_its_version() -> None:
    shared = verify.Installed(
        python="3.11.2",
        executable="/opt/venv/bin/python",
        versions={"flask": "3.0.0"},
        system={"setuptools": "66.1.1", "pip": "23.0.1"},
    )
    runtime = {"flask": "3.0.0", "setuptools": "66.1.1", "pip": "24.0"}
    check = verify.distributions_check(None, shared, runtime_locks=runtime, dev_locks={})
    assert check.differences == ("pip==24.0 (locked) is not installed",)  # the base's pip is another
    assert check.notes == ("setuptools==66.1.1: the base image's own copy, which the venv sees",)
    assert check.generated.endswith("2/3 at the lock")


def test_the_project_itself_and_direct_references() -> None:
    original = installed(svc="0.1.0", requests="2.32.0")
    check = verify.distributions_check(
        original,
        installed(requests="2.32.0", mylib="1.0"),
        runtime_locks={"requests": "2.32.0", "mylib": "@https://example.com/mylib-1.0.tar.gz"},
        dev_locks={},
        project="SVC",
    )
    assert check.ok, check.differences
    assert check.notes == ("the project itself (svc) is not installed: it runs from its source",)
    assert check.generated.endswith("2/2 at the lock")


def test_project_name(tmp_path: Path) -> None:
    assert verify.project_name(tmp_path) == ""
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "poetic"\n')
    assert verify.project_name(tmp_path) == "poetic"


def test_project_modules(tmp_path: Path) -> None:
    for name, text in {
        "svc/__init__.py": "",
        "src/lib/__init__.py": "",
        "tests/__init__.py": "",
        "tool.py": "def main():\n    pass\n",
        "script.py": "print('runs at import')\n",
        "setup.py": "",
        "docs/x.py": "",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert verify.project_modules(tmp_path) == ("svc", "tool", "lib")


def test_imports_check() -> None:
    good = verify.imports_check(("a", "b"), {"a": "", "b": "ImportError: x"}, {"a": "", "b": ""})
    assert good.ok and good.generated == "2/2 import" and good.original == "1/2 import"
    bad = verify.imports_check(("a",), None, {"a": "ModuleNotFoundError: No module named 'yaml'"})
    assert not bad.ok and bad.differences == ("a: ModuleNotFoundError: No module named 'yaml'",)
    regressed = verify.imports_check(("a",), {"a": ""}, {"a": "ImportError: x"})
    assert not regressed.ok
    both = verify.imports_check(("a",), {"a": "KeyError: 'DATABASE_URL'"}, {"a": "KeyError: 'DATABASE_URL'"})
    assert both.ok and both.notes == ("a fails in the original too: KeyError: 'DATABASE_URL'",)


def failed_service(
    image: str, probe: Probe, output: str, *, detail: str, target: str = "port 8000"
) -> SmokeResult:
    return SmokeResult(
        image=image,
        probe=probe,
        ok=False,
        protocol="",
        target=target,
        seconds=1.0,
        output=output,
        detail=detail,
    )


def command_result(exit_code: int, output: str) -> SmokeResult:
    probe = Probe(kind="command", reason="", argv=("tool", "--help"))
    return SmokeResult(
        image="i",
        probe=probe,
        ok=exit_code == 0,
        protocol="command",
        target="tool --help",
        seconds=0.1,
        exit_code=exit_code,
        output=output,
    )


def test_command_smoke_compares_exit_code_and_output() -> None:
    same = verify.smoke_check(command_result(0, "usage: tool\n"), command_result(0, "usage: tool  \n"))
    assert same.ok
    differs = verify.smoke_check(command_result(0, "usage: tool\n"), command_result(1, "usage: other\n"))
    assert differs.differences == (
        "exit code 1, the original 0",
        "output differs: line 1: 'usage: other', the original 'usage: tool'",
    )


def test_a_service_that_does_not_answer_shows_its_log_and_a_permission_hint() -> None:
    probe = Probe(kind="network", reason="", port=5000)
    answered = SmokeResult(
        image="o", probe=probe, ok=True, protocol="http", target="http://x/", seconds=1.0, status=302
    )
    log = (
        "Traceback (most recent call last):\n\n  File x\n  ~~~^^^^\n"
        "sqlite3.OperationalError: unable to open database file\n"
    )
    silent = failed_service("g", probe, log, detail="nothing answered in 120s", target="http://x/")
    check = verify.smoke_check(answered, silent)
    assert not check.ok
    assert check.differences[1:] == (
        "log: Traceback (most recent call last):",
        "log: File x",
        "log: sqlite3.OperationalError: unable to open database file",
    )
    assert any("`writable_dirs`" in note for note in check.notes)
    quiet = verify.smoke_check(answered, dataclasses.replace(silent, output="Listening\n"))
    assert quiet.differences[1:] == ("log: Listening",) and not quiet.notes


def test_the_same_traceback_from_another_package_directory_is_the_same_output() -> None:
    original = (
        '  File "/usr/local/lib/python3.11/dist-packages/django/core/management/__init__.py", line 442\n'
    )
    generated = (
        '  File "/opt/venv/lib/python3.11/site-packages/django/core/management/__init__.py", line 442\n'
    )
    assert verify.first_difference(original, generated) == ""
    other = '  File "/opt/venv/lib/python3.11/site-packages/django/core/handlers.py", line 442\n'
    assert verify.first_difference(original, other).startswith("line 1:")


def test_report_table_and_failure() -> None:
    rows = [
        verify.Check(name="a", original="x", generated="y", ok=True),
        verify.Check(name="b", original="x", generated="z", ok=False, differences=("z is not x",)),
    ]
    result = report(rows, Images(original="o:1", generated="g:1"))
    assert result.failed and result.summary == "1 of 2 checks failed: b"
    assert result.tables[0].rows == (("a", "x", "y", "pass"), ("b", "x", "z", "FAIL"))
    assert [f.message for f in result.findings] == ["b: z is not x"]
    assert result.as_json()["data"]["checks"][1]["differences"] == ["z is not x"]


def test_in_python_argv_uses_the_images_own_python() -> None:
    argv = in_python_argv("docker", "img", name="n", code="print(1)", args=("a",))
    assert argv[:8] == ["docker", "run", "--name", "n", "--network", "none", "--entrypoint", "sh"]
    assert argv[8:] == ["img", "-c", FIND_PYTHON, "print(1)", "a"]


def test_parse_inspect_and_compare_with_itself(data_dir: Path) -> None:
    service = parse((data_dir / "engine" / "inspect-service.json").read_text())
    assert all(r.ok for r in verify.contract_checks(service, service))


def _pins(data_dir: Path, *names: str) -> dict[str, str]:
    from dockyard.requirements.lock import pins

    found: dict[str, str] = {}
    for name in names:
        found.update(pins((data_dir / "verify" / f"{name}-pins.txt").read_text()))
    return found


def test_real_listings_of_the_example_against_its_locks(data_dir: Path) -> None:
    """Captured from the bundled example's naive image and its phase-2 image, with its locks."""
    original = verify.parse_installed((data_dir / "verify" / "distributions-original.json").read_text())
    generated = verify.parse_installed((data_dir / "verify" / "distributions-generated.json").read_text())
    assert generated.executable == "/opt/venv/bin/python" and original.executable == "/usr/bin/python3"
    runtime, dev = _pins(data_dir, "base", "ml"), _pins(data_dir, "test", "dev")
    check = verify.distributions_check(original, generated, runtime_locks=runtime, dev_locks=dev)
    assert check.ok, check.differences
    assert "pytest" in original.versions and "pytest" not in generated.versions
    assert check.generated.endswith(f"{len(runtime)}/{len(runtime)} at the lock")
    # the same image with scikit-learn gone and pytest added fails, naming both
    planted = verify.Installed(
        python=generated.python,
        executable=generated.executable,
        versions={
            **{k: v for k, v in generated.versions.items() if k != "scikit-learn"},
            "pytest": dev["pytest"],
        },
    )
    bad = verify.distributions_check(original, planted, runtime_locks=runtime, dev_locks=dev)
    assert f"scikit-learn=={runtime['scikit-learn']} (locked) is not installed" in bad.differences
    assert "pytest (a dev or test dependency) is installed" in bad.differences


def test_compare_runs_every_check_through_the_process_seam(fake_process, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole comparison of two command-line images, with docker's answers scripted."""
    import json as jsonlib

    from dockyard import config, process
    from dockyard.phases.verify import compare

    (tmp_path / "greet").mkdir()
    (tmp_path / "greet" / "__init__.py").write_text("")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("click==8.1.7\n")
    (tmp_path / "requirements" / "test.txt").write_text("pytest==8.3.0\n")

    def inspect(user: str) -> str:
        config_ = {"Entrypoint": ["python3", "-m", "greet"], "Env": ["PATH=/usr/bin"], "WorkingDir": "/app"}
        return jsonlib.dumps({"Id": "sha256:" + user, "Config": {**config_, "User": user}})

    def run(argv: tuple[str, ...]) -> process.Result:
        image = "gen" if "gen" in argv else "orig"
        if verify.LIST_DISTRIBUTIONS in argv:
            extra = [["pytest", "8.3.0", "/x"]] if image == "orig" else []
            listing = {
                "python": "3.11.2",
                "executable": "/usr/bin/python3",
                "distributions": [["click", "8.1.7", "/x"], *extra],
            }
            return process.Result(argv, 0, jsonlib.dumps(listing) + "\n", "")
        if verify.IMPORT_MODULES in argv:
            return process.Result(argv, 0, '{"greet": ""}\n', "")
        return process.Result(argv, 0, "usage: greet [-h]\n", "")

    fake_process.on(["docker", "image", "inspect", "--format", "{{json .}}", "orig"], stdout=inspect(""))
    fake_process.on(["docker", "image", "inspect", "--format", "{{json .}}", "gen"], stdout=inspect("10001"))
    fake_process.answers.insert(0, (("docker", "run"), run))
    fake_process.on(["docker", "rm"])
    result = compare(config.load(tmp_path, environ={}), "docker", Images(original="orig", generated="gen"))
    assert not result.failed, [f.render() for f in result.findings]
    assert [row[0] for row in result.tables[0].rows][-3:] == [
        "python distributions",
        "smoke test",
        "project modules import",
    ]
    smoke_runs = [c for c in fake_process.calls if c[:2] == ("docker", "run") and "--help" in c]
    assert [c[8:] for c in smoke_runs] == [
        ("gen", "-m", "greet", "--help"),
        ("orig", "-m", "greet", "--help"),
    ]
    removed = [c for c in fake_process.calls if c[:2] == ("docker", "rm")]
    started = [c for c in fake_process.calls if c[:2] == ("docker", "run")]
    assert len(removed) == len(started) == 6


def test_without_a_generated_dockerfile_verify_says_what_to_run(tmp_path: Path) -> None:
    import pytest

    from dockyard import config
    from dockyard.errors import InputError
    from dockyard.phases.verify import build_images

    with pytest.raises(InputError, match="no docker/Dockerfile to verify") as raised:
        build_images(config.load(tmp_path, environ={}), engine=None, with_original=False)  # type: ignore[arg-type]
    assert "dockyard phase2" in (raised.value.hint or "")


def test_without_a_shell_python_runs_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockyard import process
    from dockyard.phases import verify as phase

    no_sh = 'exec: "sh": executable file not found in $PATH: unknown'
    calls: list[list[str]] = []

    def fake(argv: list[str], **kw: object) -> process.Result:
        calls.append(list(argv))
        if argv[1] == "rm":
            return process.Result(tuple(argv), 0, "", "")
        if argv[argv.index("--entrypoint") + 1] == "sh":
            return process.Result(tuple(argv), 127, "", no_sh)
        return process.Result(tuple(argv), 0, "ok\n", "")

    monkeypatch.setattr(process, "run", fake)
    result = phase.run_python("docker", "img", "print(1)", ("a",))
    assert result.stdout == "ok\n"
    direct = [c for c in calls if c[1] == "run"][-1]
    assert direct[direct.index("--entrypoint") + 1 :] == ["python", "img", "-c", "print(1)", "a"]


def test_the_installer_tool_and_what_only_it_needs_are_dropped_not_missing(data_dir: Path) -> None:
    """Captured from poetry-web's naive image (`pip install poetry && poetry install` in one
    environment): poetry's own tree (zipp, keyring, dulwich...) is not the application's."""
    original = verify.parse_installed((data_dir / "verify" / "distributions-poetry-install.json").read_text())
    assert "zipp" in original.versions and "poetry" in original.versions

    def closure(*roots: str) -> dict[str, str]:  # from the same listing's Requires-Dist
        found: dict[str, str] = {}
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in original.versions and name not in found:
                found[name] = original.versions[name]
                todo += original.requires.get(name, ())
        return found

    runtime = closure("fastapi", "uvicorn")
    dev = closure("pytest", "httpx")
    installer = verify.installer_tree(original, runtime)
    assert {"poetry", "zipp", "keyring", "dulwich", "virtualenv"} <= installer
    assert not installer & set(runtime), "a distribution the application needs is never dropped"
    generated = verify.Installed(python=original.python, executable="/opt/venv/bin/python", versions=runtime)
    check = verify.distributions_check(
        original, generated, runtime_locks=runtime, dev_locks=dev, project="quotes"
    )
    assert check.ok, check.differences
    dropped = [n for n in check.notes if n.startswith("dropped: installer tool (poetry, virtualenv and ")]
    assert len(dropped) == 1 and "zipp" in dropped[0]
    assert "pytest" not in dropped[0], "a dev dependency is a dev dependency, not the installer's"
    # without the installer in the original, the same distributions missing are differences
    plain = dataclasses.replace(
        original, versions={k: v for k, v in original.versions.items() if k not in verify.INSTALLER_TOOLS}
    )
    bad = verify.distributions_check(plain, generated, runtime_locks=runtime, dev_locks=dev, project="quotes")
    assert "zipp==4.1.2 is in the original, not in the generated image" in bad.differences


def test_the_original_started_through_poetry_run_is_the_same_command() -> None:
    original = image(cmd=("poetry", "run", "uvicorn", "svc.app:app"))
    generated = image(cmd=("uvicorn", "svc.app:app"))
    check = verify.command_check(original, generated)
    assert check.ok and check.notes[0].startswith("the same command without `poetry run`")
    other = verify.command_check(original, image(cmd=("gunicorn", "svc.app:app")))
    assert not other.ok


def test_an_original_whose_dockerfile_names_no_command_is_run_with_the_generated_one(tmp_path: Path) -> None:
    """A Dockerfile without CMD (compose gives the command): the base's ``python3`` is no difference."""
    original = image(cmd=("python3",))
    generated = image(cmd=("python", "manage.py", "runserver", "0.0.0.0:8000"))
    check = verify.command_check(original, generated, unnamed=True)
    assert check.ok and "names no command" in check.notes[0] and "manage.py runserver" in check.notes[0]
    assert not verify.command_check(original, generated).ok

    from dockyard.config import Settings
    from dockyard.phases.verify import names_no_command

    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    assert names_no_command(Settings(project=tmp_path))
    (tmp_path / "Dockerfile").write_text('FROM python:3.11-slim\nCMD ["python", "-m", "svc"]\n')
    assert not names_no_command(Settings(project=tmp_path))


def test_a_service_failing_alike_in_both_images_says_so_and_what_to_set(tmp_path: Path) -> None:
    """djangogramm: settings.py reads USE_WEB_STORAGE from a .env the repository does not ship."""
    probe = Probe(kind="network", reason="", port=8000)
    log = (
        '  File "/app/site/settings.py", line 152\n'
        + "TypeError: int() argument must be a string, not 'NoneType'\n"
    )

    def exited(image: str) -> SmokeResult:
        return failed_service(image, probe, log, detail="it exited")

    check = verify.smoke_check(exited("o"), exited("g"))
    assert not check.ok
    assert any(n.startswith("both fail the same way (TypeError: int()") for n in check.notes)
    other = dataclasses.replace(exited("g"), output="ModuleNotFoundError: No module named 'environ'\n")
    assert not any(n.startswith("both fail") for n in verify.smoke_check(exited("o"), other).notes)

    from dockyard.smoke_env import what_it_may_need

    assert what_it_may_need(tmp_path) == []
    (tmp_path / ".env.sample").write_text("DEBUG=\nSECRET_KEY=\nUSE_WEB_STORAGE=\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    build: .\n    depends_on:\n      - db\n  db:\n    image: postgres:15\n"
    )
    hints = what_it_may_need(tmp_path)
    assert hints[0] == (
        ".env.sample names DEBUG, SECRET_KEY, USE_WEB_STORAGE: set what the service needs in "
        "[tool.dockyard.smoke_env]"
    )
    assert "service web depends on db, which verify could not start" in hints[1]
    assert hints[-1] == "or skip the smoke test: `dockyard phase2 --no-smoke`"
