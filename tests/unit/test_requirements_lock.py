"""Locking with uv, faked: the one resolution, what uv sees, the split into layers, failures explained."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dockyard import process
from dockyard.errors import CommandFailed, ConfigError, InputError
from dockyard.requirements import conflicting_pins, lock_command, pins
from dockyard.requirements import lock_sets as lock
from dockyard.requirements.lock import all_hashed, set_aside_unhashed

INPUTS = {
    "base.in": "fastapi\n",
    "ml.in": "-c base.txt\nnumpy\n",
    "test.in": "-c base.txt\n-c ml.txt\npytest\n",
    "dev.in": "-c base.txt\n-c ml.txt\n-c test.txt\n--extra-index-url https://dev.example/simple\nruff\n",
}


def test_lock_command() -> None:
    assert lock_command("requirements/ml.in", "requirements/ml.txt", python_version="3.11") == [
        "uv",
        "pip",
        "compile",
        "--generate-hashes",
        "--python-version",
        "3.11",
        "--python-platform",
        "linux",
        "--no-header",
        "requirements/ml.in",
        "-o",
        "requirements/ml.txt",
    ]
    assert lock_command(
        "a.in", "a.txt", python_version="3.12", python_platform=None, emit_index=True, uv="/opt/uv"
    ) == [
        "/opt/uv",
        "pip",
        "compile",
        "--generate-hashes",
        "--python-version",
        "3.12",
        "--no-header",
        "--emit-index-url",
        "--emit-find-links",
        "a.in",
        "-o",
        "a.txt",
    ]


COMPILED = """\
fastapi==0.1 \\
    --hash=sha256:f
    # via -r {stage}/base.in
numpy==1.26.4 \\
    --hash=sha256:n
    # via
    #   -r {stage}/ml.in
    #   pandas
    #   somelib
pandas==2.0 \\
    --hash=sha256:p
    # via -r {stage}/ml.in
pytest==8.0 \\
    --hash=sha256:t
    # via -r {stage}/test.in
ruff==0.5 \\
    --hash=sha256:r
    # via -r {stage}/dev.in
somelib==1.0 \\
    --hash=sha256:s
    # via fastapi
typing-extensions==4.0 \\
    --hash=sha256:x
    # via
    #   fastapi
    #   pytest
