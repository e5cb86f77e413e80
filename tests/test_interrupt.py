"""Interrupted builds: the previous outputs survive SIGKILL and SIGTERM at any moment, and a
second build started while one runs is refused cleanly."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from coprod.pipeline import recover_interrupted
from coprod.project import Project


def _coprod(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "coprod", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _bump_version(root: Path, version: str) -> None:
    path = root / "schemas" / "package.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("version:"))
    path.write_text(text.replace(old, f"version: {version}"), encoding="utf-8")


def _one_build(root: Path) -> str:
    """Every published output belongs to one build: the Parquet files are those the
    descriptor's hashes name, the codebook is of the descriptor's version, and the site was
    rendered from this descriptor (its build id) and offers exactly these files. Returns the
    version published."""
    descriptor_bytes = (root / "datapackage.json").read_bytes()
    descriptor = json.loads(descriptor_bytes)
    for resource in descriptor["resources"]:
        data = (root / resource["path"]).read_bytes()
        assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}", resource["path"]
        pq.read_table(root / resource["path"])  # readable
    codebook = (root / "processed" / "codebook.json").read_bytes()
    assert json.loads(codebook)["version"] == descriptor["version"]
    site = root / "build" / "site"
    build_id = hashlib.sha256(descriptor_bytes).hexdigest()[:12]
    assert f"<code>{build_id}</code>" in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "downloads" / "datapackage.json").read_bytes() == descriptor_bytes
    assert (site / "downloads" / "codebook.json").read_bytes() == codebook
    assert not list(root.glob("processed/.*")) and not list(root.glob(".*.tmp")), "staging left"
    assert not [p for p in (root / "build").glob(".site*")], "site staging left"
    return descriptor["version"]


# How many seeded kills a test run makes: CI makes some; `COPROD_KILLS=100` makes the hundred
# the issue asks for (three and a half minutes here).
KILLS = int(os.environ.get("COPROD_KILLS", "12"))


def test_a_build_killed_at_any_moment_leaves_one_whole_build(demo: Path) -> None:
    """Builds killed (SIGKILL, or SIGTERM) at seeded moments spread over the whole build, from
    its start-up to its last rename: after each, the outputs are one build's, all previous or
    all new; and a build afterwards succeeds."""
    assert _coprod(demo, "build").wait() == 0
    started = time.monotonic()
    _bump_version(demo, "8.0.0")
    assert _coprod(demo, "build").wait() == 0
    duration = time.monotonic() - started  # a whole build, start-up to exit
    versions = {_one_build(demo)}
    rng = random.Random(20261204)
    for kill in range(KILLS):
        version = f"8.0.{kill + 1}"
        _bump_version(demo, version)
        process = _coprod(demo, "build")
        time.sleep(rng.uniform(0.05, duration * 1.05))
        sig = signal.SIGKILL if kill % 3 else signal.SIGTERM
        process.send_signal(sig)
        code = process.wait()
        assert code in (0, 130, -signal.SIGKILL, -signal.SIGTERM), process.stderr.read()
        recover_interrupted(Project(demo))  # what the next coprod run does first
        published = _one_build(demo)
        assert published in (*versions, version), (kill, published)
        if code == 0:
            assert published == version
        versions.add(published)
    result = _coprod(demo, "build")
    assert result.wait() == 0, result.stderr.read()
    assert _one_build(demo) == f"8.0.{KILLS}"


def test_two_builds_at_once_one_is_refused(demo: Path) -> None:
    first = _coprod(demo, "build", "--force")
    time.sleep(0.8)  # inside its lock by now
    second = _coprod(demo, "build", "--force")
    second_out = second.communicate()
    assert first.wait() == 0, first.stderr.read()
    assert second.returncode == 3, second_out
    assert "another coprod run is writing this package (process " in second_out[1]
    assert "Traceback" not in second_out[1]
    assert os.path.exists(demo / "datapackage.json")
