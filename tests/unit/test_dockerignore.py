from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import pytest
from docker.utils.build import PatternMatcher

from dockyard import dockerignore as di
from dockyard.dockerfile import parse_file, parse_text
from dockyard.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "dockerignore"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inference-service"


def make_tree(root: Path, files: Iterable[str], symlinks: dict[str, str] | None = None) -> Path:
    """Files whose content is their own path; ``symlinks`` maps link -> target."""
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name + "\n")
    for link, target in (symlinks or {}).items():
        (root / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / link)
    return root


def make_tricky(root: Path) -> Path:
    """The context of the Docker comparison: tree.json plus its .dockerignore and Dockerfile."""
    tree = json.loads((DATA / "tricky" / "tree.json").read_text())
    make_tree(root, tree["files"], tree["symlinks"])
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (root / ".dockerignore").write_text((DATA / "tricky" / "dockerignore").read_text())
    return root


def sent(root: Path, patterns: Iterable[str]) -> list[str]:
    return [f.path for f in di.context_files(root, tuple(patterns))]


# --- reading .dockerignore -----------------------------------------------------------------------


def test_read_patterns_like_docker() -> None:
    text = "\ufeff# comment\n  # not a comment\n\n  /abs/  \n./rel\n!  spaced\na/../b\n/\n.\n"
    assert di.read_patterns(text) == ("# not a comment", "abs", "rel", "!spaced", "b", "/", ".")


def test_lone_bang_is_an_error_with_its_line() -> None:
    with pytest.raises(InputError, match="lone `!`") as caught:
        di.read_patterns("ok\n  !  \n", source="ctx/.dockerignore")
    assert (caught.value.path, caught.value.line) == ("ctx/.dockerignore", 2)


def test_unclosed_bracket_is_an_error() -> None:
    with pytest.raises(InputError, match="not a valid pattern") as caught:
        di.read_patterns("a\nfoo[ab\n")
    assert caught.value.line == 2
    assert di.read_patterns("foo[ab]\n") == ("foo[ab]",)


def test_read_dockerignore_missing_file_is_empty(tmp_path: Path) -> None:
    assert di.read_dockerignore(tmp_path / ".dockerignore") == ()


# --- semantics -----------------------------------------------------------------------------------


def test_tricky_context_matches_what_docker_sent(tmp_path: Path) -> None:
    # expected.txt is what `docker build -o type=local` produced for this context (see the
    # integration test, which re-checks it against the live engine).
    root = make_tricky(tmp_path)
    patterns = di.read_dockerignore(root / ".dockerignore")
    expected = (DATA / "tricky" / "expected.txt").read_text().split("\n")[:-1]
    assert sent(root, patterns) == expected


def test_docker_py_alone_would_get_the_tricky_context_wrong(tmp_path: Path) -> None:
    # Why dockyard wraps docker-py: its stock matcher is case-insensitive, force-includes
    # .dockerignore, and strips `..`; each gives a different file set than Docker.
    root = make_tricky(tmp_path)
    patterns = list(di.read_dockerignore(root / ".dockerignore"))
    stock = {
        p
        for p in PatternMatcher(patterns).walk(str(root))
        if not (root / p).is_dir() or (root / p).is_symlink()
    }
    ours = set(sent(root, patterns))
    assert "LOWER.pem" in ours and "LOWER.pem" not in stock
    assert "app.py" in ours and "app.py" not in stock