"""


class FakeUv:
    """Answers like ``uv pip compile`` of every set at once, annotated with the staged input paths."""

    def __init__(self, root: Path, extra: str = "") -> None:
        self.root = root
        self.extra = extra
        self.calls: list[tuple[str, ...]] = []
        self.seen: dict[str, str] = {}  # the stage files uv could read

    def __call__(self, argv: Sequence[str], *, cwd: Path | None = None, **_: Any) -> process.Result:
        assert cwd == self.root
        self.calls.append(tuple(argv))
        stage = Path(argv[-1]).parent
        self.seen = {p.name: p.read_text() for p in sorted((self.root / stage).iterdir())}
        stdout = COMPILED.format(stage=stage) + self.extra.format(stage=stage)
        return process.Result(tuple(argv), 0, stdout, "Resolved 7 packages\n")


@pytest.fixture
def fake_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeUv:
    fake = FakeUv(tmp_path.resolve())
    monkeypatch.setattr(process, "run", fake)
    monkeypatch.setattr(process, "tool_path", lambda program: None)
    return fake


def test_one_resolution_split_into_layers(tmp_path: Path, fake_uv: FakeUv) -> None:
    locked = lock(tmp_path, python_version="3.11", inputs=INPUTS)
    (call,) = fake_uv.calls
    assert call[:4] == ("uv", "pip", "compile", "--generate-hashes")
    assert [Path(a).name for a in call[-7:-2]] == ["resolution.in", "base.in", "ml.in", "test.in", "dev.in"]
    # the old layered -c lines and the option lines are gone from the staged sets; options come once
    assert fake_uv.seen["ml.in"] == "numpy\n"
    assert fake_uv.seen["dev.in"] == "ruff\n"
    assert "--extra-index-url https://dev.example/simple" in fake_uv.seen["resolution.in"]
    layers = {name: pins(text) for name, text in locked.files.items()}
    assert layers == {
        "base.txt": {"fastapi": "0.1", "numpy": "1.26.4", "somelib": "1.0", "typing-extensions": "4.0"},
        "ml.txt": {"pandas": "2.0"},
        "test.txt": {"pytest": "8.0"},
        "dev.txt": {"ruff": "0.5"},
    }
    # numpy is needed by ml directly, but base's somelib needs it too: it goes to base
    assert "# via -r requirements/ml.in" in locked.files["ml.txt"]
    assert all(
        text.startswith("--extra-index-url https://dev.example/simple\n") for text in locked.files.values()
    )
    assert list(tmp_path.iterdir()) == []  # the staging directory is gone and nothing was written


def test_a_cross_layer_dependency_goes_to_the_earliest_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = "imageio==2.0 \\\n    --hash=sha256:i\n    # via -r {stage}/base.in\n"
    fake = FakeUv(tmp_path.resolve(), extra.replace("imageio", "imageio"))
    monkeypatch.setattr(process, "run", fake)
    monkeypatch.setattr(process, "tool_path", lambda program: None)
    locked = lock(tmp_path, python_version="3.11", inputs=INPUTS, direct={"somelib": "base"})
    assert "imageio" in pins(locked.files["base.txt"])
    assert "numpy" in pins(locked.files["base.txt"]), "somelib (base) depends on numpy"


def test_existing_locks_seed_the_resolution(tmp_path: Path, fake_uv: FakeUv) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "base.txt").write_text("fastapi==0.1 \\\n    --hash=sha256:x\n")
    (tmp_path / "deps" / "ml.txt").write_text("numpy==1.26.4 \\\n    --hash=sha256:y\n")
    for name, text in INPUTS.items():
        (tmp_path / "deps" / name).write_text(text)
    locked = lock(tmp_path, python_version="3.11", req_dir="deps")
    assert fake_uv.seen["resolution.txt"] == (
        "fastapi==0.1 \\\n    --hash=sha256:x\nnumpy==1.26.4 \\\n    --hash=sha256:y\n"
    )
    assert "# via -r deps/base.in" in locked.files["base.txt"]
    assert sorted(p.name for p in (tmp_path / "deps").iterdir()) == [
        "base.in",
        "base.txt",
        "dev.in",
        "ml.in",
        "ml.txt",
        "test.in",
    ]


def test_what_the_base_image_has_is_preferred_where_no_lock_says(tmp_path: Path, fake_uv: FakeUv) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "base.txt").write_text("fastapi==0.1 \\\n    --hash=sha256:x\n")
    for name, text in INPUTS.items():
        (tmp_path / "deps" / name).write_text(text)
    preferred = {"fastapi": "0.2", "typing-extensions": "4.0", "setuptools": "66.1.1"}
    locked = lock(tmp_path, python_version="3.11", req_dir="deps", preferred=preferred)
    # a previous lock wins; the base image's versions seed the rest, as uv's output file
    assert fake_uv.seen["resolution.txt"] == (
        "fastapi==0.1 \\\n    --hash=sha256:x\ntyping-extensions==4.0\nsetuptools==66.1.1\n"
    )
    kept = [f.package for f in locked.findings if f.code == "kept-preinstalled"]
    assert kept == ["typing-extensions"]  # resolved at the preferred version; setuptools was not needed


def test_unhashable_lines_are_set_aside_as_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = (
        "-e ./libs/foo\n    # via -r {stage}/base.in\nfoo-dep==2.0 \\\n    --hash=sha256:d\n    # via foo\n"
    )
    fake = FakeUv(tmp_path.resolve(), extra)
    monkeypatch.setattr(process, "run", fake)
    monkeypatch.setattr(process, "tool_path", lambda program: None)
    locked = lock(tmp_path, python_version="3.11", inputs=INPUTS, direct={"foo": "base"})
    assert locked.unhashed["base"] == ("-e ./libs/foo",)
    assert locked.unhashed["ml"] == ()
    text = locked.files["base.txt"]
    assert text.endswith("# -e ./libs/foo\n")
    assert "foo-dep==2.0" in pins(text) or "foo-dep" in pins(text)
    assert all_hashed(text)
    assert [f.code for f in locked.findings] == ["not-hash-locked"]


def test_private_options_and_project_lock_pins_reach_only_the_resolution(
    tmp_path: Path, fake_uv: FakeUv
) -> None:
    locked = lock(
        tmp_path,
        python_version="3.11",
        inputs=INPUTS,
        constraints="numpy==1.26.4\n",
        private_options=("--extra-index-url https://u:${TOKEN}@private.example/simple",),
    )
    assert "--extra-index-url https://u:${TOKEN}@private.example/simple" in fake_uv.seen["resolution.in"]
    assert "-c project-lock-pins.txt" in fake_uv.seen["resolution.in"]
    assert fake_uv.seen["project-lock-pins.txt"] == "numpy==1.26.4\n"
    assert not any("TOKEN" in text or "private.example" in text for text in locked.files.values())


def test_set_aside_keeps_option_lines_and_vcs_pins() -> None:
    text = (
        "--index-url https://pypi.org/simple\n\n"
        "a==1 \\\n    --hash=sha256:a\n"
        "tool @ git+https://github.com/org/tool@0123abc\n    # via -r requirements/base.in\n"
        "z==2 \\\n    --hash=sha256:z\n    # via a\n"
    )
    body, aside = set_aside_unhashed(text)
    assert aside == ("tool @ git+https://github.com/org/tool@0123abc",)
    assert body.startswith("--index-url https://pypi.org/simple\n\na==1 \\\n    --hash=sha256:a\nz==2 \\\n")
    assert set_aside_unhashed(body) == (body, ())  # idempotent: the block is comments
    assert set_aside_unhashed("") == ("", ())


@pytest.mark.parametrize(
    ("stderr", "head", "hint"),
    [
        (
            "  × No solution found when resolving dependencies:\n  ╰─▶ Because you require numpy>=2 and "
            "numpy<1.27, we can conclude that your requirements are unsatisfiable.\n"
            "   (from {stage}/ml.in:3)",
            "the requirements conflict",
            "cannot all hold at once",
        ),
        (  # uv's real words: its own hint mentions "not supported", the cause is still a conflict
            "warning: Requirements file `{stage}/test.in` does not contain any dependencies\n"
            "error: No solution found when resolving dependencies\n  And because you require contourpy>=1.3 "
            "and numpy<1.20, we can conclude that your requirements are unsatisfiable.\n"
            "hint: The `--python-version` value (>=3.11) includes Python versions that are not supported "
            "by your dependencies",
            "the requirements conflict",
            "cannot all hold at once",
        ),
        (
            "error: Failed to fetch: `https://private.example/simple/numpy/`\n  Caused by: dns error",
            "a package index could not be reached",
            "could not be reached",
        ),
        (
            "error: Unnamed requirements are not allowed as constraints (found: `./wheels/x.whl`)",
            "a requirement form cannot be locked",
            "cannot lock this form",
        ),
    ],
)
def test_a_failed_lock_is_explained_in_the_users_terms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stderr: str, head: str, hint: str
) -> None:
    monkeypatch.setattr(process, "tool_path", lambda program: None)

    def failing(argv: Sequence[str], **_: Any) -> process.Result:
        stage = str(Path(argv[-1]).parent)
        return process.Result(tuple(argv), 1, "", stderr.format(stage=stage))

    monkeypatch.setattr(process, "run", failing)
    with pytest.raises(CommandFailed) as caught:
        lock(
            tmp_path,
            python_version="3.11",
            inputs=INPUTS,
            origins={"numpy": ("requirements-ml.txt:3", "pyproject.toml:9")},
            findings_before=("warning: requirements.txt:2: declared twice",),
        )
    error = caught.value
    assert error.message.startswith(head)
    assert error.hint is not None and hint in error.hint
    assert "declared twice" in error.message  # what was found before is not lost
    rendered = error.render()
    assert ".dockyard-lock-" not in rendered  # never a deleted temporary file
    if "numpy" in stderr:
        assert "numpy: declared at requirements-ml.txt:3, pyproject.toml:9" in error.message
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path: Path, fake_process: Any) -> None:
    with pytest.raises(ConfigError, match=r"not X\.Y"):
        lock(tmp_path, python_version="py3", inputs=INPUTS)
    with pytest.raises(InputError, match=r"cannot lock without ml\.in, test\.in, dev\.in"):
        lock(tmp_path, python_version="3.11", inputs={"base.in": ""})
    assert fake_process.calls == []


def test_pins_and_conflicts() -> None:
    text = (
        "Foo_Bar[extra]==1.0 \\\n    --hash=sha256:a\n    # via x==2\n"
        "tool @ https://x.org/tool-1.whl \\\n    --hash=sha256:b\n"
        "-e ./local\n# idna==9 in a comment\n"
    )
    assert pins(text) == {"foo-bar": "1.0", "tool": "@https://x.org/tool-1.whl"}
    assert conflicting_pins({"a.txt": "x==1\ny==1\n", "b.txt": "x==1\ny==2\n", "c.txt": "y==2\n"}) == {
        "y": {"1": ("a.txt",), "2": ("b.txt", "c.txt")}
    }


def test_locks_resolved_for_another_python_are_not_current(tmp_path: Path) -> None:
    """Moving the base image from Python 3.11 to 3.12 must re-lock: the pins differ by Python."""
    from dockyard.phases import phase1
    from dockyard.render.writer import write_generated

    req = tmp_path / "requirements"
    req.mkdir()
    (req / "base.in").write_text("six\n")
    source = phase1._lock_source("requirements", "3.11")
    write_generated(tmp_path, "requirements/base.txt", "six==1.17.0\n", source=source)
    assert phase1._locks_current(tmp_path, "requirements", "3.11")
    assert not phase1._locks_current(tmp_path, "requirements", "3.12")
    (req / "base.txt").write_text("six==1.17.0\n")  # a person's own lock: never taken for current
    assert not phase1._locks_current(tmp_path, "requirements", "3.11")
    # a lock written before the Python was recorded stays current (re-locking would move its pins)
    old = "requirements/*.in, one resolution by uv"
    write_generated(tmp_path, "requirements/base.txt", "six==1.17.0\n", source=old, force=True)
    assert phase1._locks_current(tmp_path, "requirements", "3.12")
