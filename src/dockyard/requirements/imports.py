"""Check a classification against the project's code: what runtime code and tests import.

Files are parsed with :mod:`ast`, never imported. Runtime code is every Python file of the project
except tests (``tests/``, ``test/``, ``testing/``, ``test_*.py``, ``*_test.py``, ``conftest.py``),
documentation and notebooks (``docs/``, ``doc/``, ``notebooks/``) and the tool files at the root
(``setup.py``, ``noxfile.py``, ``tasks.py``, ``fabfile.py``, ``dodo.py``); virtual environments, hidden,
build and cache directories, and nested projects (a subdirectory with its own pyproject.toml, setup.py,
setup.cfg or requirements.txt), are skipped. Imports under ``if TYPE_CHECKING:`` do not count (they never
run); imports inside ``try: ... except ImportError`` count as optional.

An import name maps to distributions through the catalogue (``sklearn`` -> ``scikit-learn``) and
otherwise through its PEP 503 form, dotted prefixes included (``google.cloud.storage`` ->
``google-cloud-storage``). The standard library (``sys.stdlib_module_names``) and the project's own
modules are not dependencies.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from dockyard.requirements.catalogue import Catalogue, default
from dockyard.requirements.model import (
    Checked,
    Classification,
    Finding,
    Group,
    ImportScan,
    ImportUse,
    Origin,
    Placement,
)

Role = Literal["runtime", "test"]

TEST_DIRS = frozenset({"tests", "test", "testing"})
IGNORED_DIRS = frozenset({"docs", "doc", "notebooks", "notebook"})
ROOT_TOOL_FILES = frozenset({"setup.py", "noxfile.py", "tasks.py", "fabfile.py", "dodo.py"})
SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "__pypackages__", "build", "dist", "venv"}
)
_TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def role(parts: tuple[str, ...]) -> Role | None:
    """What a project-relative ``.py`` path is: runtime code, test code, or neither (None)."""
    dirs, name = parts[:-1], parts[-1]
    if _TEST_FILE.match(name) or any(d in TEST_DIRS for d in dirs):
        return "test"
    if any(d in IGNORED_DIRS for d in dirs) or (not dirs and name in ROOT_TOOL_FILES):
        return None
    return "runtime"


#: A subdirectory holding one of these is a project of its own (an example, a vendored tool), whose
#: imports its own requirements must provide.
NESTED_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")


def _skipped(directory: Path, name: str) -> bool:
    return (
        name.startswith(".")
        or name in SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (directory / name / "pyvenv.cfg").exists()
        or any((directory / name / marker).is_file() for marker in NESTED_PROJECT_MARKERS)
    )


def python_files(root: Path) -> Iterator[Path]:
    """The project's ``.py`` files in a stable order, without virtualenvs, caches and hidden directories."""
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(here, d))
        for name in sorted(files):
            if name.endswith(".py"):
                yield here / name


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in _IMPORT_ERRORS for t in types)


