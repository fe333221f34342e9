"""How a project without a Dockerfile starts, found the way ``docker init`` and Railpack find it:
a Procfile, a Django, FastAPI, Flask, Streamlit or Gradio application (read with ``ast``, never
imported), ``[project.scripts]`` and console_scripts, or a package with ``__main__.py``.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dockyard import smoke_env
from dockyard.errors import InputError

WEB_PORT = 8000
STREAMLIT_PORT = 8501
GRADIO_PORT = 7860
#: Directories that hold no application entry point.
SKIP_DIRS = frozenset(
    {
        "tests",
        "test",
        "docs",
        "doc",
        "examples",
        "example",
        "scripts",
        "notebooks",
        "benchmarks",
        "venv",
        ".venv",
        "env",
        "build",
        "dist",
        "node_modules",
        "migrations",
        "site-packages",
        "docker",
    }
)
#: File names that usually hold the application object, best first.
APP_FILES = ("app.py", "main.py", "server.py", "asgi.py", "wsgi.py", "api.py", "application.py")
_PORT_VAR = re.compile(r"\$\{PORT(?::?-(\d+))?\}|\$PORT\b")


@dataclass(frozen=True, kw_only=True)
class StartCommand:
    argv: tuple[str, ...]
    port: int  # 0: not a network service
    reason: str  # "chose X because Y"
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    others: tuple[str, ...] = ()  # the other candidates, for the report


@dataclass(frozen=True, kw_only=True)
class _Candidate:
    argv: tuple[str, ...]
    port: int
    because: str
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def infer(project: Path) -> StartCommand | None:
    """The best start command and why, or None when the project gives no hint."""
    found = [*compose(project), *procfile(project, "web"), *django(project), *web_apps(project)]
    found += [*scripts(project), *main_packages(project), *procfile(project, "worker"), *main_script(project)]
    if not found:
        return None
    best, rest = found[0], found[1:]
    reason = f"chose `{shlex.join(best.argv)}` because {best.because}"
    others = tuple(dict.fromkeys(f"`{shlex.join(c.argv)}` ({c.because})" for c in rest))
    return StartCommand(argv=best.argv, port=best.port, reason=reason, env=best.env, others=others)


def require(project: Path) -> StartCommand:
    found = infer(project)
    if found is None:
        raise InputError(
            "cannot tell how the project starts: no Dockerfile, Procfile, web application, "
            "[project.scripts] or package with __main__.py",
            path=str(project),
            hint='set app_command in [tool.dockyard], e.g. app_command = ["python", "-m", "pkg"]',
        )
    return found


# --- compose -----------------------------------------------------------------------------------------


def compose(project: Path) -> list[_Candidate]:
    """The ``command`` (after any ``entrypoint``) of the compose service that builds the project:
    how the project itself runs an image whose Dockerfile names no command. A command that needs
    compose's interpolation (``$VAR``) is left to the other hints."""
    for service in smoke_env.building_services(project):
        argv = (
            *smoke_env.compose_argv(service.definition.get("entrypoint")),
            *smoke_env.compose_argv(service.definition.get("command")),
        )
        if not argv or any("$" in arg for arg in argv):
            continue
        port = next(iter(compose_ports(service.definition)), 0)
        because = f"the {service.where(project)} service {service.name}, which builds the project, runs it"
        return [_Candidate(argv=argv, port=port, because=because)]
    return []


def compose_ports(service: Mapping[str, Any]) -> list[int]:
    """The container ports a compose service publishes (``ports``, short or long syntax) or exposes."""
    found: list[int] = []
    for item in [*(service.get("ports") or []), *(service.get("expose") or [])]:
        raw = item.get("target") if isinstance(item, dict) else str(item).split("/")[0].rsplit(":", 1)[-1]
        text = str(raw).split("-")[0]
        if text.isdigit() and int(text) not in found:
            found.append(int(text))
    return found


# --- Procfile --------------------------------------------------------------------------------------


def procfile(project: Path, process_type: str) -> list[_Candidate]:
    path = project / "Procfile"
    if not path.is_file():
        return []
    port = WEB_PORT if process_type == "web" else 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        kind, sep, command = line.partition(":")
        if sep and kind.strip() == process_type and command.strip():
            text = _PORT_VAR.sub(lambda m: m.group(1) or str(port), command.strip())
            argv = tuple(shlex.split(text))
            return [
                _Candidate(argv=argv, port=port, because=f"the Procfile's `{process_type}:` line runs it")
            ]
    return []


# --- Django ------------------------------------------------------------------------------------------


