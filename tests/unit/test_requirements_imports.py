"""The import scan and the check of a classification against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.requirements import Declared, Entry, Origin, check, classify, scan_imports
from dockyard.requirements.imports import imports_of, role
from dockyard.requirements.model import normalize


def found(source: str) -> list[tuple[str, int | None, bool]]:
    return [(u.module, u.origin.line, u.optional) for u in imports_of(source.encode(), "m.py")]


def test_imports_of_reads_every_form() -> None:
    source = (
        "import os, numpy.linalg as la\n"
        "from pandas import DataFrame\n"
        "from . import sibling\n"
        "from .pkg import thing\n"
        "import importlib\n"
        "yaml = importlib.import_module('yaml')\n"
        "json5 = __import__('json5')\n"
        "def f():\n"
        "    import scipy.stats\n"
    )
    assert found(source) == [
        ("os", 1, False),
        ("numpy.linalg", 1, False),
        ("pandas", 2, False),
        ("importlib", 5, False),
        ("yaml", 6, False),
        ("json5", 7, False),
        ("scipy.stats", 9, False),
    ]


def test_type_checking_imports_do_not_count_and_guarded_ones_are_optional() -> None:
    source = (
        "import typing\n"
        "if typing.TYPE_CHECKING:\n    import boto3_stubs\nelse:\n    import boto3\n"
        "try:\n    import orjson as json\nexcept (ImportError, AttributeError):\n    import json\n"
        "try:\n    import ujson\nexcept ValueError:\n    pass\n"
    )
    assert found(source) == [
        ("typing", 1, False),
        ("boto3", 5, False),
        ("orjson", 7, True),
        ("json", 9, False),
        ("ujson", 11, False),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app/main.py", "runtime"),
        ("main.py", "runtime"),
        ("scripts/train.py", "runtime"),
        (
            "app/tasks.py",
            "runtime",
        ),  # a Celery tasks module is runtime code; only the root tasks.py is a tool
        ("tests/test_main.py", "test"),
        ("tests/helpers.py", "test"),
        ("src/pkg/test_utils.py", "test"),
        ("pkg/utils_test.py", "test"),
        ("conftest.py", "test"),
        ("docs/conf.py", None),
        ("notebooks/explore.py", None),
        ("setup.py", None),
        ("noxfile.py", None),
        ("tasks.py", None),
    ],
)
def test_role(path: str, expected: str | None) -> None:
    assert role(tuple(path.split("/"))) == expected


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


def declared(*names: str, hint: str | None = None) -> Declared:
    return Declared(
        project=Path(),
        entries=tuple(
            Entry(
                name=normalize(n),
                text=n,
                kind="index",
                origin=Origin(path="requirements.txt", line=i + 1),
                source="requirements.txt",
                hint=hint,  # type: ignore[arg-type]
            )
            for i, n in enumerate(names)
        ),
    )


def test_scan_skips_virtualenvs_hidden_and_build_directories(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app.py": "import flask\n",
            "venv/pyvenv.cfg": "",
            "venv/lib/x.py": "import nope1\n",
            ".tox/py/x.py": "import nope2\n",
            "build/lib/x.py": "import nope3\n",
            "node_modules/x/y.py": "import nope4\n",
            "pkg.egg-info/x.py": "import nope5\n",
            "tests/test_app.py": "import pytest\n",
        },
    )
    scan = scan_imports(tmp_path)
    assert [u.module for u in scan.runtime] == ["flask"]
    assert [u.module for u in scan.test] == ["pytest"]
    assert (scan.runtime_files, scan.test_files) == (("app.py",), ("tests/test_app.py",))


def test_check_messages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/app.py": (
                "import httpx\nfrom svc import db\nimport boto3\n"
                "try:\n    import pytest_benchmark\nexcept ImportError:\n    pass\n"
            ),
            "svc/db.py": "",
            "tests/test_app.py": "import requests\n",
        },
    )
    first = classify(declared("httpx", "requests", "uvicorn", "leftpad", "pytest-benchmark"))
    result = check(first, scan_imports(tmp_path))
    groups = {p.key: (p.group, p.reason) for p in result.classification.placements}
    assert groups["httpx"] == ("base", "imported by runtime code (svc/app.py:1)")
    assert groups["pytest-benchmark"][0] == "test"
    messages = {(f.code, f.package): f.message for f in result.findings}
    assert messages == {
        (
            "moved-to-runtime",
            "httpx",
        ): "httpx was placed in test (catalogue: test), but runtime code imports it (svc/app.py:1); "
        "moved to base",
        (
            "optional-runtime-import",
            "pytest-benchmark",
        ): "runtime code imports pytest-benchmark only inside try/except ImportError (svc/app.py:5); "
        "it stays in test",
        (
            "not-imported",
            "requests",
        ): "only tests import requests (tests/test_app.py:1); if it is test-only, set "
        '[tool.dockyard] classify = { requests = "test" }',
        (
            "not-imported",
            "uvicorn",
        ): "no runtime code imports uvicorn; expected (ASGI server, started by the command)",
        (
            "not-imported",
            "leftpad",
        ): "no runtime code imports leftpad; keep it if something uses it without an import, else remove it",
        (
            "undeclared-import",
            "boto3",
        ): "runtime code imports boto3 (svc/app.py:3), but no declared dependency provides it; declare boto3 "
        "directly (it may only be arriving through another package)",
    }


def test_an_ml_package_from_a_test_source_moves_to_ml(tmp_path: Path) -> None:
    write(tmp_path, {"model.py": "import numpy as np\nimport numpy.linalg\n"})
    result = check(classify(declared("numpy", hint="test")), scan_imports(tmp_path))
    (placement,) = result.classification.placements
    assert placement.group == "ml"
    assert "model.py:1 and 1 more" in result.findings[0].message


def test_nested_projects_are_not_this_projects_runtime_code(tmp_path: Path) -> None:
    from dockyard.requirements.imports import scan_imports as scan

    (tmp_path / "app.py").write_text("import requests\n")
    nested = tmp_path / "examples" / "svc"
    nested.mkdir(parents=True)
    (nested / "requirements.txt").write_text("fastapi\n")
    (nested / "main.py").write_text("import fastapi\n")
    found = {use.module.split(".")[0] for use in scan(tmp_path).runtime}
    assert found == {"requests"}


def test_a_pinned_list_of_unimported_packages_is_one_line(tmp_path: Path) -> None:
    """weekly_worklog's requirements.txt is a pip freeze of 120 pins: about 100 "no runtime code
    imports X" lines became one that names them; expected ones (a server) keep their own."""
    write(tmp_path, {"svc/__init__.py": "", "svc/app.py": "import httpx\n"})
    names = [f"leftpad{letter}" for letter in "abcdefghijkl"]
    result = check(classify(declared("httpx", "gunicorn", *names)), scan_imports(tmp_path))
    unused = [f for f in result.findings if f.code == "not-imported"]
    assert [f.package for f in unused] == ["gunicorn", None]
    assert unused[1].message.startswith(
        "no runtime code imports 12 runtime pins (leftpada, leftpadb, leftpadc, leftpadd, leftpade, "
        "leftpadf and 6 more): in a pinned list (pip freeze)"
    )
    assert unused[1].origin is not None and unused[1].origin.path == "requirements.txt"
    few = check(classify(declared("httpx", *names[:3])), scan_imports(tmp_path))
    assert [f.package for f in few.findings if f.code == "not-imported"] == names[:3]
