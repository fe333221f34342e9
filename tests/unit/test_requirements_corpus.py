"""The requirements corpus: every case under tests/data/requirements/ split, or refused, as expected.

Each case holds ``project/`` (the input; Python files are stored as ``*.py.src``) and either
``expected/`` (``base.in``, ``ml.in``, ``test.in``, ``dev.in`` and ``findings.txt``, one
``level code package`` per line) or ``expected-error.json`` (message fragment, path and line of the
InputError). ``overrides.json`` holds ``[tool.dockyard] classify`` when a case needs one.

After a deliberate change, regenerate with ``python tests/unit/test_requirements_corpus.py --regen`` and
review the diff: the expectations are the specification.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.requirements import GROUPS, Analysis, analyse

CORPUS = Path(__file__).resolve().parent.parent / "data" / "requirements"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "project").is_dir())


def materialize(case: Path, into: Path) -> Path:
    """Copy a case's project, giving ``*.py.src`` files their real names."""
    project = into / "project"
    shutil.copytree(case / "project", project)
    for source in sorted(project.rglob("*.py.src")):
        source.rename(source.with_name(source.name.removesuffix(".src")))
    return project


def overrides_of(case: Path) -> dict[str, str]:
    path = case / "overrides.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def findings_text(analysis: Analysis) -> str:
    return "".join(f"{f.level} {f.code} {f.package or '-'}\n" for f in analysis.findings)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25
    errors = [c for c in CASES if (CORPUS / c / "expected-error.json").is_file()]
    assert len(errors) >= 8
    assert len(CASES) - len(errors) >= 17


@pytest.mark.parametrize("name", CASES)
def test_case(name: str, tmp_path: Path) -> None:
    case = CORPUS / name
    project = materialize(case, tmp_path)
    error_file = case / "expected-error.json"
    if error_file.is_file():
        expected = json.loads(error_file.read_text())
        with pytest.raises(InputError) as caught:
            analyse(project, overrides=overrides_of(case), metadata=None)
        assert expected["fragment"] in caught.value.message
        assert caught.value.path == expected["path"]
        assert caught.value.line == expected["line"]
        return
    analysis = analyse(project, overrides=overrides_of(case), metadata=None)
    assert list(analysis.plan.files) == [f"{g}.in" for g in GROUPS]
    for name_in, text in analysis.plan.files.items():
        assert text == (case / "expected" / name_in).read_text(encoding="utf-8"), name_in
    assert findings_text(analysis) == (case / "expected" / "findings.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [c for c in CASES if not (CORPUS / c / "expected-error.json").is_file()])
def test_case_is_deterministic(name: str, tmp_path: Path) -> None:
    """A second run, from another directory, gives the same bytes."""
    first = analyse(
        materialize(CORPUS / name, tmp_path / "a"), overrides=overrides_of(CORPUS / name), metadata=None
    )
    second = analyse(
        materialize(CORPUS / name, tmp_path / "b"), overrides=overrides_of(CORPUS / name), metadata=None
    )
    assert dict(first.plan.files) == dict(second.plan.files)
    assert first.findings == second.findings


def regenerate() -> None:  # pragma: no cover - a maintainer's tool
    import tempfile

    for name in CASES:
        case = CORPUS / name
        if (case / "expected-error.json").is_file():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            analysis = analyse(materialize(case, Path(tmp)), overrides=overrides_of(case), metadata=None)
        out = case / "expected"
        out.mkdir(exist_ok=True)
        for name_in, text in analysis.plan.files.items():
            (out / name_in).write_text(text, encoding="utf-8")
        (out / "findings.txt").write_text(findings_text(analysis), encoding="utf-8")
        print(f"regenerated {name}")


if __name__ == "__main__" and "--regen" in sys.argv:  # pragma: no cover
    regenerate()