def django(project: Path) -> list[_Candidate]:
    manage = project / "manage.py"
    if not manage.is_file():
        return []
    match = re.search(
        r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", manage.read_text(errors="replace")
    )
    package = match.group(1).split(".")[0] if match else ""
    if package and (project / package / "wsgi.py").is_file():
        wsgi = f"{package}.wsgi:application"
        if declares(project, "gunicorn"):
            argv = ("gunicorn", "--bind", f"0.0.0.0:{WEB_PORT}", wsgi)
            return [
                _Candidate(
                    argv=argv,
                    port=WEB_PORT,
                    because=f"manage.py and {package}/wsgi.py make it a Django project served by gunicorn",
                )
            ]
    argv = ("python", "manage.py", "runserver", f"0.0.0.0:{WEB_PORT}")
    why = "manage.py makes it a Django project (no gunicorn among its dependencies: the development server)"
    return [_Candidate(argv=argv, port=WEB_PORT, because=why)]


# --- applications found by their imports ---------------------------------------------------------------

_ASGI = {"FastAPI": "FastAPI", "Starlette": "Starlette", "Quart": "Quart", "Litestar": "Litestar"}


def web_apps(project: Path) -> list[_Candidate]:
    found: list[tuple[tuple[int, int, str], _Candidate]] = []
    for path, tree in _modules(project):
        rel = path.relative_to(project)
        module, app_dir = _module_name(rel)
        rank = (
            APP_FILES.index(path.name) if path.name in APP_FILES else len(APP_FILES),
            len(rel.parts),
            str(rel),
        )
        for name, factory in _app_objects(tree):
            if factory in _ASGI:
                where = ("--app-dir", app_dir) if app_dir else ()
                argv: tuple[str, ...] = (
                    "uvicorn",
                    f"{module}:{name}",
                    "--host",
                    "0.0.0.0",
                    "--port",
                    str(WEB_PORT),
                    *where,
                )
                why = f"{rel} creates a {factory} application `{name}`"
                found.append((rank, _Candidate(argv=argv, port=WEB_PORT, because=why)))
            elif factory == "Flask":
                found.append(
                    (rank, _flask(project, f"{module}:{name}", f"{rel} creates a Flask application `{name}`"))
                )
            elif factory == "create_app":
                found.append(
                    (
                        rank,
                        _flask(
                            project, f"{module}:create_app()", f"{rel} defines the Flask factory create_app()"
                        ),
                    )
                )
        imported = _imported(tree)
        if "streamlit" in imported and _calls_at_top(tree):
            argv = (
                "streamlit",
                "run",
                str(rel),
                "--server.port",
                str(STREAMLIT_PORT),
                "--server.address",
                "0.0.0.0",
            )
            found.append(
                (
                    (rank[0] - 100, *rank[1:]),
                    _Candidate(argv=argv, port=STREAMLIT_PORT, because=f"{rel} is a Streamlit script"),
                )
            )
        elif "gradio" in imported and _launches(tree):
            env = MappingProxyType({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": str(GRADIO_PORT)})
            why = f"{rel} launches a Gradio application"
            found.append(
                (rank, _Candidate(argv=("python", str(rel)), port=GRADIO_PORT, because=why, env=env))
            )
    return [c for _, c in sorted(found, key=lambda pair: pair[0])]


def _flask(project: Path, target: str, why: str) -> _Candidate:
    if declares(project, "gunicorn"):
        return _Candidate(
            argv=("gunicorn", "--bind", f"0.0.0.0:{WEB_PORT}", target),
            port=WEB_PORT,
            because=why + ", served by gunicorn",
        )
    argv = ("flask", "--app", target, "run", "--host", "0.0.0.0", "--port", str(WEB_PORT))
    return _Candidate(
        argv=argv, port=WEB_PORT, because=why + " (no gunicorn among its dependencies: flask run)"
    )


def _modules(project: Path) -> Iterator[tuple[Path, ast.Module]]:
    """Parsed Python files up to three directories deep, outside tests, docs and virtualenvs."""
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project)
        if len(rel.parts) > 4 or any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts[:-1]):
            continue
        if rel.name.startswith("test_") or rel.name in ("setup.py", "conftest.py", "noxfile.py", "manage.py"):
            continue
        try:
            yield path, ast.parse(path.read_bytes(), filename=str(rel))
        except (SyntaxError, ValueError, OSError):
            continue


def _module_name(rel: Path) -> tuple[str, str]:
    """``pkg/app.py`` -> ``pkg.app``; under ``src/`` the module is relative to it (``--app-dir src``)."""
    parts = list(rel.with_suffix("").parts)
    app_dir = ""
    if parts[0] == "src" and len(parts) > 1:
        parts, app_dir = parts[1:], "src"
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts), app_dir


