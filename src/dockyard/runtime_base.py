"""The generated runtime's base (the ``runtime_base`` setting): slim as is, or a stripped or distroless
root built in the Dockerfile itself. Here: the base image's environment a ``FROM scratch`` stage must
restate, why a distroless runtime is refused (the contract needs a shell), and its HEALTHCHECK probe.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard import candidates, contract, image_cache, process
from dockyard import dockerfile as dockerfile_mod
from dockyard.errors import ConfigError
from dockyard.render.dockerfile import DEFAULT_PATH

KINDS = candidates.KINDS
CACHE_FILE = "base-image-env.json"
SCHEMA = 1
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
_URL = re.compile(r"https?://[^\s'\"]+")
#: ``curl -f URL``, ``wget -q -O- URL`` and the like, optionally ``|| exit 1``: a plain HTTP probe.
_HTTP_PROBE = re.compile(
    r"^\s*(?:curl|wget)(?:\s+-{1,2}[\w-]+(?:[= ](?!https?:)\S+)?)*\s+(\S+)\s*(?:\|\|\s*exit\s+1)?\s*$"
)


def check_kind(value: str) -> str:
    if value not in KINDS:
        raise ConfigError(
            f"runtime_base must be one of {', '.join(KINDS)}, not {value!r}",
            hint="dockyard base.candidates measures each and says which to use",
        )
    return value


# --- the base image's environment ------------------------------------------------------------------


def parse_env(inspect_json: str) -> tuple[tuple[str, str], ...]:
    """``docker image inspect --format '{{json .Config.Env}}'`` as pairs, PATH defaulted as BuildKit does."""
    entries = json.loads(inspect_json) or []
    pairs = [(k, v) for k, _, v in (str(e).partition("=") for e in entries)]
    if not any(k == "PATH" for k, _ in pairs):
        pairs.append(("PATH", DEFAULT_PATH))
    return tuple(pairs)


def env_argv(docker: str, image: str) -> list[str]:
    return [docker, "image", "inspect", "--format", "{{json .Config.Env}}", image]


def base_env(docker: str | None, image: str, state: Path) -> tuple[tuple[str, str], ...] | None:
    """The base image's ENV, from the cache in the state directory or ``docker image inspect`` (pulling
    the image when it is not there). None without ``docker`` and without a cached answer."""
    path = state / CACHE_FILE
    cached = image_cache.read(path, SCHEMA)
    if image in cached["images"]:
        return tuple((str(k), str(v)) for k, v in cached["images"][image])
    if docker is None:
        return None
    result = process.run(env_argv(docker, image), check=False, echo=False)
    if result.returncode != 0:
        process.run([docker, "pull", "-q", image], check=False, echo=False)
        result = process.run(env_argv(docker, image), check=False, echo=False)
    if result.returncode != 0:
        return None
    env = parse_env(result.stdout)
    cached["images"][image] = [list(pair) for pair in env]
    image_cache.write(path, cached)
    return env


# --- what a distroless runtime cannot run -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ShellNeed:
    """One part of the running contract that needs a shell: where it is, and why."""

    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


def _shell_word(word: str) -> bool:
    return PurePosixPath(word).name in SHELLS


def shebang(path: Path) -> str | None:
    """The interpreter a script's ``#!`` line names (``/usr/bin/env bash`` -> ``bash``), or None."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(200).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if PurePosixPath(words[0]).name == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    return PurePosixPath(words[0]).name if words else None


def script_source(project: Path, current: contract.Contract | None, word: str) -> Path | None:
    """The project file the command word runs in the original image (a path, or a name on PATH)."""
    if current is None:
        return None
    workdir = PurePosixPath(current.workdir or "/")
    absolute = str(workdir / word) if "/" in word else None
    for copy in current.copies:
        dest = PurePosixPath(copy.dest)
        if absolute is not None:
            target = PurePosixPath(absolute)
            if target == dest and copy.source:
                source = copy.source
            elif dest in target.parents:
                source = str(PurePosixPath(copy.source or ".", target.relative_to(dest)))
            else:
                continue
        else:  # a bare name: a script copied into a directory on PATH
            if not copy.source or PurePosixPath(copy.source).name != word:
                continue
            source = copy.source
        path = project / source
        if path.is_file():
            return path
    return None


def _command_lines(current: contract.Contract, target: str) -> dict[str, dockerfile_mod.Command]:
    stage = contract.target_stage(dockerfile_mod.parse_file(current.dockerfile), target)
    return {c.keyword: c for c in (stage.entrypoint, stage.cmd) if c is not None}


