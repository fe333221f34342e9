"""Checks of a context: every path the Dockerfile copies is still sent, and secret-looking files
and symlinks leaving the context are reported.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.dockerfile import ContextPath, Dockerfile
from dockyard.dockerignore.model import (
    SECRET_SCAN_BYTES,
    Finding,
    IgnoreOptions,
    junk_patterns,
    secret_patterns,
)
from dockyard.dockerignore.semantics import ContextFile, Matcher, go_clean

# --- what the Dockerfile needs from the context -------------------------------------------------


def _needs(dockerfiles: Sequence[Dockerfile]) -> list[ContextPath]:
    return [need for _, need in _labelled_needs(dockerfiles)]


def _labelled_needs(
    dockerfiles: Sequence[Dockerfile], root: Path | None = None
) -> list[tuple[str, ContextPath]]:
    """Context paths the Dockerfiles read, each with the Dockerfile's name for messages.

    Sources with unresolved build args and the context root itself (``COPY . .``) are skipped:
    neither names a path that could go missing.
    """
    return [
        (dockerfile_label(df, root), p)
        for df in dockerfiles
        for p in df.context_paths
        if p.resolved and normalize_source(p.path) != ""
    ]


def dockerfile_label(df: Dockerfile, root: Path | None = None) -> str:
    if df.path is None:
        return "Dockerfile"
    if root is not None and df.path.resolve().is_relative_to(root.resolve()):
        return df.path.resolve().relative_to(root.resolve()).as_posix()
    return str(df.path)


def normalize_source(source: str) -> str:
    """A COPY source as a context-relative path: ``/app/``, ``./app`` and ``app/`` are ``app``;
    the context root itself is ``""``."""
    cleaned = go_clean("/" + source).lstrip("/")
    return cleaned


_GLOB = re.compile(r"[*?\[]")


def expand_source(source: str, paths: Iterable[str]) -> tuple[str, ...]:
    """Context paths a COPY source names: itself, or what its wildcards match component by
    component (``*`` never crosses ``/`` in COPY, unlike in .dockerignore)."""
    target = normalize_source(source)
    known = set(paths)
    if not _GLOB.search(target):
        return (target,) if target in known or any(p.startswith(target + "/") for p in known) else ()
    parts = target.split("/")
    matched = []
    for path in sorted(known):
        pieces = path.split("/")
        if len(pieces) == len(parts) and all(
            fnmatch.fnmatchcase(piece, part.replace("[^", "[!"))
            for piece, part in zip(pieces, parts, strict=True)
        ):
            matched.append(path)
    return tuple(matched)


def _under(path: str, files: Iterable[str]) -> set[str]:
    return {f for f in files if f == path or f.startswith(path + "/")}


@dataclass(frozen=True, kw_only=True)
class NeedCheck:
    """How one context path the Dockerfile reads fares against a set of patterns."""

    need: ContextPath
    dockerfile: str
    paths: tuple[str, ...]
    needed: frozenset[str]
    missing: frozenset[str]
    explicit_junk: bool
    withheld_secrets: frozenset[str] = field(default_factory=frozenset)


def check_needs(
    raw: Sequence[ContextFile],
    sent: Sequence[ContextFile],
    dockerfiles: Sequence[Dockerfile],
    options: IgnoreOptions,
    *,
    root: Path | None = None,
) -> tuple[NeedCheck, ...]:
    """For every COPY/ADD/bind-mount source: which of its files must be sent, and which are not.

    Needed are the files under the source, minus junk and secrets, unless the source itself is
    junk or a secret (``COPY .git .git``, ``COPY .env .``): naming it is asking for it.
    """
    raw_paths = {f.path for f in raw}
    sent_paths = {f.path for f in sent}
    junk, secrets = Matcher(junk_patterns(options)), Matcher(secret_patterns())
    checks = []
    for label, need in _labelled_needs(dockerfiles, root):
        paths = expand_source(need.path, raw_paths | _parents(raw_paths))
        needed: set[str] = set()
        withheld: set[str] = set()
        explicit = False
        for path in paths:
            under = _under(path, raw_paths)
            if junk.excluded(path) or secrets.excluded(path):
                explicit = True
                needed |= under
                continue
            withheld |= {f for f in under if secrets.excluded(f)}
            needed |= {f for f in under if not junk.excluded(f) and not secrets.excluded(f)}
        checks.append(
            NeedCheck(
                need=need,
                dockerfile=label,
                paths=paths,
                needed=frozenset(needed),
                missing=frozenset(needed - sent_paths),
                explicit_junk=explicit,
                withheld_secrets=frozenset(withheld),
            )
        )
    return tuple(checks)


def _parents(paths: Iterable[str]) -> set[str]:
    return {p.rsplit("/", i)[0] for p in paths for i in range(1, p.count("/") + 1)}


def current_file_findings(
    checks: Sequence[NeedCheck], *, source: str = ".dockerignore"
) -> tuple[Finding, ...]:
    """What the project's own .dockerignore does to the paths the Dockerfile reads."""
    findings = []
    # Docker accepts a wildcard source that matches nothing when another source of the same
    # instruction matches (`COPY pyproject.toml poetry.lock* ./`).
    matched = {(c.dockerfile, c.need.stage, c.need.line) for c in checks if c.paths}
    for check in checks:
        need, dockerfile = check.need, check.dockerfile
        if not check.paths and _GLOB.search(need.path) and (dockerfile, need.stage, need.line) in matched:
            continue
        if not check.paths:
            findings.append(
                Finding(
                    level="error",
                    path=dockerfile,
                    line=need.line,
                    message=f"{need.keyword} source `{need.path}` does not exist in the build context",
                )
            )
        elif check.missing and check.missing == check.needed:
            findings.append(
                Finding(
                    level="error",
                    path=source,
                    message=f"excludes `{need.path}`, which {dockerfile}:{need.line} ({need.keyword}) needs;"
                    " the build will fail or miss files",
                )
            )
        elif check.missing:
            shown = ", ".join(sorted(check.missing)[:3])
            findings.append(
                Finding(
                    level="warning",
                    path=source,
                    message=f"excludes {len(check.missing)} file(s) under `{need.path}` that "
                    f"{dockerfile}:{need.line} copies (e.g. {shown})",
                )
            )
    return tuple(findings)


