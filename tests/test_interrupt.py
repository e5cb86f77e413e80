"""Interrupted builds: the previous outputs survive SIGKILL and SIGTERM at any moment, and a
second build started while one runs is refused cleanly."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from coprod.pipeline import recover_interrupted
from coprod.project import Project


def _coprod(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "coprod", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _snapshot(root: Path) -> tuple[dict, dict]:
    def digest(paths):  # noqa: ANN001, ANN202
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in paths if p.is_file()}

    package = digest([root / "datapackage.json", *sorted((root / "processed").iterdir())])
    site = digest(sorted((root / "build" / "site").rglob("*")))
    return package, site


def _bump_version(root: Path, version: str) -> None:
    path = root / "schemas" / "package.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("version:"))
    path.write_text(text.replace(old, f"version: {version}"), encoding="utf-8")


@pytest.fixture(scope="module")
def two_states(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple, tuple]:
    """The demo built (the previous outputs), its version then bumped so that a rebuild changes
    every output, and what that rebuild produces (built once, in a copy)."""
    import shutil

    from conftest import copy_package

    root = copy_package(tmp_path_factory.mktemp("interrupt") / "demo")
    assert _coprod(root, "build").wait() == 0
    previous = _snapshot(root)
    _bump_version(root, "9.9.9")
    copy = root.parent / "copy"
    shutil.copytree(root, copy)
    assert _coprod(copy, "build").wait() == 0
    new = _snapshot(copy)
    assert new[0] != previous[0] and new[1] != previous[1]
    return root, previous, new


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_interrupting_a_build_keeps_whole_outputs(two_states, sig: int) -> None:
    root, previous, new = two_states
    for delay in (0.5, 1.5, 3.0):
        process = _coprod(root, "build", "--force")
        time.sleep(delay)
        process.send_signal(sig)
        code = process.wait()
        if sig == signal.SIGTERM and code != 0:
            # 130 while coprod works; before and after (starting, exiting), Python's default
            assert code in (130, -signal.SIGTERM), process.stderr.read()
        recover_interrupted(Project(root))  # what the next coprod run does first
        package, site = _snapshot(root)
        # Each stage's outputs are whole: all previous or all new, never a mix.
        assert package in (previous[0], new[0]), delay
        assert site in (previous[1], new[1]), delay
        for parquet in (root / "processed").glob("*.parquet"):
            pq.read_table(parquet)  # readable
        assert not list(root.glob("processed/.*")), "staged files left behind"


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