def shell_needs(
    project: Path,
    current: contract.Contract | None,
    command: Sequence[str],
    *,
    from_original: bool,
    target: str = "",
) -> tuple[ShellNeed, ...]:
    """What in the running contract needs ``/bin/sh``: a shell-form or shell-run ENTRYPOINT/CMD, an
    entrypoint script with a shell ``#!`` line, a HEALTHCHECK that runs a shell and is no plain HTTP
    probe. Empty when a distroless runtime can run the image."""
    needs: list[ShellNeed] = []
    name = current.dockerfile.name if current is not None else ""
    if from_original and current is not None:
        for keyword, cmd in _command_lines(current, target).items():
            where = f"{name} line {cmd.line}: {keyword}"
            if cmd.form == "shell":
                why = f"the shell form runs `{' '.join(cmd.args)}` with /bin/sh"
                needs.append(ShellNeed(where=where, why=why))
            elif cmd.args and _shell_word(cmd.args[0]):
                needs.append(ShellNeed(where=where, why=f"it runs {cmd.args[0]}"))
    elif command and _shell_word(command[0]):
        needs.append(ShellNeed(where="app_command", why=f"it runs {command[0]}"))
    script = script_source(project, current, command[0]) if command and not needs else None
    interpreter = shebang(script) if script is not None else None
    if script is not None and interpreter in SHELLS:
        lines = _command_lines(current, target) if from_original and current is not None else {}
        named = lines.get("ENTRYPOINT") or lines.get("CMD")
        where = f"{name} line {named.line}: {named.keyword}" if named is not None else "app_command"
        why = f"it runs {script.relative_to(project).as_posix()}, a #!{interpreter} script"
        needs.append(ShellNeed(where=where, why=why))
    for step in current.build_steps if current is not None else ():
        if simple_command(step) is None:
            needs.append(ShellNeed(where=f"{name}: RUN {step}", why="this build step needs /bin/sh"))
    check = current.healthcheck if current is not None else None
    if check is not None and not check.disabled and exec_healthcheck(check.test) is None:
        text = " ".join(check.args)
        needs.append(
            ShellNeed(
                where=f"{name} line {check.line}: HEALTHCHECK",
                why=f"`{text}` needs /bin/sh: it is no plain curl/wget of a URL and no simple Python command",
            )
        )
    return tuple(needs)


def refuse(needs: Sequence[ShellNeed]) -> ConfigError:
    listed = "; ".join(str(n) for n in needs)
    return ConfigError(
        f'runtime_base = "distroless" cannot run this image, which needs a shell: {listed}; '
        "a distroless runtime has no /bin/sh",
        hint='set runtime_base = "stripped" in [tool.dockyard] (it keeps the shell and still drops pip, '
        "setuptools, ensurepip and the test suites), or make the command exec-form Python",
    )


def healthcheck_probe(test: Sequence[str]) -> tuple[str, ...] | None:
    """A HEALTHCHECK that only fetches a URL (``curl -f URL || exit 1``, ``wget -qO- URL``), as an
    exec-form probe with the image's own Python (no shell, no curl); None for anything else."""
    if not test or test[0] not in ("CMD", "CMD-SHELL"):
        return None
    text = test[1] if test[0] == "CMD-SHELL" and len(test) == 2 else shlex.join(test[1:])
    found = _HTTP_PROBE.match(text)
    if found is None or not _URL.fullmatch(found.group(1).strip("'\"")):
        return None
    url = found.group(1).strip("'\"")
    code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=3)"
    return ("python", "-c", code)


_EXIT_1 = re.compile(r"\s*\|\|\s*exit\s+1\s*$")
_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?~{}\[\]!#\\]")


def simple_command(text: str) -> tuple[str, ...] | None:
    """The words of a shell line that needs no shell to run (no operator, expansion or glob
    outside single quotes; ``|| exit 1`` dropped, as any failure is unhealthy), or None."""
    text = _EXIT_1.sub("", text)
    unquoted = re.sub(r"'[^']*'", "", text)
    if any(re.search(r"[$`]", quoted) for quoted in _DOUBLE_QUOTED.findall(unquoted)):
        return None
    if _SHELL_SYNTAX.search(_DOUBLE_QUOTED.sub("", unquoted)):
        return None
    try:
        words = tuple(shlex.split(text))
    except ValueError:
        return None
    if words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        return None  # ``NAME=value cmd``: the shell sets the variable
    return words or None


def exec_healthcheck(test: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The original HEALTHCHECK as a runtime without a shell runs it: an HTTP probe becomes Python,
    a simple Python command becomes exec form, an exec form without a shell stays; None when it
    needs a shell."""
    if test is None or test[:1] == ("NONE",):
        return test
    probe = healthcheck_probe(test)
    if probe is not None and (test[0] == "CMD-SHELL" or PurePosixPath(test[1]).name in ("curl", "wget")):
        return ("CMD", *probe)
    if test[0] == "CMD-SHELL":
        words = simple_command(test[1]) if len(test) == 2 else None
        python = words is not None and PurePosixPath(words[0]).name.startswith("python")
        return ("CMD", *words) if words is not None and python else None
    return None if len(test) < 2 or _shell_word(test[1]) else test


def distroless_healthcheck(test: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """:func:`exec_healthcheck`, or the test as it is (one that needs a shell is refused before)."""
    converted = exec_healthcheck(test)
    return converted if converted is not None else test
