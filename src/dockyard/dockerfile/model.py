"""The Dockerfile model: instructions, stages and what they hold, as frozen dataclasses, with
Docker's rules for what a stage's image config is (shell forms as ``SHELL + [text]``, absolute COPY
destinations). :mod:`dockyard.dockerfile.parse` builds it from Docker's own parser."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

Form = Literal["exec", "shell"]

_REMOTE = re.compile(r"^(https?://|git@|git://)")


@dataclass(frozen=True, kw_only=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True, kw_only=True)
class Instruction:
    """One instruction as Docker's parser saw it; ``line`` is where it starts (1-based)."""

    keyword: str
    line: int
    end_line: int
    flags: tuple[str, ...]
    args: tuple[str, ...]
    json_form: bool
    original: str
    heredocs: tuple[Heredoc, ...] = ()
    sub_keyword: str | None = None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Values of every ``--name=value`` flag (``--link`` alone gives ``"true"``)."""
        found = []
        for raw in self.flags:
            key, sep, value = raw[2:].partition("=")
            if key == name:
                found.append(value if sep else "true")
        return tuple(found)

    def flag(self, name: str) -> str | None:
        values = self.flag_values(name)
        return values[-1] if values else None


@dataclass(frozen=True, kw_only=True)
class Copy:
    """A COPY or ADD. ``sources`` are as written, with ARG/ENV defaults substituted."""

    keyword: Literal["COPY", "ADD"]
    line: int
    sources: tuple[str, ...]
    dest: str
    from_: str | None = None
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    heredoc_names: tuple[str, ...] = ()
    resolved: bool = True
    workdir: str | None = None

    @property
    def target(self) -> str:
        """The destination as an absolute path (a relative one is under the WORKDIR at that point)."""
        return str(PurePosixPath(self.workdir or "/", self.dest))

    @property
    def context_sources(self) -> tuple[str, ...]:
        """Sources read from the build context: not ``--from=``, heredocs or URLs."""
        if self.from_ is not None:
            return ()
        heredocs = {f"<<{dash}{name}" for name in self.heredoc_names for dash in ("", "-")}
        return tuple(s for s in self.sources if s not in heredocs and not _REMOTE.match(s))


#: What Docker runs shell forms with when no SHELL instruction says otherwise.
DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")


@dataclass(frozen=True, kw_only=True)
class Run:
    """A RUN; ``workdir`` and ``user`` are the stage's at that point (None: the image's default)."""

    line: int
    form: Form
    args: tuple[str, ...]
    mounts: tuple[Mapping[str, str], ...] = ()
    network: str | None = None
    security: str | None = None
    heredocs: tuple[Heredoc, ...] = ()
    workdir: str | None = None
    user: str | None = None

    @property
    def script(self) -> str:
        """The command as one text: the shell line (or exec argv joined) followed by heredoc bodies."""
        head = " ".join(self.args) if self.form == "shell" else shlex.join(self.args)
        return "\n".join([head, *(h.content for h in self.heredocs)])


@dataclass(frozen=True, kw_only=True)
class Command:
    """CMD or ENTRYPOINT. Exec form keeps argv; shell form holds one string run by ``/bin/sh -c``."""

    keyword: Literal["CMD", "ENTRYPOINT"]
    line: int
    form: Form
    args: tuple[str, ...]
    shell: tuple[str, ...] = DEFAULT_SHELL

    @property
    def argv(self) -> tuple[str, ...]:
        """As the image config stores it: a shell form becomes ``SHELL + [text]``."""
        return self.args if self.form == "exec" else (*self.shell, " ".join(self.args))


@dataclass(frozen=True, kw_only=True)
class Port:
    value: str
    protocol: str = "tcp"

    @property
    def number(self) -> int | None:
        return int(self.value) if self.value.isdigit() else None


@dataclass(frozen=True, kw_only=True)
class Healthcheck:
    line: int
    disabled: bool
    form: Form | None = None
    args: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def test(self) -> tuple[str, ...]:
        """As the image config stores it: ``["NONE"]``, ``["CMD", ...]`` or ``["CMD-SHELL", text]``."""
        if self.disabled:
            return ("NONE",)
        return ("CMD", *self.args) if self.form == "exec" else ("CMD-SHELL", " ".join(self.args))


@dataclass(frozen=True, kw_only=True)
class ContextPath:
    """A path the build reads from the context (COPY/ADD source or a bind mount's source)."""

    path: str
    keyword: str
    line: int
    stage: int
    resolved: bool = True


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One build stage. ``copies``, ``runs`` and ``context_paths`` are this stage's own; the image
    config (``cmd``, ``entrypoint``, ``user``, ``workdir``, ``expose``, ``healthcheck``, ``env``,
    ``volumes``, ``labels``, ``stopsignal``, ``shell``) holds effective values, inherited from the
    stage named in FROM (``base_stage``) when there is one."""

    index: int
    name: str | None
    base: str
    base_stage: int | None
    platform: str | None
    line: int
    instructions: tuple[Instruction, ...]
    copies: tuple[Copy, ...]
    runs: tuple[Run, ...]
    cmd: Command | None
    entrypoint: Command | None
    expose: tuple[Port, ...]
    healthcheck: Healthcheck | None
    user: str | None
    workdir: str | None
    args: Mapping[str, str | None]
    env: Mapping[str, str]
    context_paths: tuple[ContextPath, ...]
    volumes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    stopsignal: str | None = None
    shell: tuple[str, ...] | None = None

    @property
    def ref(self) -> str:
        """How other stages refer to this one (``--from=``)."""
        return self.name or str(self.index)


@dataclass(frozen=True, kw_only=True)
class Dockerfile:
    path: Path | None
    directives: Mapping[str, str]
    global_args: Mapping[str, str | None]
    stages: tuple[Stage, ...]

    @property
    def syntax(self) -> str | None:
        return self.directives.get("syntax")

    @property
    def final_stage(self) -> Stage:
        return self.stages[-1]

    @property
    def context_paths(self) -> tuple[ContextPath, ...]:
        return tuple(p for stage in self.stages for p in stage.context_paths)

    def stage(self, ref: str) -> Stage | None:
        for stage in self.stages:
            if stage.ref == ref.lower() or str(stage.index) == ref:
                return stage
        return None

    def chain(self, stage: Stage) -> tuple[Stage, ...]:
        """``stage`` and the stages it is built FROM, the first (an image's child) first."""
        found = [stage]
        while found[-1].base_stage is not None:
            found.append(self.stages[found[-1].base_stage])
        return tuple(reversed(found))

    def root_image(self, stage: Stage) -> str:
        """The image at the bottom of ``stage``'s FROM chain (``scratch`` included)."""
        return self.chain(stage)[0].base
