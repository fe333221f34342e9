"""VCS requirements built into wheels on the host, so the image installs a hash-checked wheel with no git
and no credentials in it. Phase 1's locks pin each checkout to a commit; a wheel is built once per
commit into ``docker/vcs-wheels/``, beside a hashed requirements file the generated Dockerfile installs.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard import atomic, layout, process
from dockyard.errors import CommandFailed, InputError
from dockyard.requirements.lock import unhashed_lines
from dockyard.requirements.model import normalize

#: Context-relative directory of the wheels and their requirements file (inside the build context),
#: and where the Dockerfile's install step mounts it.
DIRNAME = layout.VCS_WHEELS
REQUIREMENTS = "requirements.txt"
MOUNT = layout.VCS_MOUNT
#: git never asks for a password: a private repository needs credentials the host already has.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
_LINE = re.compile(r"^(?:-e\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@\s*((git|hg|svn|bzr)\+\S+)")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_USERINFO = re.compile(r"(://)[^/@\s]+@")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FROM = re.compile(r"^\s+# from (\S+)$")
_WHEEL = re.compile(r"^([A-Za-z0-9_.-]+) @ file://" + re.escape(MOUNT) + r"/(\S+\.whl)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def redact(url: str) -> str:
    """A URL without the user and password (``https://token@host`` becomes ``https://***@host``)."""
    return _USERINFO.sub(r"\1***@", url)


@dataclass(frozen=True, kw_only=True)
class VcsRequirement:
    name: str  # normalized
    url: str  # as locked: ``git+https://host/repo@COMMIT#subdirectory=...``
    vcs: str  # git, hg, svn, bzr
    lock: str  # the lock file that lists it

    @property
    def _parts(self) -> tuple[str, str, str]:
        """(clone URL, revision, subdirectory)."""
        base, _, fragment = self.url.partition("#")
        base = base.removeprefix(f"{self.vcs}+")
        scheme, sep, rest = base.partition("://")
        repo, at, revision = rest.rpartition("@")
        if not at or "/" in revision:  # the last @ belongs to the user, not a revision
            repo, revision = rest, ""
        subdirectory = next(
            (p.split("=", 1)[1] for p in fragment.split("&") if p.startswith("subdirectory=")), ""
        )
        return f"{scheme}{sep}{repo}", revision, subdirectory

    @property
    def repository(self) -> str:
        return self._parts[0]

    @property
    def commit(self) -> str:
        return self._parts[1]

    @property
    def subdirectory(self) -> str:
        return self._parts[2]

    @property
    def shown(self) -> str:
        return redact(self.url)


def parse(line: str, lock: str) -> VcsRequirement | None:
    """A VCS requirement from a lock's set-aside line (``name @ git+URL@COMMIT``), else None."""
    found = _LINE.match(line.strip())
    if found is None:
        return None
    return VcsRequirement(name=normalize(found.group(1)), url=found.group(2), vcs=found.group(3), lock=lock)


def find(project: Path, locks: Sequence[str]) -> tuple[VcsRequirement, ...]:
    """The VCS requirements the given (context-relative) locks list, first lock first, once each."""
    found: dict[str, VcsRequirement] = {}
    for lock in locks:
        path = project / lock
        if not path.is_file():
            continue
        for line in unhashed_lines(path.read_text(encoding="utf-8")):
            requirement = parse(line, lock)
            if requirement is not None:
                found.setdefault(requirement.name, requirement)
    return tuple(found.values())


def check(requirement: VcsRequirement) -> None:
    """Only git checkouts pinned to a full commit can be built reproducibly."""
    where = requirement.lock
    if requirement.vcs != "git":
        raise InputError(
            f"{requirement.shown}: {requirement.vcs} checkouts are not built into wheels (only git)",
            path=where,
            hint="publish the package to an index, or point the requirement at a git repository",
        )
    if not _COMMIT.match(requirement.commit):
        raise InputError(
            f"{requirement.shown}: not pinned to a commit in the lock",
            path=where,
            hint="run `dockyard phase1` again: uv pins each git checkout to its commit",
        )


# --- commands (pure) -------------------------------------------------------------------------------------


def expand(url: str, environ: Mapping[str, str], *, where: str = "") -> str:
    """``${NAME}`` placeholders filled from the environment, as pip and uv do: the lock keeps the
    placeholder, only the host's ``git clone`` sees the value."""
    missing = [name for name in _PLACEHOLDER.findall(url) if name not in environ]
    if missing:
        raise InputError(
            f"{redact(url)} needs ${{{missing[0]}}} in the environment to be cloned",
            path=where or None,
            hint=f"export {missing[0]} where dockyard runs (it is never written to a file or an image)",
        )
    return _PLACEHOLDER.sub(lambda m: environ[m.group(1)], url)


def clone_argv(repository: str, dest: Path) -> list[str]:
    return ["git", "clone", "--quiet", "--no-checkout", repository, str(dest)]


def checkout_argv(requirement: VcsRequirement, dest: Path) -> list[str]:
    return [
        "git",
        "-C",
        str(dest),
        "-c",
        "advice.detachedHead=false",
        "checkout",
        "--quiet",
        requirement.commit,
    ]


def build_argv(uv: str, source: Path, out: Path) -> list[str]:
    return [uv, "build", "--wheel", "--quiet", "--out-dir", str(out), str(source)]


# --- the directory -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Built:
    requirement: VcsRequirement
    wheel: str  # file name
    sha256: str
    reused: bool = False


def recorded(text: str) -> dict[str, tuple[str, str]]:
    """What an existing requirements file says was built: shown URL -> (wheel file, sha256)."""
    found: dict[str, tuple[str, str]] = {}
    wheel = digest = ""
    for line in text.splitlines():
        if m := _WHEEL.match(line):
            wheel, digest = m.group(2), ""
        if m := _HASH.search(line):
            digest = m.group(1)
        if (m := _FROM.match(line)) and wheel and digest:
            found[m.group(1)] = (wheel, digest)
            wheel = digest = ""
    return found


def requirements_text(built: Sequence[Built]) -> str:
    """The hashed requirements file the image installs (``--require-hashes --no-deps``)."""
    lines = [
        "# VCS requirements of the runtime locks, each built into a wheel on the host at its locked",
        "# commit: the image installs them hash-checked and non-editable, with no git and no credentials.",
    ]
    for item in built:
        lines += [
            f"{item.requirement.name} @ file://{MOUNT}/{item.wheel} \\",
            f"    --hash=sha256:{item.sha256}",
            f"    # from {item.requirement.shown}",
        ]
    return "\n".join(lines) + "\n"


def _git(
    argv: list[str], repository: str, requirement: VcsRequirement, secrets: Sequence[str], *, timeout: float
) -> None:
    """Run git quietly: the argv may hold a filled-in token, so neither it nor git's output is shown
    as is; a failure names the redacted URL, each filled-in value put back as ``***``."""
    shown = redact(requirement.repository)
    result = process.run(argv, env=GIT_ENV, timeout=timeout, check=False, echo=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).replace(repository, shown)
        for secret in (s for s in secrets if s):
            output = output.replace(secret, "***")
        raise CommandFailed(
            [shown if word == repository else word for word in argv],
            result.returncode,
            redact(output)[-2000:],
            hint="the host must reach the repository: dockyard runs git there (with the host's "
            "credentials), never in the image",
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pure(wheel: str) -> bool:
    return wheel.removesuffix(".whl").endswith("-none-any")


def build(
    project: Path,
    requirements: Sequence[VcsRequirement],
    *,
    previous: Mapping[str, tuple[str, str]] | None = None,
    uv: str | None = None,
    timeout: float = 600,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Built, ...]:
    """Each requirement's wheel in ``project/DIRNAME``: reused when ``previous`` records one for the
    same URL and commit that is still there, else cloned at its commit and built by ``uv build``."""
    out_dir = project / DIRNAME
    environ = os.environ if environ is None else environ
    uv = uv or process.tool_path("uv") or "uv"
    done: list[Built] = []
    for requirement in requirements:
        check(requirement)
        wheel, digest = (previous or {}).get(requirement.shown, ("", ""))
        if wheel and (out_dir / wheel).is_file() and _sha256(out_dir / wheel) == digest:
            done.append(Built(requirement=requirement, wheel=wheel, sha256=digest, reused=True))
            continue
        progress(f"building {requirement.name} from {requirement.shown}")
        with tempfile.TemporaryDirectory(prefix="dockyard-vcs-") as scratch:
            checkout, wheels = Path(scratch) / "checkout", Path(scratch) / "wheels"
            repository = expand(requirement.repository, environ, where=requirement.lock)
            secrets = [environ[name] for name in _PLACEHOLDER.findall(requirement.repository)]
            _git(clone_argv(repository, checkout), repository, requirement, secrets, timeout=timeout)
            _git(checkout_argv(requirement, checkout), repository, requirement, secrets, timeout=timeout)
            process.run(build_argv(uv, checkout / requirement.subdirectory, wheels), timeout=timeout)
            made = sorted(wheels.glob("*.whl"))
            if len(made) != 1 or not _pure(made[0].name):
                raise InputError(
                    f"{requirement.shown}: built {', '.join(p.name for p in made) or 'no wheel'}; only a "
                    "pure-Python wheel (py3-none-any) built here is sure to fit the image",
                    path=requirement.lock,
                    hint="publish its wheels for the image's platform to an index, or vendor a wheel "
                    "built in the base image as a local requirement",
                )
            data = made[0].read_bytes()
            atomic.atomic_write_bytes(out_dir / made[0].name, data)
            done.append(
                Built(requirement=requirement, wheel=made[0].name, sha256=hashlib.sha256(data).hexdigest())
            )
    keep = {b.wheel for b in done}
    for stale in out_dir.glob("*.whl") if out_dir.is_dir() else ():
        if stale.name not in keep:
            stale.unlink()
    return tuple(done)
