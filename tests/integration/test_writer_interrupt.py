"""An interrupted write leaves every file old or new, never half-written.

A child process applies a plan of 50 files of 2 MB while this process sends it SIGINT, SIGTERM, two
SIGINTs or SIGKILL at random moments. No Docker needed; marked integration because it runs processes
and takes about half a minute.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard.render import writer
from dockyard.render.writer import Format

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FILES = 50
LINES = 20_000  # of 100 bytes: 2 MB a file

CHILD = """
import signal, sys, time
from pathlib import Path
from dockyard.render import writer
from tests.integration.test_writer_interrupt import planned_files

root, version = Path(sys.argv[1]), int(sys.argv[2])
plan = writer.plan_writes(root, planned_files(version))
print("apply", flush=True)
started = time.perf_counter()
try:
    writer.apply(plan)
except KeyboardInterrupt as exc:
    print(f"interrupted: {exc}", flush=True)
    sys.exit(130)
# Hold any late signal: we test apply, not interpreter shutdown.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
print(f"done {time.perf_counter() - started:.4f}", flush=True)
"""


def content(version: int, index: int) -> str:
    return f"version {version} of file {index}\n" + (f"{version:04d}{index:02d}" * 16 + "\n") * LINES


def planned_files(version: int) -> dict[str, writer.GeneratedFile]:
    return {
        f"data/f{index:02d}.txt": writer.GeneratedFile(content(version, index), source="interrupt-test")
        for index in range(FILES)
    }


def digests(root: Path) -> dict[str, str]:
    return {
        f"data/f{index:02d}.txt": hashlib.sha256((root / f"data/f{index:02d}.txt").read_bytes()).hexdigest()
        for index in range(FILES)
    }


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "data").iterdir() if writer.TEMP_MARK in p.name)


def run_child(root: Path, version: int, signals: tuple[int, ...] = (), delay: float = 0.0) -> tuple[int, str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(version)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line == "apply\n", child.communicate()
    if signals:
        time.sleep(delay)
        for signum in signals:
            child.send_signal(signum)
            time.sleep(0.001)
    out, err = child.communicate(timeout=120)
    return child.returncode, line + out + err


def classify(root: Path, before: dict[str, str], version: int) -> tuple[int, int]:
    """(old, new) file counts; fails on any file that is neither."""
    counts = [0, 0]
    for rel, digest in digests(root).items():
        if digest == before[rel]:
            counts[0] += 1
            continue
        index = int(rel[-6:-4])
        text, header = writer.strip_header((root / rel).read_text(), Format.HASH)
        assert text == content(version, index), f"{rel} is neither the old nor the new version"
        assert header is not None and header.matches(text)
        counts[1] += 1
    return counts[0], counts[1]


def test_interrupted_writes_leave_each_file_old_or_new(tmp_path: Path) -> None:
    rng = random.Random()
    version = 0
    assert run_child(tmp_path, version)[0] == 0  # create
    version += 1
    returncode, output = run_child(tmp_path, version)  # update: the case the trials interrupt
    assert returncode == 0, output
    duration = float(output.split("done ")[1])

    mixed = 0
    stops: list[tuple[str, int, int, int]] = []
    trials = [(signal.SIGINT,)] * 5 + [(signal.SIGTERM,)] * 5 + [(signal.SIGINT, signal.SIGINT)] * 3
    trials += [(signal.SIGKILL,)] * 3
    for signals in trials:
        version += 1
        before = digests(tmp_path)
        returncode, output = run_child(tmp_path, version, signals, delay=rng.uniform(0, duration))
        old, new = classify(tmp_path, before, version)
        name = "+".join(signal.Signals(s).name for s in signals)
        if signals == (signal.SIGKILL,):
            assert returncode in (0, -signal.SIGKILL), output
            continue
        if len(signals) == 2:
            # The second SIGINT may land after apply returned, in the child's own except block.
            assert returncode in (0, 130, -signal.SIGINT), output
            continue
        # SIGTERM behaves like SIGINT: a KeyboardInterrupt, exit 130, not death by signal.
        assert (returncode, new) == (0, FILES) or returncode == 130, f"{name}: {output}"
        if returncode == 130:
            assert f"interrupted: stopped by {name}: every file dockyard wrote is complete" in output
        assert leftovers(tmp_path) == [], f"{name} left temp files"
        mixed += old > 0 and new > 0
        stops.append((name, returncode, old, new))

    assert mixed > 0, f"no trial stopped between two files (name, exit, old, new): {stops}"
    # A run after hard kills removes their temp files and finishes the job.
    version += 1
    before = digests(tmp_path)
    returncode, output = run_child(tmp_path, version)
    assert returncode == 0, output
    assert classify(tmp_path, before, version) == (0, FILES)
    assert leftovers(tmp_path) == []