def test_last_match_wins(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.txt", "b.txt", "c.md"])
    assert sent(tmp_path, ["*.txt", "!a.txt"]) == ["a.txt", "c.md"]
    assert sent(tmp_path, ["*.txt", "!a.txt", "a.txt"]) == ["c.md"]
    assert sent(tmp_path, ["!a.txt", "*.txt"]) == ["c.md"]


def test_patterns_are_anchored_and_double_star_crosses_directories(tmp_path: Path) -> None:
    make_tree(tmp_path, ["x.pyc", "pkg/y.pyc", "pkg/sub/z.pyc", "pkg/__pycache__/m.pyc", "keep.py"])
    assert sent(tmp_path, ["*.pyc"]) == ["keep.py", "pkg/__pycache__/m.pyc", "pkg/sub/z.pyc", "pkg/y.pyc"]
    assert sent(tmp_path, ["**/*.pyc"]) == ["keep.py"]
    assert sent(tmp_path, ["pkg/**/*.pyc"]) == ["keep.py", "x.pyc"]


def test_excluded_directory_is_entered_only_for_exceptions_inside_it(tmp_path: Path) -> None:
    make_tree(tmp_path, ["data/keep.txt", "data/drop.txt"])
    assert sent(tmp_path, ["data", "!data/keep.txt"]) == ["data/keep.txt"]
    assert sent(tmp_path, ["data", "!data*/keep.txt"]) == []  # BuildKit does not look inside
    assert sent(tmp_path, ["data", "!**/keep.txt"]) == []
    assert sent(tmp_path, ["data", "!data/"]) == ["data/drop.txt", "data/keep.txt"]


def test_dockerfile_and_dockerignore_are_not_forced_into_the_copied_context(tmp_path: Path) -> None:
    make_tree(tmp_path, ["Dockerfile", ".dockerignore", "app.py"])
    assert sent(tmp_path, ["Dockerfile", ".dockerignore"]) == ["app.py"]
    assert sent(tmp_path, []) == [".dockerignore", "Dockerfile", "app.py"]


def test_symlinks_are_sent_as_links_and_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, ["real/a.txt"], {"linkdir": "real", "linkfile": "real/a.txt"})
    files = di.context_files(tmp_path, ())
    assert [(f.path, f.symlink) for f in files] == [
        ("linkdir", True),
        ("linkfile", True),
        ("real/a.txt", False),
    ]


# --- the report ----------------------------------------------------------------------------------


def test_context_report_aggregates_top_level_entries() -> None:
    files = [
        di.ContextFile("big/a.bin", 3000),
        di.ContextFile("big/sub/b.bin", 2000),
        di.ContextFile("app.py", 10),
    ]
    report = di.context_report(files, label="now", top=1)
    assert (report.files, report.bytes, report.largest) == (3, 5010, (("big/", 5000),))


def test_format_reports_shows_both_sides_and_change() -> None:
    before = di.ContextReport(
        label="before", files=200, bytes=5_000_000, largest=(("data/", 4_990_000), ("app.py", 10_000))
    )
    after = di.ContextReport(label="after", files=10, bytes=10_000, largest=(("app.py", 10_000),))
    text = di.format_reports(before, after)
    lines = text.splitlines()
    assert lines[0].split() == ["context", "before", "after", "change"]
    assert lines[2].split() == ["files", "200", "10", "-95.0%"]
    assert lines[3].split() == ["size", "5.0", "MB", "10.0", "kB", "-99.8%"]
    data_row = next(line for line in lines if line.startswith("data/"))
    assert data_row.split() == ["data/", "5.0", "MB", "-"]


# --- generation ----------------------------------------------------------------------------------


def ml_project(root: Path) -> Path:
    make_tree(
        root,
        [
            "app/__init__.py",
            "app/main.py",
            "app/data/labels.csv",  # inside the package: the app loads it
            "app/models/__init__.py",  # a package named like a model dir
            "data/raw/big.csv",
            "mlruns/0/meta.yaml",
            "notebooks/explore.ipynb",
            "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb",
            "tests/test_app.py",
            "tests/data/case.json",
            "docs/index.md",
            "assets/video.bin",
            "scripts/train.py",
            "requirements.txt",
            "README.md",
            ".git/HEAD",
            ".venv/pyvenv.cfg",
            "app/__pycache__/main.cpython-311.pyc",
            ".env",
            ".env.example",
            "deploy/server.key",
            ".DS_Store",
        ],
    )
    (root / "assets" / "video.bin").write_bytes(b"\0" * 4096)
    return root


