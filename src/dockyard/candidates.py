"""How a runtime is stripped (:data:`STRIP`) or reduced to a distroless root (:data:`COLLECT`): used by
the generated Dockerfile's runtime stage (``runtime_base``) and by candidate Dockerfiles derived from a
built runtime image and its config.
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

#: Also removed from the stripped runtime: an installer in the virtual environment (pip's venvs).
STRIP_VENV = (
    "/opt/venv/lib/python3*/site-packages/pip",
    "/opt/venv/lib/python3*/site-packages/pip-*",
    "/opt/venv/bin/pip*",
)

#: Run with the source image's own Python: copies the interpreter, its stdlib, every venv under
#: /opt, the app directory, and (via ldd) every shared library any of them loads, into /distroless.
#: Arguments: paths to keep; ``pkg:NAME`` an apt package whose files (and those of the packages it
#: depends on, less Debian's required ones) are kept; ``own:UID:GID:/dir`` a directory made for that
#: user (a writable directory of the application).
COLLECT = r"""
import os, shutil, subprocess, sys, sysconfig
out = "/distroless"
keep = set()
def add(path):
    if os.path.lexists(path):
        keep.add(path)
        if os.path.islink(path):
            add(os.path.join(os.path.dirname(path), os.readlink(path)))
def elf(path):
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False
for p in (sys.executable, os.path.realpath(sys.executable), sysconfig.get_paths()["stdlib"],
          sysconfig.get_paths()["platstdlib"], "/etc/ssl", "/usr/share/ca-certificates",
          "/usr/local/share/ca-certificates", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
          "/etc/hosts", "/etc/localtime", "/usr/share/zoneinfo", "/etc/mime.types",
          "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/sbin/ldconfig"):
    add(p)
packages, owned = [], []
for extra in sys.argv[1:]:
    if extra.startswith("pkg:"):
        packages.append(extra[4:])
    elif extra.startswith("own:"):
        owned.append(extra[4:].split(":", 2))
    else:
        add(extra)
for name in ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"):
    if os.environ.get(name):
        add(os.environ[name])
if os.path.isdir("/opt"):
    add("/opt")
status = {}
if packages and os.path.exists("/var/lib/dpkg/status"):
    for block in open("/var/lib/dpkg/status", encoding="utf-8", errors="replace").read().split("\n\n"):
        fields = dict(l.split(":", 1) for l in block.splitlines() if ":" in l and l[:1] not in " \t")
        fields = {k: v.strip() for k, v in fields.items()}
        if fields.get("Package") and fields.get("Status", "").endswith(" installed"):
            status[fields["Package"]] = fields
seen = set()
while packages:
    name = packages.pop().split("=")[0].split(":")[0].strip()
    if name in seen or name not in status:
        continue
    seen.add(name)
    fields = status[name]
    if fields.get("Essential") == "yes" or fields.get("Priority") == "required":
        continue
    for dep in (fields.get("Depends", "") + "," + fields.get("Pre-Depends", "")).split(","):
        alternatives = [a.split("(")[0].split(":")[0].strip() for a in dep.split("|")]
        packages += [a for a in alternatives if a in status][:1]
    for listing in (name, name + ":" + fields.get("Architecture", "")):
        listing = "/var/lib/dpkg/info/" + listing + ".list"
        if not os.path.exists(listing):
            continue
        for path in open(listing, encoding="utf-8", errors="replace").read().splitlines():
            docs = path.startswith(("/usr/share/doc", "/usr/share/man", "/usr/share/info",
                                    "/usr/share/lintian"))
            if not docs and os.path.lexists(path) and (os.path.islink(path) or not os.path.isdir(path)):
                add(path)
objects = [os.path.realpath(sys.executable)]
for root in list(keep):
    if os.path.isfile(root) and not os.path.islink(root) and elf(root):
        objects.append(root)
    for base, _dirs, files in os.walk(root):
        objects += [os.path.join(base, f) for f in files if ".so" in f]