class _Imports(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[ImportUse] = []
        self.optional = 0

    def add(self, module: str, node: ast.AST) -> None:
        line = getattr(node, "lineno", None)
        self.found.append(
            ImportUse(module=module, origin=Origin(path=self.path, line=line), optional=self.optional > 0)
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.add(node.module, node)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for statement in node.orelse:
                self.visit(statement)
        else:
            self.generic_visit(node)

    def _visit_try(self, node: ast.Try | ast.TryStar) -> None:
        guarded = any(_catches_import_error(h) for h in node.handlers)
        self.optional += guarded
        for statement in node.body:
            self.visit(statement)
        self.optional -= guarded
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_Try = _visit_try
    visit_TryStar = _visit_try

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        dynamic = (isinstance(func, ast.Name) and func.id == "__import__") or (
            isinstance(func, ast.Attribute) and func.attr == "import_module"
        )
        if (
            dynamic
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.add(node.args[0].value, node)
        self.generic_visit(node)


def imports_of(source: bytes, path: str) -> tuple[ImportUse, ...]:
    """Absolute imports in one file's source (relative imports are the project's own)."""
    visitor = _Imports(path)
    visitor.visit(ast.parse(source, filename=path))
    return tuple(visitor.found)


def _own_names(root: Path, files: list[Path]) -> frozenset[str]:
    names: set[str] = set()
    for file in files:
        parts = file.relative_to(root).parts
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        names.add(parts[0].removesuffix(".py"))
        names.add(file.stem)
        if file.name == "__init__.py":
            names.add(file.parent.name)
    return frozenset(names)


def scan_imports(project: Path) -> ImportScan:
    """Every absolute import of the project's runtime code and of its tests."""
    root = project.resolve()
    files = list(python_files(root))
    found: dict[Role, list[ImportUse]] = {"runtime": [], "test": []}
    scanned: dict[Role, list[str]] = {"runtime": [], "test": []}
    findings: list[Finding] = []
    for file in files:
        parts = file.relative_to(root).parts
        kind = role(parts)
        if kind is None:
            continue
        shown = Path(*parts).as_posix()
        try:
            found[kind].extend(imports_of(file.read_bytes(), shown))
        except (SyntaxError, ValueError, OSError) as exc:
            findings.append(
                Finding(
                    level="warning",
                    code="unreadable-python",
                    origin=Origin(path=shown),
                    message=f"not scanned for imports: {exc}",
                )
            )
            continue
        scanned[kind].append(shown)
    return ImportScan(
        runtime=tuple(found["runtime"]),
        test=tuple(found["test"]),
        own=_own_names(root, files),
        runtime_files=tuple(scanned["runtime"]),
        test_files=tuple(scanned["test"]),
        findings=tuple(findings),
    )


def _used(uses: tuple[ImportUse, ...], names: set[str], catalogue: Catalogue) -> dict[str, list[ImportUse]]:
    """Declared distribution -> the imports it may provide; key "" collects imports nothing provides."""
    by_name: dict[str, list[ImportUse]] = {}
    for use in uses:
        hit = next((d for d in catalogue.distributions(use.module) if d in names), "")
        by_name.setdefault(hit, []).append(use)
    return by_name


def _where(uses: list[ImportUse]) -> str:
    first = min(uses, key=lambda u: u.origin)
    more = len({u.origin for u in uses}) - 1
    return f"{first.origin}" + (f" and {more} more" if more else "")


def check(classification: Classification, scan: ImportScan, *, catalogue: Catalogue | None = None) -> Checked:
    """Move test and dev packages that runtime code imports to a runtime group, and report mismatches.

    Reports (a) runtime dependencies no runtime code imports (info: a server or driver needs no import),
    (b) runtime imports no declared dependency provides (warning), (c) test or dev packages that runtime
    code imports (moved to ml or base unless an override keeps them, or every such import is optional).
    """
    catalogue = catalogue or default()
    names = {p.key for p in classification.placements if p.name is not None}
    runtime = _used(scan.runtime, names, catalogue)
    tests = _used(scan.test, names, catalogue)
    findings: list[Finding] = []
    if not scan.runtime_files:
        findings.append(
            Finding(
                level="info",
                code="no-runtime-code",
                message="no runtime Python code was found, so unused dependencies cannot be detected",
            )
        )
    placements: list[Placement] = []
    plain: list[Finding] = []  # "keep it if something uses it": no server, driver or test use explains it
    for placement in classification.placements:
        uses = runtime.get(placement.key, []) if placement.name else []
        if placement.group in ("test", "dev") and uses:
            placement = _runtime_use(placement, uses, classification, catalogue, findings)
        elif (
            placement.group in ("base", "ml") and not uses and scan.runtime_files and _third_party(placement)
        ):
            finding, explained = _not_imported(placement, tests.get(placement.key, []), catalogue)
            findings.append(finding)
            if not explained:
                plain.append(finding)
        placements.append(placement)
    findings = _collapse_unused(findings, plain)
    findings.extend(_undeclared(runtime.get("", []), scan, catalogue))
    return Checked(
        classification=dataclasses.replace(classification, placements=tuple(placements)),
        findings=tuple(findings),
    )


def _third_party(placement: Placement) -> bool:
    """Named, and not the project's own code (an editable install or a local path)."""
    return placement.name is not None and any(e.kind not in ("editable", "local") for e in placement.entries)


def _runtime_use(
    placement: Placement,
    uses: list[ImportUse],
    classification: Classification,
    catalogue: Catalogue,
    findings: list[Finding],
) -> Placement:
    key, where = placement.key, _where(uses)
    if placement.key in classification.overrides:
        findings.append(
            Finding(
                level="warning",
                code="override-kept",
                package=key,
                message=f"{key} stays in {placement.group} by override, "
                f"but runtime code imports it ({where})",
            )
        )
        return placement
    if all(u.optional for u in uses):
        findings.append(
            Finding(
                level="info",
                code="optional-runtime-import",
                package=key,
                message=f"runtime code imports {key} only inside try/except ImportError ({where}); "
                f"it stays in {placement.group}",
            )
        )
        return placement
    group: Group = "ml" if catalogue.group(key) == "ml" else "base"
    findings.append(
        Finding(
            level="warning",
            code="moved-to-runtime",
            package=key,
            message=f"{key} was placed in {placement.group} ({placement.reason}), but runtime code imports "
            f"it ({where}); moved to {group}",
        )
    )
    return dataclasses.replace(placement, group=group, reason=f"imported by runtime code ({where})")


#: More plain "no runtime code imports X" lines than this read as one: a pinned list (pip freeze).
COLLAPSE_UNUSED = 10
_KEEP_IT = "keep it if something uses it without an import, else remove it"


def _collapse_unused(findings: list[Finding], plain: list[Finding]) -> list[Finding]:
    """A ``pip freeze`` lists every transitive pin: a hundred "no runtime code imports X" lines say
    less than one that names them and why they are there, in place of the first. Expected ones
    (servers, drivers) and test-only ones keep their own lines."""
    if len(plain) <= COLLAPSE_UNUSED:
        return findings
    names = [f.package or "" for f in plain]
    shown = ", ".join(names[:6]) + f" and {len(names) - 6} more"
    files = sorted({f.origin.path for f in plain if f.origin is not None})
    one = Finding(
        level="info",
        code="not-imported",
        origin=Origin(path=files[0]) if len(files) == 1 else None,
        message=f"no runtime code imports {len(names)} runtime pins ({shown}): in a pinned list (pip "
        "freeze) most arrive through other packages; keep what something uses without an import, "
        "else remove it",
    )
    folded = {id(f) for f in plain}
    first = findings.index(plain[0])
    rest = [f for f in findings if id(f) not in folded]
    return [*rest[:first], one, *rest[first:]]


def _not_imported(
    placement: Placement, test_uses: list[ImportUse], catalogue: Catalogue
) -> tuple[Finding, bool]:
    """The finding, and whether something explains the missing import (a server, a driver, tests)."""
    key = placement.key
    expected = catalogue.no_import.get(key)
    if expected:
        message = f"no runtime code imports {key}; expected ({expected})"
    elif test_uses:
        message = (
            f"only tests import {key} ({_where(test_uses)}); if it is test-only, set "
            f'[tool.dockyard] classify = {{ {key} = "test" }}'
        )
    else:
        message = f"no runtime code imports {key}; {_KEEP_IT}"
    finding = Finding(
        level="info", code="not-imported", package=key, message=message, origin=placement.entries[0].origin
    )
    return finding, bool(expected or test_uses)


def _undeclared(uses: list[ImportUse], scan: ImportScan, catalogue: Catalogue) -> list[Finding]:
    by_top: dict[str, list[ImportUse]] = {}
    for use in uses:
        top = use.module.split(".", 1)[0]
        if top not in sys.stdlib_module_names and top not in scan.own:
            by_top.setdefault(top, []).append(use)
    findings = []
    for top in sorted(by_top):
        found = by_top[top]
        dist = catalogue.distributions(top)[0]
        optional = all(u.optional for u in found)
        findings.append(
            Finding(
                level="info" if optional else "warning",
                code="undeclared-import",
                package=dist,
                origin=min(u.origin for u in found),
                message=f"runtime code imports {top}{' (optionally)' if optional else ''} ({_where(found)}), "
                f"but no declared dependency provides it; declare {dist} directly"
                " (it may only be arriving through another package)",
            )
        )
    return findings
