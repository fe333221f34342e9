"""Base-image candidates for the runtime image: the slim runtime as built, a stripped copy of it, and a
distroless-style root (interpreter, stdlib, venvs and the shared libraries they load; no shell, no
package manager). Each is a small Dockerfile derived from the built runtime image and its config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

KINDS = ("slim", "stripped", "distroless")

#: What nothing at runtime needs: pip, setuptools and ensurepip of the base interpreter, stdlib test
#: suites and GUI/dev tools, documentation, and apt's caches. (The venv never had pip with uv.)
STRIP = (
    "/usr/local/lib/python3*/site-packages/pip",
    "/usr/local/lib/python3*/site-packages/pip-*",
    "/usr/local/lib/python3*/site-packages/setuptools",
    "/usr/local/lib/python3*/site-packages/setuptools-*",
    "/usr/local/lib/python3*/site-packages/_distutils_hack",
    "/usr/local/bin/pip*",
    "/usr/lib/python3/dist-packages/pip",
    "/usr/lib/python3/dist-packages/setuptools",
    "/usr/lib/python3/dist-packages/pkg_resources",
    "/usr/bin/pip*",
    "/usr/local/lib/python3*/ensurepip",
    "/usr/lib/python3*/ensurepip",
    "/usr/local/lib/python3*/test",
    "/usr/lib/python3*/test",
    "/usr/local/lib/python3*/idlelib",
    "/usr/lib/python3*/idlelib",
    "/usr/local/lib/python3*/tkinter",
    "/usr/local/lib/python3*/lib2to3",
    "/usr/lib/python3*/lib2to3",
    "/usr/share/doc",
    "/usr/share/man",
    "/usr/share/info",
    "/var/cache/apt",
    "/var/lib/apt/lists",
    "/var/cache/debconf/*-old",
)

#: Run with the source image's own Python: copies the interpreter, its stdlib, every venv under
#: /opt, the app directory, and (via ldd) every shared library any of them loads, into /distroless.
COLLECT = r"""
import os, shutil, subprocess, sys, sysconfig
out = "/distroless"
keep = set()
def add(path):
    if os.path.lexists(path):
        keep.add(path)
        if os.path.islink(path):
            add(os.path.join(os.path.dirname(path), os.readlink(path)))
for p in (sys.executable, os.path.realpath(sys.executable), sysconfig.get_paths()["stdlib"],
          sysconfig.get_paths()["platstdlib"], "/etc/ssl", "/usr/share/ca-certificates",
          "/usr/local/share/ca-certificates", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
          "/etc/hosts", "/etc/localtime", "/usr/share/zoneinfo", "/etc/mime.types"):
    add(p)
for extra in sys.argv[1:]:
    add(extra)
for name in ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"):
    if os.environ.get(name):
        add(os.environ[name])
if os.path.isdir("/opt"):
    add("/opt")
objects = [os.path.realpath(sys.executable)]
for root in list(keep):
    for base, _dirs, files in os.walk(root):
        objects += [os.path.join(base, f) for f in files if ".so" in f]
for obj in objects:
    found = subprocess.run(["ldd", obj], capture_output=True, text=True).stdout
    for line in found.splitlines():
        parts = line.split("=>")[-1].split()
        if parts and parts[0].startswith("/"):
            add(parts[0])
copied = []
for path in sorted(keep):
    if any(path.startswith(d + "/") for d in copied):
        continue
    target = out + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.lexists(target):
        continue
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.copytree(path, target, symlinks=True,
                        ignore=shutil.ignore_patterns("test", "idlelib", "ensurepip", "lib2to3"))
        copied.append(path)
    elif os.path.islink(path):
        os.symlink(os.readlink(path), target)
    else:
        shutil.copy2(path, target)
os.makedirs(out + "/tmp", exist_ok=True)
os.chmod(out + "/tmp", 0o1777)
"""


@dataclass(frozen=True, kw_only=True)
class RuntimeConfig:
    """What ``FROM scratch`` forgets and must be said again, from ``docker image inspect``."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    workdir: str = ""
    user: str = ""
    ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    stop_signal: str = ""

    @classmethod
    def from_inspect(cls, text: str) -> RuntimeConfig:
        data = json.loads(text)
        config = (data[0] if isinstance(data, list) else data).get("Config") or {}
        return cls(
            entrypoint=tuple(config.get("Entrypoint") or ()),
            cmd=tuple(config.get("Cmd") or ()),
            env=tuple(config.get("Env") or ()),
            workdir=str(config.get("WorkingDir") or ""),
            user=str(config.get("User") or ""),
            ports=tuple(sorted(config.get("ExposedPorts") or {})),
            volumes=tuple(sorted(config.get("Volumes") or {})),
            labels=dict(config.get("Labels") or {}),
            stop_signal=str(config.get("StopSignal") or ""),
        )


def _config_lines(config: RuntimeConfig) -> list[str]:
    lines = [
        f"ENV {json.dumps(k)[1:-1]}={json.dumps(v)}" for k, _, v in (e.partition("=") for e in config.env)
    ]
    lines += [f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in sorted(config.labels.items())]
    lines += [f"EXPOSE {p}" for p in config.ports]
    if config.volumes:
        lines.append(f"VOLUME {json.dumps(list(config.volumes))}")
    if config.workdir:
        lines.append(f"WORKDIR {config.workdir}")
    if config.user:
        lines.append(f"USER {config.user}")
    if config.stop_signal:
        lines.append(f"STOPSIGNAL {config.stop_signal}")
    if config.entrypoint:
        lines.append(f"ENTRYPOINT {json.dumps(list(config.entrypoint))}")
    if config.cmd:
        lines.append(f"CMD {json.dumps(list(config.cmd))}")
    return lines


def stripped_dockerfile(source: str, config: RuntimeConfig) -> str:
    """``source`` minus :data:`STRIP`, flattened into one layer so the removal really saves space."""
    removal = " \\\n    ".join(STRIP)
    return "\n".join([
        f"FROM {source} AS source",
        "USER root",
        "SHELL [\"/bin/sh\", \"-c\"]",
        f"RUN rm -rf \\\n    {removal}",
        "",
        "FROM scratch",
        "COPY --from=source / /",
        *_config_lines(config),
        "",
    ])  # fmt: skip


def distroless_dockerfile(source: str, config: RuntimeConfig, *, keep: Sequence[str] = ()) -> str:
    """Only what the interpreter, the venvs and the app load, collected by :data:`COLLECT`."""
    paths = [p for p in (config.workdir, *keep) if p]
    return "\n".join([
        f"FROM {source} AS source",
        "USER root",
        f"RUN {json.dumps(['python', '-c', COLLECT.strip(), *paths])}",
        "",
        "FROM scratch",
        "COPY --from=source /distroless/ /",
        *_config_lines(config),
        "",
    ])  # fmt: skip


def dockerfile_for(kind: str, source: str, config: RuntimeConfig) -> str:
    if kind == "stripped":
        return stripped_dockerfile(source, config)
    if kind == "distroless":
        return distroless_dockerfile(source, config)
    raise ValueError(f"no Dockerfile for candidate {kind!r}: the slim runtime is built as is")


def package_count_argv(docker: str, image: str) -> list[str]:
    """Debian packages the image's dpkg database lists (0 without one), with the image's own Python."""
    code = (
        "import os;p='/var/lib/dpkg/status';"
        "print(sum(l.startswith('Package:') for l in open(p)) if os.path.exists(p) else 0)"
    )
    return [docker, "run", "--rm", "--entrypoint", "python", "--user", "0", image, "-c", code]
