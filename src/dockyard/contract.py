"""What the original image does when it runs, read from the project's Dockerfile.

The running contract (entrypoint and command as Docker combines them, environment, working directory,
ports, volumes, labels, stop signal, health check, user), the application's layout inside the image,
the directories it writes to, and the apt packages it installed, at the stage ``docker build`` builds.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard import dockerfile as dockerfile_mod
from dockyard.dockerfile import Dockerfile, Healthcheck, Stage
from dockyard.errors import InputError

#: Names a Dockerfile goes by, besides ``Dockerfile`` itself (root of the project only).
_CANDIDATE = re.compile(r"^(Dockerfile\.[^/]+|[^/]+\.[Dd]ockerfile|dockerfile)$")
_NOT_CANDIDATE = (".dockerignore", ".new", ".bak", ".orig", ".swp", ".j2", ".tmpl", ".template")
_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(\d+\.\d+)(?:[.\-].*)?$")

#: Toolchain packages: the builder needs them to compile, the running application never does.
#: (``-dev`` packages are recognised by their name; git fetches ``git+`` requirements at build time.)
BUILD_TOOLS: frozenset[str] = frozenset(
    {
        "build-essential", "gcc", "g++", "cpp", "c++", "make", "cmake", "pkg-config", "pkgconf",
        "autoconf", "automake", "libtool", "clang", "gfortran", "cargo", "rustc", "swig",
        "ninja-build", "meson", "cython3", "git", "patch", "dpkg-dev",
    }
)  # fmt: skip
_VERSIONED_TOOL = re.compile(r"^(gcc|g\+\+|clang|cpp|gfortran)-\d+$")


def is_build_package(name: str) -> bool:
    base = name.split(":", 1)[0]
    return base in BUILD_TOOLS or base.endswith("-dev") or bool(_VERSIONED_TOOL.match(base))


@dataclass(frozen=True, kw_only=True)
class AppCopy:
    """A path of the build context and where the original image has it (absolute)."""

    source: str
    dest: str
    line: int
    chown: bool = False


@dataclass(frozen=True, kw_only=True)
class Contract:
    dockerfile: Path
    stage: str
    stages: tuple[str, ...]
    base_image: str
    entrypoint: tuple[str, ...] | None
    cmd: tuple[str, ...] | None
    env: tuple[tuple[str, str], ...]
    workdir: str | None
    expose: tuple[str, ...]
    volumes: tuple[str, ...]
    labels: Mapping[str, str]
    stopsignal: str | None
    healthcheck: Healthcheck | None
    shell: tuple[str, ...] | None
    user: str | None
    copies: tuple[AppCopy, ...]
    writable_dirs: tuple[str, ...]
    executables: tuple[str, ...]
    apt_packages: tuple[str, ...]
    installs_itself: bool = False
    #: RUN scripts of the final stage's chain that make the application's files (collectstatic)
    build_steps: tuple[str, ...] = ()

    @property
    def command(self) -> tuple[str, ...]:
        """What the container runs, as Docker combines them: CMD is appended to ENTRYPOINT (a
        shell-form ENTRYPOINT is ``sh -c TEXT`` and so ignores it)."""
        return (*(self.entrypoint or ()), *(self.cmd or ()))

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(int(p.split("/")[0]) for p in self.expose if p.split("/")[0].isdigit())

    @property
    def runs_as_root(self) -> bool:
        return self.user is None or self.user.split(":")[0] in {"", "root", "0"}

    @property
    def python_version(self) -> str | None:
        return python_minor(self.base_image)

    @property
    def runtime_packages(self) -> tuple[str, ...]:
        return tuple(p for p in self.apt_packages if not is_build_package(package_name(p)))

    @property
    def build_packages(self) -> tuple[str, ...]:
        return tuple(p for p in self.apt_packages if is_build_package(package_name(p)))


# --- finding the Dockerfile and the stage -----------------------------------------------------------


#: Installers whose ``run`` finds the project's environment. The generated image has the venv on PATH
#: and not the installer (verify lists it as dropped), so ``poetry run uvicorn ...`` runs as ``uvicorn ...``.
RUNNERS = frozenset({"poetry", "pipenv", "pdm", "uv"})
_SHELL_RUNNER = re.compile(r"(exec\s+)?(poetry|pipenv|pdm|uv)\s+run\s+(--\s+)?(?=[^-\s])")


def unwrap_runner(argv: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """``argv`` without a leading ``poetry run`` (``pipenv run``, ``pdm run``, ``uv run``), and the
    runner taken off; with options after ``run`` it is left as it is (they may choose an environment)."""
    words = tuple(argv)
    if len(words) >= 2 and PurePosixPath(words[0]).name in RUNNERS and words[1] == "run":
        rest = words[2:]
        if rest[:1] == ("--",):
            rest = rest[1:]
        elif rest and rest[0].startswith("-"):
            return words, None
        return rest, f"{PurePosixPath(words[0]).name} run"
    if len(words) == 3 and PurePosixPath(words[0]).name in ("sh", "bash") and words[1] == "-c":
        match = _SHELL_RUNNER.match(words[2])
        if match:
            text = (match.group(1) or "") + words[2][match.end() :]
            return (words[0], words[1], text), f"{match.group(2)} run"
    return words, None


def without_runner(
    entrypoint: tuple[str, ...] | None, cmd: tuple[str, ...] | None
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, str | None]:
    """ENTRYPOINT and CMD with the runner taken off the one that starts the command (an ENTRYPOINT
    that was only ``poetry run`` goes, and CMD runs alone), and the runner, or None."""
    if entrypoint:
        stripped, runner = unwrap_runner(entrypoint)
        return (stripped or None), cmd, runner
    if cmd:
        stripped, runner = unwrap_runner(cmd)
        return entrypoint, stripped, runner
    return entrypoint, cmd, None


def locate(project: Path, setting: str = "") -> Path | None:
    """The project's Dockerfile: the ``dockerfile`` setting, ``Dockerfile``, or the only other
    candidate at the root (``Dockerfile.*``, ``*.Dockerfile``). None when there is none."""
    if setting:
        path = project / setting
        if not path.is_file():
            raise InputError(
                f"the `dockerfile` setting names {setting}, which is not a file",
                path=str(path),
                hint="set dockerfile in [tool.dockyard] to the Dockerfile's path, relative to the project",
            )
        return path
    if (project / "Dockerfile").is_file():
        return project / "Dockerfile"
    found = sorted(
        p
        for p in project.iterdir()
        if p.is_file() and _CANDIDATE.match(p.name) and not p.name.endswith(_NOT_CANDIDATE)
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(
            f"several Dockerfiles and none named Dockerfile: {names}",
            path=str(project),
            hint=f'say which one phase 2 starts from: dockerfile = "{found[0].name}" in [tool.dockyard] '
            f"(or DOCKYARD_DOCKERFILE={found[0].name})",
        )
    return found[0] if found else None


def target_stage(parsed: Dockerfile, target: str = "") -> Stage:
    """The stage ``docker build`` builds: the last one, or ``--target``."""
    if not target:
        return parsed.final_stage
    stage = parsed.stage(target)
    if stage is None:
        named = ", ".join(s.ref for s in parsed.stages)
        raise InputError(
            f"the `target` setting names {target}, which is not a stage of the Dockerfile",
            path=str(parsed.path),
            hint=f"set target to one of: {named}",
        )
    return stage


def python_minor(image: str) -> str | None:
    """``python:3.12-slim-bookworm`` -> ``3.12``; None for other images and bare ``python:3``."""
    match = _PYTHON_IMAGE.match(image)
    return match.group(1) if match else None


def is_full_python_image(image: str) -> bool:
    """``python:3.11``, ``python:3.11.9-bookworm``: the full image, with compilers and ``-dev``
    libraries (not ``-slim``, ``-alpine`` or ``-windowsservercore``)."""
    if python_minor(image) is None:
        return False
    tag = image.rsplit(":", 1)[-1]
    return not any(word in tag for word in ("slim", "alpine", "windows", "nanoserver"))


def base_image_for(project: Path, *, dockerfile: str = "", target: str = "") -> str | None:
    """``python:X.Y-slim`` for the original's Python X.Y, when the original is a python image."""
    try:
        path = locate(project, dockerfile)
        if path is None:
            return None
        parsed = dockerfile_mod.parse_file(path)
        version = python_minor(parsed.root_image(target_stage(parsed, target)))
    except InputError:
        return None  # the phase that reads the Dockerfile reports it
    return f"python:{version}-slim" if version else None