for obj in objects:
    found = subprocess.run(["ldd", obj], capture_output=True, text=True).stdout
    for line in found.splitlines():
        parts = line.split("=>")[-1].split()
        if parts and parts[0].startswith("/"):
            add(parts[0])
links = set()
def canonical(path):
    # the path with its directory resolved (/lib64/ld.so -> /usr/lib64/ld.so on a merged-/usr system):
    # nothing is copied through a symlinked directory; those links are made again afterwards
    parent, here = os.path.dirname(path), ""
    for part in parent.strip("/").split("/"):
        here += "/" + part
        if part and os.path.islink(here):
            links.add(here)
    return os.path.join(os.path.realpath(parent), os.path.basename(path))
copied = []
for path in sorted({canonical(p) for p in keep}):
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
for link in sorted(links):
    target = out + canonical(link)
    if not os.path.lexists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(link), target)
for uid, gid, path in owned:
    os.makedirs(out + path, exist_ok=True)
    os.chown(out + path, int(uid), int(gid))
os.makedirs(out + "/tmp", exist_ok=True)
os.chmod(out + "/tmp", 0o1777)
"""


def collect_args(
    *, keep: Sequence[str] = (), packages: Sequence[str] = (), owned: Sequence[str] = (), uid: int = 0
) -> list[str]:
    """The arguments :data:`COLLECT` takes: paths to keep, apt packages, directories for ``uid``."""
    return [
        *keep,
        *(f"pkg:{p.split('=')[0]}" for p in packages),
        *(f"own:{uid}:{uid}:{d}" for d in owned),
    ]


def collect_run(args: Sequence[str]) -> str:
    """The RUN line (exec form: the source needs no shell) that collects the distroless root."""
    return f"RUN {json.dumps(['python', '-c', COLLECT.strip(), *args])}"


def strip_command() -> str:
    """The command that removes :data:`STRIP` and :data:`STRIP_VENV` (a shell expands their globs)."""
    return "rm -rf \\\n    " + " \\\n    ".join((*STRIP, *STRIP_VENV))


def strip_run() -> str:
    return "RUN " + strip_command()


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
    return "\n".join([
        f"FROM {source} AS source",
        "USER root",
        "SHELL [\"/bin/sh\", \"-c\"]",
        strip_run(),
        "",
        "FROM scratch",
        "COPY --from=source / /",
        *_config_lines(config),
        "",
    ])  # fmt: skip


def distroless_dockerfile(
    source: str, config: RuntimeConfig, *, keep: Sequence[str] = (), packages: Sequence[str] = ()
) -> str:
    """Only what the interpreter, the venvs, the app and the apt ``packages`` load, collected by
    :data:`COLLECT`."""
    paths = collect_args(keep=[p for p in (config.workdir, *keep) if p], packages=packages)
    return "\n".join([
        f"FROM {source} AS source",
        "USER root",
        collect_run(paths),
        "",
        "FROM scratch",
        "COPY --from=source /distroless/ /",
        *_config_lines(config),
        "",
    ])  # fmt: skip


def dockerfile_for(kind: str, source: str, config: RuntimeConfig, *, packages: Sequence[str] = ()) -> str:
    if kind == "stripped":
        return stripped_dockerfile(source, config)
    if kind == "distroless":
        return distroless_dockerfile(source, config, packages=packages)
    raise ValueError(f"no Dockerfile for candidate {kind!r}: the slim runtime is built as is")


def package_count_argv(docker: str, image: str) -> list[str]:
    """Debian packages the image's dpkg database lists (0 without one), with the image's own Python."""
    code = (
        "import os;p='/var/lib/dpkg/status';"
        "print(sum(l.startswith('Package:') for l in open(p)) if os.path.exists(p) else 0)"
    )
    return [docker, "run", "--rm", "--entrypoint", "python", "--user", "0", image, "-c", code]
