"""Git requirements as host-built wheels: reading them from the locks, the commands, the hashed
requirements file the image installs, and the Dockerfile step (no subprocess here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.render.dockerfile import DockerfilePlan, render
from dockyard.requirements.forms import _entry_outcome
from dockyard.requirements.lock import set_aside_unhashed
from dockyard.requirements.model import Entry, Origin
from dockyard.wheelhouse import vcs

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_a_locked_git_line_is_parsed_into_repository_commit_and_subdirectory() -> None:
    found = vcs.parse(f"My_Lib[extra] @ git+https://github.com/org/lib.git@{COMMIT}#subdirectory=py", "b.txt")
    assert found is not None
    assert (found.name, found.vcs, found.lock) == ("my-lib", "git", "b.txt")
    assert found.repository == "https://github.com/org/lib.git"
    assert (found.commit, found.subdirectory) == (COMMIT, "py")
    ssh = vcs.parse(f"lib @ git+ssh://git@github.com/org/lib@{COMMIT}", "b.txt")
    assert ssh is not None and ssh.repository == "ssh://git@github.com/org/lib" and ssh.commit == COMMIT
    unpinned = vcs.parse("lib @ git+https://user@host/org/lib", "b.txt")
    assert (
        unpinned is not None and unpinned.commit == "" and unpinned.repository == "https://user@host/org/lib"
    )
    assert vcs.parse("./libs/helper", "b.txt") is None
    assert vcs.parse("tool @ file:./vendor/tool-1.0-py3-none-any.whl", "b.txt") is None


def test_only_the_runtime_locks_set_aside_git_lines_are_found(tmp_path: Path) -> None:
    compiled = (
        "six==1.17.0 \\\n    --hash=sha256:a\n    # via lib\n"
        f"lib @ git+https://github.com/org/lib@{COMMIT}\n    # via -r requirements/base.in\n"
        "-e ./libs/helper\n"
    )
    text, _ = set_aside_unhashed(compiled)
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(text)
    found = vcs.find(tmp_path, ("requirements/base.txt", "requirements/ml.txt"))
    assert [(r.name, r.commit, r.lock) for r in found] == [("lib", COMMIT, "requirements/base.txt")]


def test_only_git_pinned_to_a_commit_is_built() -> None:
    hg = vcs.parse(f"lib @ hg+https://host/lib@{COMMIT}", "requirements/base.txt")
    assert hg is not None
    with pytest.raises(InputError, match="only git"):
        vcs.check(hg)
    branch = vcs.parse("lib @ git+https://host/lib@main", "requirements/base.txt")
    assert branch is not None
    with pytest.raises(InputError, match="not pinned to a commit"):
        vcs.check(branch)


def test_credentials_are_redacted_and_placeholders_filled_only_for_git() -> None:
    assert vcs.redact("git+https://user:s3cret@host/lib@x") == "git+https://***@host/lib@x"
    assert vcs.expand("https://${TOKEN}@host/lib", {"TOKEN": "abc"}) == "https://abc@host/lib"
    with pytest.raises(InputError, match=r"needs \$\{TOKEN\}"):
        vcs.expand("https://${TOKEN}@host/lib", {})
    assert vcs.clone_argv("https://host/lib", Path("/x")) == [
        "git", "clone", "--quiet", "--no-checkout", "https://host/lib", "/x",
    ]  # fmt: skip
    found = vcs.parse(f"lib @ git+https://host/lib@{COMMIT}", "b.txt")
    assert found is not None
    assert vcs.checkout_argv(found, Path("/x"))[-1] == COMMIT
    assert vcs.build_argv("uv", Path("/x/sub"), Path("/out")) == [
        "uv", "build", "--wheel", "--quiet", "--out-dir", "/out", "/x/sub",
    ]  # fmt: skip


def test_the_requirements_file_is_hashed_and_read_back() -> None:
    found = vcs.parse(f"lib @ git+https://user:pw@host/lib@{COMMIT}", "requirements/base.txt")
    assert found is not None
    built = vcs.Built(requirement=found, wheel="lib-1.0-py3-none-any.whl", sha256="ab" * 32)
    text = vcs.requirements_text([built])
    assert f"lib @ file://{vcs.MOUNT}/lib-1.0-py3-none-any.whl \\\n    --hash=sha256:{'ab' * 32}" in text
    assert "pw" not in text and "user" not in text  # the source is shown without credentials
    assert vcs.recorded(text) == {found.shown: ("lib-1.0-py3-none-any.whl", "ab" * 32)}


def test_the_dockerfile_installs_the_wheels_hash_checked_in_the_builder() -> None:
    plan = DockerfilePlan(
        base_image="python:3.11-slim", command=("python",), port=0, health_path="", app_paths=("app.py",),
        vcs_wheels=vcs.DIRNAME,
    )  # fmt: skip
    text = render(plan)
    step = f"--mount=type=bind,source={vcs.DIRNAME},target={vcs.MOUNT}"
    assert step in text
    install = text.split(step, 1)[1].splitlines()[1]
    assert (
        "--require-hashes" in install
        and "--no-deps" in install
        and f"-r {vcs.MOUNT}/requirements.txt" in install
    )
    assert text.index(step) < text.index("FROM base AS runtime")
    assert "git clone" not in text and "apt-get" not in text
    plain = render(DockerfilePlan(base_image="python:3.11-slim", command=("python",), port=0, health_path="",
                                  app_paths=("app.py",)))  # fmt: skip
    assert vcs.MOUNT not in plain


def test_phase1_says_what_happens_to_a_git_line_and_flags_a_literal_credential() -> None:
    origin = Origin(path="requirements.txt", line=2)

    def message(text: str, note: str = "") -> str:
        entry = Entry(text=text, name="lib", kind="vcs", origin=origin, source="requirements.txt", note=note)
        outcome = _entry_outcome(entry)
        assert outcome is not None
        return outcome[2]

    editable = message("-e git+https://host/lib#egg=lib", note="editable")
    assert "(editable)" in editable and "hash-checked and non-editable" in editable
    assert "literal credential" not in message("lib @ git+https://${TOKEN}@host/lib")
    assert "literal credential" not in message("lib @ git+ssh://git@github.com/org/lib")
    assert "literal credential" in message("lib @ git+https://ghp_abc@github.com/org/lib")