# --- the contract ------------------------------------------------------------------------------------


def read(path: Path, *, target: str = "") -> Contract:
    parsed = dockerfile_mod.parse_file(path)
    stage = target_stage(parsed, target)
    chain = parsed.chain(stage)
    copies = tuple(_dedupe(_app_copies(parsed, chain)))
    runs = [run for s in chain for run in s.runs]
    scripts = [run.script for run in runs]
    # Other stages (a builder the final stage copies from) count for what the build needs.
    all_scripts = [run.script for s in parsed.stages for run in s.runs]
    other_build = [p for sc in all_scripts for p in apt_installs(sc) if is_build_package(package_name(p))]
    writable = _writable_dirs(runs, stage, copies)
    executables = _executables(runs, copies, stage)
    return Contract(
        dockerfile=path,
        stage=stage.ref,
        stages=tuple(s.ref for s in parsed.stages),
        base_image=parsed.root_image(stage),
        entrypoint=stage.entrypoint.argv if stage.entrypoint else None,
        cmd=(
            None
            if stage.cmd is None or (stage.entrypoint is not None and stage.entrypoint.form == "shell")
            else stage.cmd.argv
        ),
        env=tuple(_raw_env(parsed, chain)),
        workdir=stage.workdir,
        expose=tuple(f"{p.value}/{p.protocol}" for p in stage.expose if p.value),
        volumes=stage.volumes,
        labels=stage.labels,
        stopsignal=stage.stopsignal,
        healthcheck=stage.healthcheck,
        shell=stage.shell,
        user=stage.user,
        copies=copies,
        writable_dirs=writable,
        executables=executables,
        apt_packages=tuple(dict.fromkeys([*(p for sc in scripts for p in apt_installs(sc)), *other_build])),
        installs_itself=any(installs_itself(script) for script in all_scripts),
        build_steps=app_build_steps(scripts),
    )