def _called(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _factories(tree: ast.Module) -> dict[str, str]:
    """Module-level functions that build an application: name -> the framework class they call."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and (_called(inner) in _ASGI or _called(inner) == "Flask"):
                    found[node.name] = _called(inner)
                    break
    return found


def _app_objects(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(name, framework) for module-level ``name = FastAPI(...)`` / ``Flask(...)``, or ``name =
    create_app()`` where the module's ``create_app`` builds one; and a Flask factory alone."""
    factories = _factories(tree)
    assigned = False
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            target, called = node.targets[0], _called(node.value)
            framework = called if called in _ASGI or called == "Flask" else factories.get(called, "")
            if isinstance(target, ast.Name) and framework:
                assigned = True
                yield target.id, framework
    if not assigned and factories.get("create_app") == "Flask":
        yield "create_app", "create_app"


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _calls_at_top(tree: ast.Module) -> bool:
    """A Streamlit script draws at module level (``st.title(...)``), unlike a module it imports."""
    return any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) for n in tree.body)


def _launches(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "launch"
        for n in ast.walk(tree)
    )


# --- declared scripts and runnable packages -------------------------------------------------------------


def scripts(project: Path) -> list[_Candidate]:
    declared = console_scripts(project)
    if not declared:
        return []
    name = _project_name(project)
    order = sorted(declared, key=lambda s: (s.replace("_", "-") != name, s))
    return [
        _Candidate(
            argv=(script,),
            port=0,
            because=f"the project declares the console script `{script}` ({declared[script]})",
        )
        for script in order
    ]


def console_scripts(project: Path) -> dict[str, str]:
    """Script name -> ``module:function`` from pyproject, setup.cfg and a literal setup.py."""
    found: dict[str, str] = {}
    data = _pyproject(project)
    found.update({str(k): str(v) for k, v in data.get("project", {}).get("scripts", {}).items()})
    found.update(
        {
            str(k): str(v)
            for k, v in data.get("tool", {}).get("poetry", {}).get("scripts", {}).items()
            if isinstance(v, str)
        }
    )
    cfg = project / "setup.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(cfg.read_text(encoding="utf-8", errors="replace"))
            found.update(_entry_lines(parser.get("options.entry_points", "console_scripts", fallback="")))
        except configparser.Error:
            pass
    setup = project / "setup.py"
    if setup.is_file():
        found.update(_setup_py_scripts(setup))
    return found


def _entry_lines(text: str | list[str]) -> dict[str, str]:
    lines = text.splitlines() if isinstance(text, str) else text
    pairs = (line.partition("=") for line in lines)
    return {name.strip(): target.strip() for name, sep, target in pairs if sep and name.strip()}


def _setup_py_scripts(path: Path) -> dict[str, str]:
    """``setup(entry_points={"console_scripts": [...]})`` when written as a literal."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "entry_points":
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            if isinstance(value, dict):
                entries = value.get("console_scripts", [])
                return _entry_lines(entries if isinstance(entries, list | str) else [])
    return {}


def main_packages(project: Path) -> list[_Candidate]:
    found = []
    for root in (project, project / "src"):
        for main in sorted(root.glob("*/__main__.py")):
            package = main.parent.name
            if package not in SKIP_DIRS and (main.parent / "__init__.py").is_file():
                why = f"{main.relative_to(project)} makes `python -m {package}` run it"
                found.append(_Candidate(argv=("python", "-m", package), port=0, because=why))
    return found


def main_script(project: Path) -> list[_Candidate]:
    for name in ("main.py", "app.py"):
        if (project / name).is_file():
            return [_Candidate(argv=("python", name), port=0, because=f"{name} is at the project's root")]
    return []


# --- what the project declares -----------------------------------------------------------------------------


def declares(project: Path, package: str) -> bool:
    """Whether ``package`` appears among the project's declared dependencies (a textual check)."""
    word = re.compile(rf"(?im)^\s*[\"']?{re.escape(package)}(?![\w.-])")
    files = [project / "pyproject.toml", project / "setup.py", project / "setup.cfg", project / "Pipfile"]
    files += sorted(project.glob("requirements*.txt")) + sorted(project.glob("requirements/*.txt"))
    files += sorted(project.glob("requirements/*.in"))
    for path in files:
        if path.is_file() and word.search(path.read_text(encoding="utf-8", errors="replace")):
            return True
    return False


def _pyproject(project: Path) -> dict[str, Any]:
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _project_name(project: Path) -> str:
    data = _pyproject(project)
    table = data.get("project", {})
    name = table.get("name", "") if isinstance(table, dict) else ""
    return str(name).replace("_", "-").lower()