# --- secrets and symlinks -----------------------------------------------------------------------

_SECRET_NAMES = (
    ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "credentials.json",
    "*.p12", "*.pfx", "*.jks", ".pypirc", ".netrc", ".git-credentials", ".npmrc", "service-account*.json",
)  # fmt: skip
_NOT_SECRET = (".env.example", ".env.sample", ".env.template", "*.pub")
_SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg"})
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")


def secret_findings(root: Path, files: Sequence[ContextFile]) -> tuple[Finding, ...]:
    """Secret-looking files among ``files``: by name, by directory, or by a private key inside."""
    findings = []
    for f in files:
        if f.symlink:
            continue
        name = posixpath.basename(f.path)
        reason = None
        if any(fnmatch.fnmatchcase(name, p) for p in _NOT_SECRET):
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in _SECRET_NAMES):
            reason = "its name marks it as a secret"
        elif _SECRET_DIRS & set(f.path.split("/")[:-1]):
            reason = "it sits in a credentials directory"
        elif _has_private_key(root / f.path):
            reason = "it contains a private key"
        if reason:
            findings.append(
                Finding(
                    level="warning",
                    path=f.path,
                    message=f"would be sent to the builder and {reason}; exclude it and pass it with "
                    "RUN --mount=type=secret if the build needs it",
                )
            )
    return tuple(findings)


def _has_private_key(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_PRIVATE_KEY.search(handle.read(SECRET_SCAN_BYTES)))
    except OSError:
        return False


def symlink_findings(root: Path, files: Sequence[ContextFile]) -> tuple[Finding, ...]:
    """Symlinks that point outside the context: Docker sends the link, not what it points to."""
    base = root.resolve()
    findings = []
    for f in files:
        if not f.symlink:
            continue
        link = root / f.path
        target = link.readlink()
        resolved = (link.parent / target).resolve()
        if resolved != base and base not in resolved.parents:
            findings.append(
                Finding(
                    level="warning",
                    path=f.path,
                    message=f"is a symlink to {target}, outside the build context; the image gets a dangling "
                    "link. Copy the file into the project or mount it at run time",
                )
            )
    return tuple(findings)