def _raw_env(parsed: Dockerfile, chain: Sequence[Stage]) -> Iterator[tuple[str, str]]:
    """ENV of the chain as written, ARG defaults substituted (ARGs do not exist at run time) and
    every other ``$VAR`` left for Docker to expand against the new image's environment."""
    for stage in chain:
        args: dict[str, str] = {}
        for ins in stage.instructions:
            if ins.keyword == "ARG":
                for word in ins.args:
                    name, sep, default = word.partition("=")
                    value = default if sep else parsed.global_args.get(name)
                    if value is not None:
                        args[name] = value
            elif ins.keyword == "ENV":
                words = list(ins.args)
                for key, value in zip(words[::2], words[1::2], strict=False):
                    yield key, _substitute(value, args)


_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _substitute(word: str, known: Mapping[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return known[name] if name in known else match.group(0)

    return _REF.sub(sub, word)


def _app_copies(parsed: Dockerfile, chain: Sequence[Stage]) -> Iterator[AppCopy]:
    """Context paths the stage (and the stages it builds on) copies in, where they land; a
    ``COPY --from=stage`` of a directory follows what that stage copied from the context."""
    for stage in chain:
        for copy in stage.copies:
            if copy.from_ is None:
                yield from _copy_targets(copy)
                continue
            other = parsed.stage(copy.from_)
            if other is None or other.index >= stage.index:
                continue
            for source in copy.sources:
                prefix = PurePosixPath("/", source)
                for inner in _app_copies(parsed, parsed.chain(other)):
                    dest = PurePosixPath(inner.dest)
                    if dest == prefix or prefix in dest.parents:
                        moved = PurePosixPath(copy.target) / dest.relative_to(prefix)
                        yield AppCopy(source=inner.source, dest=str(moved), line=copy.line)


def _copy_targets(copy: dockerfile_mod.Copy) -> Iterator[AppCopy]:
    sources = copy.context_sources
    into_dir = copy.dest.endswith(("/", "/.")) or copy.dest in {".", "./"} or len(sources) > 1
    for source in sources:
        clean = dockerfile_mod_normalize(source)
        if into_dir and clean and not _names_directory(source):
            dest = str(PurePosixPath(copy.target) / PurePosixPath(clean).name)
        else:
            dest = copy.target
        yield AppCopy(source=clean, dest=dest, line=copy.line, chown=copy.chown is not None)


def _names_directory(source: str) -> bool:
    # `COPY dir/ /x/` and `COPY . /x` copy a directory's contents; we cannot stat the context here,
    # so a name without a suffix is taken for a directory only when written with a slash.
    return source.endswith("/") or dockerfile_mod_normalize(source) == ""


def dockerfile_mod_normalize(source: str) -> str:
    """``./app/`` -> ``app``; the context root is ``""``."""
    return str(PurePosixPath("/", source)).lstrip("/").rstrip("/")


def _dedupe(copies: Iterator[AppCopy]) -> Iterator[AppCopy]:
    seen: set[tuple[str, str]] = set()
    for copy in copies:
        if (copy.source, copy.dest) not in seen:
            seen.add((copy.source, copy.dest))
            yield copy


# --- what the RUN lines did ---------------------------------------------------------------------------


def commands(script: str) -> Iterator[list[str]]:
    """Simple commands of a shell script (split at ``&&``, ``||``, ``;``, ``|`` and newlines)."""
    text = script.replace("\\\n", " ").replace("\n", " ; ")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    current: list[str] = []
    try:
        for token in lexer:
            if set(token) <= set(";&|"):
                if current:
                    yield current
                current = []
            else:
                current.append(token)
    except ValueError:
        return
    if current:
        yield current


def apt_installs(script: str) -> Iterator[str]:
    """Packages ``apt-get install`` / ``apt install`` lines name (with their ``=version`` pins)."""
    for argv in commands(script):
        words = [w for w in argv if not re.match(r"^[A-Z_]+=", w)]  # DEBIAN_FRONTEND=... prefixes
        if len(words) < 2 or PurePosixPath(words[0]).name not in {"apt-get", "apt"}:
            continue
        if "install" not in words:
            continue
        after = words[words.index("install") + 1 :]
        for word in after:
            if not word.startswith("-") and "$" not in word and re.match(r"^[a-z0-9][a-z0-9.+:=~-]*$", word):
                yield word


#: Programs a RUN step uses to make the application's own files (``manage.py collectstatic``,
#: ``flask translate compile``, ``pybabel compile``), as opposed to installing or testing.
_APP_BUILDERS = re.compile(r"^(python3?(\.\d+)?|manage\.py|django-admin|flask|pybabel)$")
_NOT_APP_BUILD = frozenset({"pip", "pip3", "setup.py", "pytest", "venv", "ensurepip", "install", "test"})


def app_build_steps(scripts: Sequence[str]) -> tuple[str, ...]:
    """The RUN scripts that build the application's own files: every command in them is Python, a
    Django or Flask management command or pybabel, and none installs packages or runs tests."""
    found = []
    for script in scripts:
        argvs = [[w for w in argv if not re.match(r"^[A-Z_]+=", w)] for argv in commands(script)]
        argvs = [argv for argv in argvs if argv]
        if not argvs or not all(_APP_BUILDERS.match(PurePosixPath(argv[0]).name) for argv in argvs):
            continue
        words = {PurePosixPath(w).name for argv in argvs for w in argv[1:3]}
        if not words & _NOT_APP_BUILD and not any(argv[1:2] == ["-c"] for argv in argvs):
            found.append(script)
    return tuple(found)


_SELF_INSTALL = re.compile(r"^(\.|\./|\.\[.*\]|/\S*)$")


def installs_itself(script: str) -> bool:
    """The script installs the project from its own source (``pip install .``, ``-e .``, ``/app``,
    ``setup.py install``), not only its requirements."""
    for argv in commands(script):
        names = [PurePosixPath(w).name for w in argv]
        if "setup.py" in names and ({"install", "develop"} & set(argv)):
            return True
        if "install" not in argv or not {"pip", "pip3"} & set(names):
            continue
        after = argv[argv.index("install") + 1 :]
        skip_next = False
        for word in after:
            if skip_next:
                skip_next = False
            elif word in {
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "--target",
                "-t",
                "--prefix",
                "--root",
            }:
                skip_next = True
            elif not word.startswith("-") and _SELF_INSTALL.match(word):
                return True
    return False


def package_name(spec: str) -> str:
    return spec.split("=", 1)[0]


def _writable_dirs(
    runs: Sequence[dockerfile_mod.Run], stage: Stage, copies: Sequence[AppCopy]
) -> tuple[str, ...]:
    """Directories the original made or handed to a user at build time (mkdir, install -d, chown),
    its VOLUMEs and, when it ran as root, its WORKDIR: the running application may write there."""
    files = {c.dest for c in copies if "." in PurePosixPath(c.dest).name}
    found: list[str] = []
    for run in runs:
        for argv in commands(run.script):
            tool = PurePosixPath(argv[0]).name if argv else ""
            operands = [w for w in argv[1:] if not w.startswith("-")]
            if tool == "mkdir" or (tool == "install" and "-d" in argv):
                paths = operands
            elif tool == "chown":
                paths = [p for p in operands[1:] if "." not in PurePosixPath(p).name]
            else:
                continue
            for path in paths:
                if "$" in path or "*" in path:
                    continue
                absolute = str(PurePosixPath(run.workdir or "/", path))
                if absolute not in files and absolute != "/" and not absolute.startswith(_SYSTEM):
                    found.append(absolute)
    found.extend(stage.volumes)
    user = stage.user
    if (user is None or user.split(":")[0] in {"", "root", "0"}) and stage.workdir:
        found.append(stage.workdir)
    return tuple(dict.fromkeys(found))


_SYSTEM = ("/usr/", "/etc/", "/var/lib/apt", "/var/cache/apt", "/root", "/opt/venv", "/bin", "/sbin", "/lib")


def _executables(
    runs: Sequence[dockerfile_mod.Run], copies: Sequence[AppCopy], stage: Stage
) -> tuple[str, ...]:
    """Files the original made executable (``chmod +x``, ``chmod 755``, ``COPY --chmod``)."""
    found: list[str] = []
    for run in runs:
        for argv in commands(run.script):
            if not argv or PurePosixPath(argv[0]).name != "chmod":
                continue
            operands = [w for w in argv[1:] if not w.startswith("-")]
            if len(operands) < 2 or not re.match(
                r"^([0-7]*[1357][0-7]*|[ugoa]*\+[rwx]*x[rwx]*)$", operands[0]
            ):
                continue
            found.extend(str(PurePosixPath(run.workdir or "/", p)) for p in operands[1:] if "$" not in p)
    for s_copy in stage.copies:
        if s_copy.chmod and s_copy.from_ is None and re.match(r"^0?[0-7]*[1357][0-7]*$", s_copy.chmod):
            found.extend(c.dest for c in _copy_targets(s_copy))
    return tuple(dict.fromkeys(found))