SMALL = di.IgnoreOptions(size_threshold=1000)


def test_generated_file_groups_and_found_directories(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    df = parse_text("FROM python:3.11-slim\nCOPY . /app\n")
    plan = di.generate(root, [df], SMALL)
    assert [(d.path, d.group) for d in plan.found] == [
        ("assets", "data"),
        ("data", "data"),
        ("mlruns", "data"),
        ("notebooks", "notebooks"),
    ]
    titles = [g.title for g in plan.groups]
    assert titles[:3] == [
        "Notebooks",
        "Tests and docs",
        "Data, models and experiment output found in this project",
    ]
    assert titles[-1] == "Secrets"
    assert "# Secrets: anything sent can end up in a layer" in plan.text
    sent_after = {f.path for f in di.context_files(root, di.read_patterns(plan.text))}
    assert sent_after == {
        "app/__init__.py",
        "app/main.py",
        "app/data/labels.csv",
        "app/models/__init__.py",
        "scripts/train.py",
        "requirements.txt",
        "README.md",
        ".env.example",
    }
    assert plan.after.files == len(sent_after)
    assert plan.before.files == 22 and plan.before.label == "no .dockerignore"
    assert not plan.errors


def test_generation_is_deterministic(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    df = parse_text("FROM python:3.11-slim\nCOPY . /app\n")
    assert di.render_dockerignore(root, [df], SMALL) == di.render_dockerignore(root, [df], SMALL)


def test_size_threshold_only_picks_non_code_directories(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    (root / "scripts" / "blob.bin").write_bytes(b"\0" * 5000)  # big, but holds Python code
    plan = di.generate(root, [parse_text("FROM scratch\nCOPY . /\n")], SMALL)
    assert "scripts" not in {d.path for d in plan.found}
    default = di.generate(root, [parse_text("FROM scratch\nCOPY . /\n")])
    assert "assets" not in {d.path for d in default.found}  # 4 kB is under the 10 MB default


def test_tests_package_is_excluded_by_default(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    make_tree(root, ["tests/__init__.py"])
    plan = di.generate(root, [parse_text("FROM scratch\nCOPY . /\n")])
    assert not any(f.path.startswith("tests/") for f in di.context_files(root, di.read_patterns(plan.text)))


def test_tests_option_and_package_named_like_junk(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    make_tree(root, ["env/__init__.py", "tests/__init__.py"])  # a real package called `env`
    plan = di.generate(root, [parse_text("FROM scratch\nCOPY . /\n")], di.IgnoreOptions(include_tests=True))
    after = {f.path for f in di.context_files(root, di.read_patterns(plan.text))}
    assert {"tests/test_app.py", "tests/data/case.json", "env/__init__.py"} <= after
    assert "docs/index.md" not in after
    assert "\nenv\n" not in plan.text


def test_directories_the_dockerfile_copies_are_not_excluded(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    df = parse_text("FROM scratch\nCOPY data/ /data/\nCOPY app/ /app/\n")
    plan = di.generate(root, [df], SMALL)
    assert "data" not in {d.path for d in plan.found}
    assert di.Finding(level="info", path="data", message="kept: the Dockerfile copies it") in plan.findings


# --- the COPY check ------------------------------------------------------------------------------


def after_of(root: Path, plan: di.DockerignorePlan) -> set[str]:
    return {f.path for f in di.context_files(root, di.read_patterns(plan.text))}


def test_copy_of_excluded_paths_gets_exceptions(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    make_tree(root, ["data/model.pkl", "tests/__pycache__/t.pyc"])
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile").write_text(
        "FROM scratch AS test\nCOPY tests/ /src/tests/\n"
        "FROM scratch\nCOPY app/ /app/\nCOPY data/model.pkl /models/\nCOPY docs/*.md /docs/\n"
    )
    plan = di.generate(root, [parse_file(root / "docker" / "Dockerfile")], SMALL)
    kept = next(g for g in plan.groups if g.kind == "kept")
    assert kept.patterns == ("!data/model.pkl", "!docs/*.md", "!tests")
    after = after_of(root, plan)
    assert {"data/model.pkl", "tests/test_app.py", "tests/data/case.json", "docs/index.md"} <= after
    assert "data/raw/big.csv" not in after
    assert "tests/__pycache__/t.pyc" not in after  # junk stays out of a kept directory
    infos = [f.message for f in plan.findings if f.level == "info" and f.path == ".dockerignore"]
    assert "added `!tests`: docker/Dockerfile:2 (COPY) reads it" in infos
    assert not plan.errors


def test_copy_of_junk_or_secret_is_kept_late_with_a_warning(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    df = parse_text("FROM scratch\nCOPY .git /src/.git\nCOPY .env /app/.env\n")
    plan = di.generate(root, [df], SMALL)
    assert plan.groups[-1].kind == "kept-late"
    assert plan.groups[-1].patterns == ("!.env", "!.git")
    after = after_of(root, plan)
    assert {".git/HEAD", ".env"} <= after
    warnings = [f.message for f in plan.findings if f.level == "warning"]
    assert any("added `!.env` after the junk/secret lines" in w for w in warnings)
    # .env is now sent, so the secret scan says so too.
    assert any(f.path == ".env" and "secret" in f.message for f in plan.findings if f.level == "warning")


def test_secret_inside_a_copied_directory_stays_out_with_a_warning(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    df = parse_text("FROM scratch\nCOPY deploy/ /deploy/\n")
    make_tree(root, ["deploy/nginx.conf"])
    plan = di.generate(root, [df], SMALL)
    after = after_of(root, plan)
    assert "deploy/nginx.conf" in after and "deploy/server.key" not in after
    assert any(f.path == "deploy/server.key" and "left out as a secret" in f.message for f in plan.findings)


def test_current_dockerignore_that_breaks_a_copy_is_an_error(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    (root / ".dockerignore").write_text("app\nscripts/*.py\n!scripts/train.py\n")
    make_tree(root, ["scripts/other.py"])
    df = parse_text("FROM scratch\nCOPY app /app\nCOPY scripts/ /scripts/\nCOPY missing.txt /x\n")
    plan = di.generate(root, [df], SMALL)
    assert plan.before.label == "current .dockerignore"
    levels = [(f.level, f.path, f.line) for f in plan.findings if f.level in {"error", "warning"}]
    assert ("error", ".dockerignore", None) in levels
    assert ("warning", ".dockerignore", None) in levels
    assert ("error", "Dockerfile", 4) in levels
    messages = " ".join(f.message for f in plan.findings)
    assert "excludes `app`, which Dockerfile:2 (COPY) needs" in messages
    assert "excludes 1 file(s) under `scripts/` that Dockerfile:3 copies (e.g. scripts/other.py)" in messages
    assert "`missing.txt` does not exist" in messages
    # The generated file does not repeat the user's mistake.
    assert {"app/main.py", "scripts/other.py", "scripts/train.py"} <= after_of(root, plan)


def test_expand_source_matches_component_by_component() -> None:
    paths = ["config/a.toml", "config/b.yaml", "config/sub/c.toml", "app.py", "app"]
    assert di.expand_source("config/*.toml", paths) == ("config/a.toml",)
    assert di.expand_source("/config/", paths) == ("config",)
    assert di.expand_source("./app.py", paths) == ("app.py",)
    assert di.expand_source("ap[^x]*", paths) == ("app", "app.py")
    assert di.expand_source("nope", paths) == ()


# --- secrets and symlinks ------------------------------------------------------------------------


def test_secret_findings_by_name_directory_and_content(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [".env", ".env.prod", ".env.example", "certs/site.pem", "id_rsa", "id_rsa.pub", "home/.aws/config",
         "gcp/credentials.json", "app.py", "notes.txt"],
    )  # fmt: skip
    (tmp_path / "notes.txt").write_text("x\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")
    files = di.context_files(tmp_path, ())
    flagged = [f.path for f in di.secret_findings(tmp_path, files)]
    assert flagged == [
        ".env",
        ".env.prod",
        "certs/site.pem",
        "gcp/credentials.json",
        "home/.aws/config",
        "id_rsa",
        "notes.txt",
    ]


def test_generated_file_leaves_no_secrets_behind(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    make_tree(root, ["src/.ssh/id_ed25519", "cfg/.pypirc", "a/b/.env.local", "site.p12"])
    plan = di.generate(root, [parse_text("FROM scratch\nCOPY . /\n")], SMALL)
    assert not [f for f in plan.findings if "secret" in f.message]


def test_symlink_leaving_the_context_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    make_tree(
        root,
        ["app.py", "sub/x.txt"],
        {"out": "/etc/hostname", "up": "../elsewhere", "in": "sub/x.txt", "sub/back": "../app.py"},
    )
    findings = di.symlink_findings(root, di.context_files(root, ()))
    assert [f.path for f in findings] == ["out", "up"]
    assert "outside the build context" in findings[0].message


# --- the bundled example -------------------------------------------------------------------------


@pytest.mark.skipif(not (EXAMPLE / "Dockerfile").is_file(), reason="the example project is not there")
def test_example_project_keeps_package_data_and_drops_the_rest() -> None:
    plan = di.generate(EXAMPLE, [parse_file(EXAMPLE / "Dockerfile")], current=())
    after = after_of(EXAMPLE, plan)
    assert "inference_service/data/training.csv" in after
    assert "inference_service/app.py" in after
    assert not any(p.startswith(("tests/", "notebooks/", "docs/")) for p in after)
    assert plan.after.bytes < plan.before.bytes
    assert not plan.errors


def test_a_wildcard_that_matches_nothing_is_fine_when_another_source_matches(tmp_path: Path) -> None:
    root = ml_project(tmp_path)
    make_tree(root, ["pyproject.toml"])
    df = parse_text("FROM scratch\nCOPY ./pyproject.toml ./poetry.lock* /tmp/\nCOPY ./only.lock* /x/\n")
    plan = di.generate(root, [df], SMALL)
    errors = [(f.line, f.message) for f in plan.findings if f.level == "error"]
    assert errors == [(3, "COPY source `./only.lock*` does not exist in the build context")]


def test_a_large_per_platform_wheelhouse_the_dockerfile_copies_is_kept(tmp_path: Path) -> None:
    """The generated Dockerfile copies `.wheelhouse/${TARGETPLATFORM}`: every platform's may be read."""
    for arch in ("amd64", "arm64"):
        wheels = tmp_path / ".wheelhouse" / "linux" / arch / "base"
        wheels.mkdir(parents=True)
        (wheels / "numpy-2.0-cp311-none-any.whl").write_bytes(b"\0" * 4096)
    (tmp_path / "app.py").write_text("print('hi')\n")
    df = parse_text(
        "FROM scratch AS wheelhouse\nARG TARGETPLATFORM\nCOPY .wheelhouse/${TARGETPLATFORM} /\n"
        "FROM python:3.11-slim\nCOPY app.py /app/\n"
    )
    [wheelhouse, _] = df.context_paths
    assert (wheelhouse.path, wheelhouse.resolved) == (".wheelhouse/", True)
    plan = di.generate(tmp_path, [df], SMALL)
    assert ".wheelhouse" not in [d.path for d in plan.found]  # over the threshold, no code, yet kept
    sent = {f.path for f in di.context_files(tmp_path, di.read_patterns(plan.text))}
    assert ".wheelhouse/linux/arm64/base/numpy-2.0-cp311-none-any.whl" in sent
    # a variable that is not a platform ARG still leaves the path unknown
    other = parse_text("FROM scratch\nARG WHERE\nCOPY .wheelhouse/${WHERE} /\n")
    assert [p.resolved for p in other.context_paths] == [False]
