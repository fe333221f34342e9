"""Read a Dockerfile into the model of :mod:`dockyard.dockerfile.model`.

Parsing is done by Docker's own Go parser (the ``dockerfile`` package binds it), so line
continuations, the ``escape`` directive, JSON forms and heredocs behave exactly as in
``docker build``. On top of that this module checks what the Go parser lets through but a build
would reject (unknown instructions and flags, no FROM, missing arguments) and derives what the
other phases ask about: stages, the paths COPY/ADD/``RUN --mount=type=bind`` take from the build
context, RUN mounts, and each stage's image config (CMD/ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE,
VOLUME, LABEL, STOPSIGNAL, HEALTHCHECK, SHELL) with Docker's inheritance between stages.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import importlib
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dockyard.dockerfile.model import (
    DEFAULT_SHELL,
    Command,
    ContextPath,
    Copy,
    Dockerfile,
    Form,
    Healthcheck,
    Heredoc,
    Instruction,
    Port,
    Run,
    Stage,
)
from dockyard.errors import InputError

# The binding ships no type stubs; imported by name so mypy --strict needs no per-module override.
_goparser: Any = importlib.import_module("dockerfile")

KNOWN_INSTRUCTIONS: frozenset[str] = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip

#: Flags each instruction accepts (BuildKit's Dockerfile frontend); anything else fails the build.
ALLOWED_FLAGS: Mapping[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"}),
    "RUN": frozenset({"mount", "network", "security"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}

#: Instructions that fail the build without arguments.
_NEEDS_ARGS: frozenset[str] = frozenset(
    {"ADD", "ARG", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
     "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "HEALTHCHECK"}
)  # fmt: skip

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_MOUNT_ALIASES = {"dst": "target", "destination": "target", "src": "source", "ro": "readonly"}


# --- reading -----------------------------------------------------------------------------------


def parse_file(path: str | Path) -> Dockerfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("Dockerfile not found", path=str(path), hint="pass the Dockerfile's path") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
            path=str(path),
            hint="save the Dockerfile as UTF-8",
        ) from exc
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=str(path)) from exc
    return parse_text(text, path=path)


def parse_text(text: str, *, path: str | Path | None = None) -> Dockerfile:
    where = str(path) if path is not None else "Dockerfile"
    text = text.removeprefix("\ufeff")
    try:
        commands = _goparser.parse_string(text)
    except _goparser.GoParseError as exc:
        raise _parse_error(str(exc), text, where) from exc
    instructions = [_instruction(c) for c in commands]
    for ins in instructions:
        _validate(ins, where)
    return _build(
        instructions, parse_directives(text), path=Path(path) if path is not None else None, where=where
    )


def parse_directives(text: str) -> dict[str, str]:
    """Parser directives (``# syntax=``, ``# escape=``): only at the very top, before anything else."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _DIRECTIVE.match(line.strip())
        if not match or match.group(1).lower() in found:
            break
        found[match.group(1).lower()] = match.group(2)
    return found


def _parse_error(message: str, text: str, where: str) -> InputError:
    line: int | None = None
    found = re.search(r"line (\d+)", message)
    if found:
        line = int(found.group(1))
    elif "heredoc" in message:
        starts = [n for n, row in enumerate(text.splitlines(), 1) if "<<" in row]
        line = starts[-1] if starts else None
    if message == "file with no instructions":
        return InputError(
            "the Dockerfile has no instructions",
            path=where,
            hint="start it with a FROM line naming the base image",
        )
    hint = "close the heredoc with its terminator on a line of its own" if "heredoc" in message else None
    return InputError(
        f"Docker's parser rejects the Dockerfile: {message}",
        path=where,
        line=line,
        hint=hint or "fix the syntax at that line (see https://docs.docker.com/reference/dockerfile/)",
    )


def _instruction(c: _goparser.Command) -> Instruction:
    return Instruction(
        keyword=c.cmd.upper(),
        line=c.start_line,
        end_line=c.end_line,
        flags=tuple(c.flags),
        args=tuple(v for v in c.value if v != "") if not c.json else tuple(c.value),
        json_form=bool(c.json),
        original=c.original,
        heredocs=tuple(Heredoc(name=h.name, content=h.content) for h in c.heredocs),
        sub_keyword=c.sub_cmd.upper() if c.sub_cmd else None,
    )


def _validate(ins: Instruction, where: str) -> None:
    if ins.keyword not in KNOWN_INSTRUCTIONS:
        close = difflib.get_close_matches(ins.keyword, sorted(KNOWN_INSTRUCTIONS), n=1)
        hint = f"did you mean {close[0]}?" if close else "known: " + ", ".join(sorted(KNOWN_INSTRUCTIONS))
        raise InputError(f"unknown instruction {ins.keyword}", path=where, line=ins.line, hint=hint)
    allowed = ALLOWED_FLAGS.get(ins.keyword, frozenset())
    for raw in ins.flags:
        name = raw[2:].partition("=")[0]
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            accepted = ", ".join(f"--{f}" for f in sorted(allowed)) or "no flags"
            raise InputError(
                f"{ins.keyword} does not accept the flag --{name}",
                path=where,
                line=ins.line,
                hint=f"did you mean --{close[0]}?" if close else f"{ins.keyword} accepts {accepted}",
            )
    if ins.keyword in _NEEDS_ARGS and not ins.args:
        raise InputError(
            f"{ins.keyword} needs arguments", path=where, line=ins.line, hint=_usage(ins.keyword)
        )
    if ins.keyword in {"COPY", "ADD"} and len(ins.args) < 2:
        raise InputError(
            f"{ins.keyword} needs at least one source and a destination",
            path=where,
            line=ins.line,
            hint=_usage(ins.keyword),
        )
    named = len(ins.args) == 3 and ins.args[1].upper() == "AS"
    if ins.keyword == "FROM" and not (len(ins.args) == 1 or named):
        raise InputError(
            "FROM takes an image and an optional `AS name`", path=where, line=ins.line, hint=_usage("FROM")
        )


_REFERENCE = "https://docs.docker.com/reference/dockerfile/"
_USAGE: Mapping[str, str] = {
    "FROM": "write `FROM image[:tag] [AS name]`",
    "COPY": "write `COPY [--from=stage] src... dest`",
    "ADD": "write `ADD src... dest`",
    "RUN": 'write `RUN command` or `RUN ["executable", "arg"]`',
}


def _usage(keyword: str) -> str:
    return _USAGE.get(keyword, f"see the {keyword} reference at {_REFERENCE}")


# --- the model ---------------------------------------------------------------------------------


@dataclass
class _StageBuilder:
    index: int
    name: str | None
    base: str
    base_stage: int | None
    platform: str | None
    line: int
    args: dict[str, str | None]
    env: dict[str, str]
    instructions: list[Instruction] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    cmd: Command | None = None
    entrypoint: Command | None = None
    expose: list[Port] = field(default_factory=list)
    healthcheck: Healthcheck | None = None
    user: str | None = None
    workdir: str | None = None
    context_paths: list[ContextPath] = field(default_factory=list)
    cmd_set_here: bool = False
    volumes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    stopsignal: str | None = None
    shell: tuple[str, ...] | None = None

    def scope(self) -> dict[str, str]:
        known = {k: v for k, v in self.args.items() if v is not None}
        return known | self.env

    def freeze(self) -> Stage:
        return Stage(
            index=self.index,
            name=self.name,
            base=self.base,
            base_stage=self.base_stage,
            platform=self.platform,
            line=self.line,
            instructions=tuple(self.instructions),
            copies=tuple(self.copies),
            runs=tuple(self.runs),
            cmd=self.cmd,
            entrypoint=self.entrypoint,
            expose=tuple(self.expose),
            healthcheck=self.healthcheck,
            user=self.user,
            workdir=self.workdir,
            args=dict(self.args),
            env=dict(self.env),
            context_paths=tuple(self.context_paths),
            volumes=tuple(self.volumes),
            labels=dict(self.labels),
            stopsignal=self.stopsignal,
            shell=self.shell,
        )


def _build(
    instructions: Sequence[Instruction], directives: Mapping[str, str], *, path: Path | None, where: str
) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[_StageBuilder] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            stages.append(_new_stage(ins, len(stages), stages, global_args))
        elif not stages:
            if ins.keyword != "ARG":
                raise InputError(
                    f"{ins.keyword} comes before the first FROM",
                    path=where,
                    line=ins.line,
                    hint="only ARG may precede FROM; start the build stage with `FROM image`",
                )
            global_args.update(_arg_pairs(ins.args, {}))
        else:
            _apply(stages[-1], ins, global_args)
    if not stages:
        raise InputError(
            "the Dockerfile has no FROM", path=where, hint="add `FROM image` naming the base image"
        )
    return Dockerfile(
        path=path,
        directives=dict(directives),
        global_args=global_args,
        stages=tuple(s.freeze() for s in stages),
    )


def _new_stage(
    ins: Instruction, index: int, earlier: Sequence[_StageBuilder], global_args: Mapping[str, str | None]
) -> _StageBuilder:
    scope = {k: v for k, v in global_args.items() if v is not None}
    base, _ = expand(ins.args[0], scope)
    name = ins.args[2].lower() if len(ins.args) == 3 else None
    parent = next((s for s in reversed(earlier) if s.name == base.lower()), None)
    stage = _StageBuilder(
        index=index,
        name=name,
        base=base,
        base_stage=parent.index if parent else None,
        platform=ins.flag("platform"),
        line=ins.line,
        args={},
        env={},
        instructions=[ins],
    )
    if parent:
        # A stage built FROM another inherits its image config, as Docker does.
        stage.env = dict(parent.env)
        stage.cmd, stage.entrypoint, stage.user = parent.cmd, parent.entrypoint, parent.user
        stage.workdir, stage.healthcheck, stage.expose = (
            parent.workdir,
            parent.healthcheck,
            list(parent.expose),
        )
        stage.volumes, stage.labels = list(parent.volumes), dict(parent.labels)
        stage.stopsignal, stage.shell = parent.stopsignal, parent.shell
    return stage


def _apply(stage: _StageBuilder, ins: Instruction, global_args: Mapping[str, str | None]) -> None:
    stage.instructions.append(ins)
    scope = stage.scope()
    kw = ins.keyword
    if kw == "ARG":
        for name, default in _arg_pairs(ins.args, scope).items():
            stage.args[name] = default if default is not None else global_args.get(name)
    elif kw == "ENV":
        stage.env.update(_env_pairs(ins, scope))
    elif kw in {"COPY", "ADD"}:
        copy = dataclasses.replace(_copy(ins, scope), workdir=stage.workdir)
        stage.copies.append(copy)
        # `COPY dir/${TARGETPLATFORM} /` reads one platform's part of dir: all of dir may be needed
        per_platform = all(expand(a, scope)[1] or _platform_subdirectory(a) for a in ins.args[:-1])
        stage.context_paths.extend(
            ContextPath(
                path=s, keyword=kw, line=ins.line, stage=stage.index, resolved=copy.resolved or per_platform
            )
            for s in copy.context_sources
        )
    elif kw == "RUN":
        run = _run(ins, workdir=stage.workdir, user=stage.user)
        stage.runs.append(run)
        for mount in run.mounts:
            if mount.get("type") == "bind" and "from" not in mount:
                source, ok = expand(mount.get("source", "."), scope)
                stage.context_paths.append(
                    ContextPath(path=source, keyword="RUN", line=ins.line, stage=stage.index, resolved=ok)
                )
    elif kw in {"CMD", "ENTRYPOINT"}:
        command = Command(
            keyword=kw,  # type: ignore[arg-type]
            line=ins.line,
            form=_form(ins),
            args=ins.args,
            shell=stage.shell or DEFAULT_SHELL,
        )
        if kw == "CMD":
            stage.cmd, stage.cmd_set_here = command, True
        else:
            stage.entrypoint = command
            if not stage.cmd_set_here:
                stage.cmd = None  # Docker drops an inherited CMD when ENTRYPOINT is set
    elif kw == "EXPOSE":
        stage.expose.extend(_port(expand(arg, scope)[0]) for arg in ins.args)
    elif kw == "HEALTHCHECK":
        stage.healthcheck = _healthcheck(ins)
    elif kw == "USER":
        stage.user = expand(ins.args[0], scope)[0]
    elif kw == "WORKDIR":
        # A relative WORKDIR is relative to the previous one, as in Docker.
        stage.workdir = str(PurePosixPath(stage.workdir or "/", expand(ins.args[0], scope)[0]))
    elif kw == "VOLUME":
        stage.volumes.extend(expand(arg, scope)[0] for arg in ins.args if arg)
    elif kw == "LABEL":
        words = list(ins.args)
        for key, value in zip(words[::2], words[1::2], strict=False):
            stage.labels[_unquote(expand(key, scope)[0])] = _unquote(expand(value, scope)[0])
    elif kw == "STOPSIGNAL":
        stage.stopsignal = expand(ins.args[0], scope)[0]
    elif kw == "SHELL":
        stage.shell = ins.args


def _form(ins: Instruction) -> Form:
    return "exec" if ins.json_form else "shell"


def _copy(ins: Instruction, scope: Mapping[str, str]) -> Copy:
    words = [expand(a, scope) for a in ins.args]
    return Copy(
        keyword=ins.keyword,  # type: ignore[arg-type]
        line=ins.line,
        sources=tuple(w for w, _ in words[:-1]),
        dest=words[-1][0],
        from_=ins.flag("from"),
        chown=ins.flag("chown"),
        chmod=ins.flag("chmod"),
        link=ins.flag("link") not in (None, "false"),
        heredoc_names=tuple(h.name for h in ins.heredocs),
        resolved=all(ok for _, ok in words[:-1]),
    )


def _run(ins: Instruction, *, workdir: str | None, user: str | None) -> Run:
    return Run(
        workdir=workdir,
        user=user,
        line=ins.line,
        form=_form(ins),
        args=ins.args,
        mounts=tuple(parse_mount(v) for v in ins.flag_values("mount")),
        network=ins.flag("network"),
        security=ins.flag("security"),
        heredocs=ins.heredocs,
    )


def parse_mount(spec: str) -> dict[str, str]:
    """``type=cache,target=/root/.cache,sharing=locked`` as a dict; ``type`` defaults to bind."""
    mount: dict[str, str] = {}
    for item in next(csv.reader([spec]), []):
        key, sep, value = item.partition("=")
        key = _MOUNT_ALIASES.get(key.strip().lower(), key.strip().lower())
        mount[key] = value if sep else "true"
    mount.setdefault("type", "bind")
    return mount


def _port(spec: str) -> Port:
    value, _, protocol = spec.partition("/")
    return Port(value=value, protocol=protocol.lower() or "tcp")


def _healthcheck(ins: Instruction) -> Healthcheck:
    options = {raw[2:].partition("=")[0]: raw.partition("=")[2] for raw in ins.flags}
    if ins.args[0].upper() == "NONE":
        return Healthcheck(line=ins.line, disabled=True, options=options)
    return Healthcheck(line=ins.line, disabled=False, form=_form(ins), args=ins.args[1:], options=options)


def _arg_pairs(args: Sequence[str], scope: Mapping[str, str]) -> dict[str, str | None]:
    pairs: dict[str, str | None] = {}
    for arg in args:
        name, sep, default = arg.partition("=")
        pairs[name] = expand(_unquote(default), scope)[0] if sep else None
    return pairs


def _env_pairs(ins: Instruction, scope: Mapping[str, str]) -> dict[str, str]:
    # The Go parser gives ENV as alternating key/value words for both `ENV a=b c=d` and `ENV a b`.
    words = list(ins.args)
    pairs: dict[str, str] = {}
    for key, value in zip(words[::2], words[1::2], strict=False):
        pairs[key] = expand(_unquote(value), {**scope, **pairs})[0]
    return pairs


def _unquote(word: str) -> str:
    try:
        parts = shlex.split(word, posix=True)
    except ValueError:
        return word
    return " ".join(parts) if parts else ""


_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<op>[-+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


#: The platform ARGs BuildKit sets in every build (they have no value until then).
PLATFORM_ARGS = frozenset(
    f"{when}{what}" for when in ("TARGET", "BUILD") for what in ("PLATFORM", "OS", "ARCH", "VARIANT")
)


def _platform_subdirectory(word: str) -> bool:
    """``dir/${TARGETPLATFORM}`` or ``dir/$TARGETOS/$TARGETARCH``: a platform's subdirectory of
    ``dir``, which :func:`expand` turns into ``dir/`` (every platform's)."""
    parts = word.rstrip("/").split("/")
    tail = [part for part in parts if "$" in part]
    if not tail or len(tail) == len(parts) or parts[-len(tail) :] != tail:
        return False
    matches = [_VAR.fullmatch(part) for part in tail]
    return all(m is not None and (m.group("braced") or m.group("bare")) in PLATFORM_ARGS for m in matches)


def expand(word: str, scope: Mapping[str, str]) -> tuple[str, bool]:
    """Substitute ``$VAR``/``${VAR}``/``${VAR:-x}``/``${VAR:+x}`` from ``scope``.

    Returns the text and whether every variable was known: an unknown one expands to "" as in
    Docker, but its value may come from ``--build-arg`` so callers should not trust the result.
    """
    resolved = True

    def sub(match: re.Match[str]) -> str:
        nonlocal resolved
        name = match.group("braced") or match.group("bare")
        value = scope.get(name)
        op = match.group("op")
        if op == "-":
            return value if value else match.group("word")
        if op == "+":
            return match.group("word") if value else ""
        if value is None:
            resolved = False
            return ""
        return value

    return _VAR.sub(sub, word), resolved
