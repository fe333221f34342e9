"""``dockyard verify``: build (or take) the original and the generated images, run the checks of
:mod:`dockyard.verify` on both, and return one report with a row per check and a column per image.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard import process, smoke, smoke_env, smoke_services
from dockyard import verify as checks
from dockyard.config import Settings
from dockyard.engine import BuildRequest, Engine
from dockyard.engine import cli as docker_cli
from dockyard.engine.image_config import ImageConfig, inspect
from dockyard.errors import InputError
from dockyard.phases import phase2_plan
from dockyard.phases.report import Finding, Level, Progress, Status, StepReport, Table, no_progress
from dockyard.requirements.lock import pins

GENERATED_DOCKERFILE = "docker/Dockerfile"
GENERATED_TARGET = "runtime"
#: The image's own Python: the virtual environment's when VIRTUAL_ENV is set, else the first on PATH.
FIND_PYTHON = (
    'for p in "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" python3 python; do '
    'if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1; then exec "$p" -c "$0" "$@"; fi; done; '
    'echo "no python in this image" >&2; exit 127'
)


@dataclass(frozen=True, kw_only=True)
class Images:
    original: str | None  # None: the project has no Dockerfile, only the generated image is checked
    generated: str


def image_tags(project: Path) -> tuple[str, str]:
    name = re.sub(r"[^a-z0-9._-]+", "-", project.name.lower()).strip(".-_") or "project"
    return f"dockyard-verify/{name}:original", f"dockyard-verify/{name}:generated"


def in_python_argv(
    docker: str, image: str, *, name: str, code: str, args: Sequence[str] = (), env: Sequence[str] = ()
) -> list[str]:
    """Run ``code`` with the image's own Python, in place of its entrypoint, with no network."""
    return [
        docker,
        "run",
        "--name",
        name,
        "--network",
        "none",
        *(item for pair in env for item in ("--env", pair)),
        "--entrypoint",
        "sh",
        image,
        "-c",
        FIND_PYTHON,
        code,
        *args,
    ]


def direct_python_argv(
    docker: str, image: str, *, name: str, code: str, args: Sequence[str] = (), env: Sequence[str] = ()
) -> list[str]:
    """The same without a shell (a distroless runtime has none): the ``python`` its PATH finds."""
    return [
        docker, "run",
        "--name", name,
        "--network", "none",
        *(item for pair in env for item in ("--env", pair)),
        "--entrypoint", "python",
        image,
        "-c", code,
        *args,
    ]  # fmt: skip


def _no_shell(result: process.Result) -> bool:
    return result.returncode in (126, 127) and "executable file not found" in result.stderr


def run_python(
    docker: str,
    image: str,
    code: str,
    args: Sequence[str] = (),
    *,
    env: Sequence[str] = (),
    timeout: float = 180,
) -> process.Result:
    result = _run_once(in_python_argv, docker, image, code, args, env=env, timeout=timeout)
    if _no_shell(result):
        result = _run_once(direct_python_argv, docker, image, code, args, env=env, timeout=timeout)
    return result


def _run_once(
    make: Callable[..., list[str]],
    docker: str,
    image: str,
    code: str,
    args: Sequence[str],
    *,
    env: Sequence[str],
    timeout: float,
) -> process.Result:
    name = f"dockyard-verify-{uuid.uuid4().hex[:10]}"
    try:
        return process.run(
            make(docker, image, name=name, code=code, args=args, env=env), check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return process.Result((), 124, "", f"still running after {timeout:.0f}s")
    finally:
        process.run(docker_cli.remove_container_argv(docker, name), check=False, echo=False)


def build_images(
    settings: Settings,
    engine: Engine,
    *,
    original_dockerfile: str = "Dockerfile",
    original_target: str | None = None,
    with_original: bool = True,
    progress: Progress = no_progress,
) -> Images:
    """Build the generated image, and the original too (``with_original``) when there is one."""
    project = settings.project
    original_tag, generated_tag = image_tags(project)
    original = None
    if with_original and (project / original_dockerfile).is_file():
        progress(f"building the original ({original_dockerfile})")
        request = BuildRequest(
            context=project,
            dockerfile=project / original_dockerfile,
            target=original_target,
            tags=(original_tag,),
            build_args=settings.build_args,
        )
        engine.build(request, label="verify-original", on_step=lambda s: progress(f"original: {s.name[:70]}"))
        original = original_tag
    if not (project / GENERATED_DOCKERFILE).is_file():
        raise InputError(
            f"no {GENERATED_DOCKERFILE} to verify",
            path=str(project / GENERATED_DOCKERFILE),
            hint="run `dockyard phase2` first, or pass --generated IMAGE",
        )
    progress(f"building the generated image ({GENERATED_DOCKERFILE}, target {GENERATED_TARGET})")
    request = BuildRequest(
        context=project,
        dockerfile=project / GENERATED_DOCKERFILE,
        target=GENERATED_TARGET,
        tags=(generated_tag,),
    )
    engine.build(request, label="verify-generated", on_step=lambda s: progress(f"generated: {s.name[:70]}"))
    return Images(original=original, generated=generated_tag)


def verify(
    settings: Settings,
    engine: Engine,
    *,
    original: str | None = None,
    generated: str | None = None,
    original_dockerfile: str = "Dockerfile",
    original_target: str | None = None,
    progress: Progress = no_progress,
) -> StepReport:
    """Compare the two images; ``original``/``generated`` are image refs to take instead of building."""
    if generated is None:
        built = build_images(
            settings,
            engine,
            original_dockerfile=original_dockerfile,
            original_target=original_target,
            with_original=original is None,
            progress=progress,
        )
        original = original or built.original
        generated = built.generated
    return compare(settings, engine.docker, Images(original=original, generated=generated), progress=progress)


def compare(
    settings: Settings, docker: str, images: Images, *, progress: Progress = no_progress
) -> StepReport:
    progress("inspecting the images")
    gen = inspect(docker, images.generated)
    orig = inspect(docker, images.original) if images.original else None
    rows: list[checks.Check] = []
    unnamed = orig is not None and names_no_command(settings)
    if orig is not None:
        rows += checks.contract_checks(orig, gen, command_set=settings.is_set("app_command"), unnamed=unnamed)

    progress("listing the installed Python distributions")
    runtime_locks, dev_locks = locked(settings)
    gen_installed = _installed(docker, images.generated)
    orig_installed = _installed(docker, images.original) if images.original else None
    if isinstance(gen_installed, str):
        rows.append(
            checks.Check(
                name="python distributions", original="", generated="", ok=False, differences=(gen_installed,)
            )
        )
    else:
        row = checks.distributions_check(
            None if isinstance(orig_installed, str) else orig_installed,
            gen_installed,
            runtime_locks=runtime_locks,
            dev_locks=dev_locks,
            project=checks.project_name(settings.project),
        )
        if isinstance(orig_installed, str):  # the original is compared with the locks only
            row = replace(row, notes=(*row.notes, orig_installed))
        rows.append(row)

    progress("smoke-testing both images")
    env = smoke_env.for_project(settings.project, settings.smoke_env)
    flags = env.as_flags()
    if orig is not None and unnamed:
        # run as the project runs it: with the command its compose file (or Procfile) gives
        orig = replace(orig, entrypoint=gen.entrypoint, cmd=gen.cmd)
    with smoke_services.started(docker, settings.project) as services:
        if services.names:
            progress(f"started what the service depends on: {', '.join(services.names)}")
        gen_probe = replace(_probe(gen, orig, settings), env=flags, network=services.network)
        gen_smoke = smoke.run_probe(docker, images.generated, gen_probe)
        orig_smoke = None
        if orig is not None and images.original:
            orig_probe = replace(_probe(orig, orig, settings), env=flags, network=services.network)
            if unnamed and orig_probe.kind == "network":
                orig_probe = replace(orig_probe, command=gen.argv)
            orig_smoke = smoke.run_probe(docker, images.original, orig_probe)
    smoke_row = checks.smoke_check(orig_smoke, gen_smoke)
    smoke_row = replace(smoke_row, notes=(*smoke_row.notes, *services.notes))
    if not smoke_row.ok and orig_smoke is not None and not orig_smoke.ok:
        hints = smoke_env.what_it_may_need(settings.project, started=services.names)
        smoke_row = replace(smoke_row, notes=(*smoke_row.notes, *hints))
    if env.variables:
        names = ", ".join(key for key, _ in env.variables)
        smoke_row = replace(smoke_row, notes=(*smoke_row.notes, f"run with {names} from {env.source}"))
    rows.append(smoke_row)

    modules = checks.project_modules(settings.project)
    progress(f"importing the project's modules ({', '.join(modules) or 'none'})")
    gen_imports = _imports(docker, images.generated, modules, flags)
    orig_imports = _imports(docker, images.original, modules, flags) if images.original else None
    rows.append(checks.imports_check(modules, orig_imports, gen_imports))
    return report(rows, images)


def names_no_command(settings: Settings) -> bool:
    """The project's Dockerfile (at the stage it builds) sets neither ENTRYPOINT nor CMD."""
    try:
        current = phase2_plan.original(settings)
    except InputError:
        return False
    return current is not None and not current.command


def _probe(image: ImageConfig, original: ImageConfig | None, settings: Settings) -> smoke.Probe:
    """Both images get the original's kind of probe, so a command is compared with a command."""
    probe = smoke.plan_probe(image, settings)
    if (
        original is not None
        and smoke.plan_probe(original, settings).kind == "command"
        and probe.kind != "command"
    ):
        args = settings.smoke_probe
        return smoke.Probe(
            kind="command", reason="the original is a command", argv=smoke.command_with(image, args)
        )
    return probe


def locked(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """Pinned versions of the runtime locks (base, ml) and of the dev and test locks."""

    def read(*names: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in names:
            path = settings.project / settings.requirements_dir / f"{name}.txt"
            if path.is_file():
                found.update(pins(path.read_text(encoding="utf-8")))
        return found

    return read("base", "ml"), read("dev", "test")


def _installed(docker: str, image: str) -> checks.Installed | str:
    result = run_python(docker, image, checks.LIST_DISTRIBUTIONS)
    try:
        return checks.parse_installed(result.stdout)
    except (IndexError, ValueError, KeyError):
        return f"could not list distributions in {image}: {(result.stderr or result.stdout).strip()[-300:]}"


def _imports(docker: str, image: str, modules: Sequence[str], env: Sequence[str] = ()) -> dict[str, str]:
    if not modules:
        return {}
    result = run_python(docker, image, checks.IMPORT_MODULES, modules, env=env)
    try:
        return checks.parse_imports(result.stdout)
    except (IndexError, ValueError):
        error = (result.stderr or result.stdout).strip()[-300:] or f"exit code {result.returncode}"
        return {module: error for module in modules}


def _cell(text: str, width: int = 60) -> str:
    """Table cells stay short; the JSON report has them whole."""
    return text if len(text) <= width else text[: width - 3] + "..."


def report(rows: Sequence[checks.Check], images: Images) -> StepReport:
    failed = [row for row in rows if not row.ok]
    table = Table.of(
        "",
        ("check", f"original ({images.original or 'none'})", f"generated ({images.generated})", "result"),
        ((row.name, _cell(row.original), _cell(row.generated), "pass" if row.ok else "FAIL") for row in rows),
    )
    findings = [
        Finding(level=Level.ERROR, message=f"{row.name}: {d}") for row in rows for d in row.differences
    ]
    findings += [Finding(level=Level.INFO, message=f"{row.name}: {n}") for row in rows for n in row.notes]
    summary = (
        f"{len(failed)} of {len(rows)} checks failed: {', '.join(row.name for row in failed)}"
        if failed
        else f"all {len(rows)} checks passed"
    )
    return StepReport(
        name="verify",
        status=Status.FAILED if failed else Status.DONE,
        summary=summary,
        findings=tuple(findings),
        tables=(table,),
        data={
            "original": images.original,
            "generated": images.generated,
            "checks": [row.as_json() for row in rows],
        },
    )
