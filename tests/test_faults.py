"""Faults of the environment and things on disk that coprod must not trust: each is an error
with its exit code and a message naming the path and what to do, never an internal error, and
the outputs stay whole (all previous). File-system faults (a full disk, a read-only folder) run
on a small tmpfs the test mounts, which needs root (as in CI); elsewhere they say they are
skipped."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from coprod.cli import main


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _outputs(root: Path) -> dict[str, str]:
    """Every published file, by its hash: processed/, the descriptor, the site, the report."""
    paths = [root / "datapackage.json", *(root / "processed").glob("*"),
             *(root / "build" / "site").rglob("*"), root / "build" / "reports" / "validation.json"]
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths) if p.is_file()}


def _clean(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Internal error" not in result.output and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)


@pytest.fixture
def built(tiny: Path) -> Path:
    assert _run(tiny, "build").exit_code == 0
    return tiny


def _change(root: Path) -> None:
    """A change that makes every output new: another version."""
    path = root / "schemas" / "package.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("version: 0.1.0", "version: 0.1.1"),
                    encoding="utf-8")


# --- what is read from disk or the command line is not trusted ----------------------------------


def test_a_crafted_journal_is_refused_and_never_acted_on(built: Path, tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    planted = tmp_path / "planted.html"
    planted.write_text("<script>evil()</script>", encoding="utf-8")
    journal = built / "build" / ".publish-journal.json"
    before = _outputs(built)
    for record in (
        # delete a file outside the package
        {"phase": "prepared", "files": [{"tmp": str(outside) + ".tmp", "target": str(outside),
                                         "backup": None}], "folders": []},
        # move an outside file into the site
        {"phase": "prepared", "folders": [], "files": [{
            "tmp": str(planted), "target": str(built / "build" / "site" / "index.html"),
            "backup": str(built / "build" / "site" / ".index.html.previous")}]},
        # an output of the package, but a backup from elsewhere
        {"phase": "prepared", "folders": [], "files": [{
            "tmp": str(built / "processed" / ".things.parquet.x.tmp"),
            "target": str(built / "processed" / "things.parquet"), "backup": str(planted)}]},
        # a folder swap of the wrong folder
        {"phase": "committed", "files": [], "folders": [{
            "staging": str(tmp_path / ".x-1"), "target": str(tmp_path),
            "old": str(tmp_path.with_name(f".{tmp_path.name}-old"))}]},
        ["not", "a", "journal"],
        "{broken json",
    ):
        journal.write_text(record if isinstance(record, str) else json.dumps(record),
                           encoding="utf-8")
        result = _run(built, "build", "--force")
        _clean(result, 3, "build/.publish-journal.json: names ",
               "refusing to act on it", "nothing was changed")
        assert outside.read_text(encoding="utf-8") == "keep me"
        assert planted.exists() and journal.exists()
        assert _outputs(built) == before
    journal.unlink()  # the steward's decision, as the message says
    assert _run(built, "build", "--force").exit_code == 0


def test_diff_passes_no_option_to_git(built: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=built, check=True)
    target = tmp_path / "written-by-git"
    result = _run(built, "diff", "--", f"--output={target}")
    _clean(result, 2, f"'--output={target}' is neither a package folder nor a revision")
    assert not target.exists()


def test_a_lock_of_the_wrong_kind_is_an_error(built: Path) -> None:
    lock = built / "build" / ".lock"
    lock.unlink()
    lock.mkdir()
    before = _outputs(built)
    _clean(_run(built, "build", "--force"), 3, "build/.lock: the lock is not a file coprod made",
           "remove it")
    assert _outputs(built) == before


def test_a_state_of_another_shape_means_rebuild_everything(built: Path) -> None:
    (built / "build" / "state.json").write_text("[1, 2, 3]", encoding="utf-8")
    result = _run(built, "build")
    _clean(result, 0, "Ran: package (no record of an earlier build), site (")
    assert json.loads((built / "build" / "state.json").read_text(encoding="utf-8"))["package"]


def test_a_site_folder_that_is_a_link_is_refused(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(built / "build" / "site", elsewhere)
    (built / "build" / "site").symlink_to(elsewhere)
    before = {p.name: p.read_bytes() for p in elsewhere.glob("*.html")}
    _change(built)
    _clean(_run(built, "build"), 3, "build/site: is not a folder coprod made (a link or a file)")
    assert {p.name: p.read_bytes() for p in elsewhere.glob("*.html")} == before
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["version"] == "0.1.0"  # the package did not change without its site


def test_a_huge_field_is_read_and_reported(tiny: Path) -> None:
    rows = (tiny / "raw" / "no_things.csv").read_bytes().decode("cp1252").split("\r\n")
    cells = rows[2].split(";")
    cells[5] = "x" * (50 * 2**20)  # a 50 MB comment
    rows[2] = ";".join(cells) + ";extra"  # and one field too many on that row
    (tiny / "raw" / "no_things.csv").write_bytes("\r\n".join(rows).encode("cp1252"))
    result = _run(tiny, "validate", "no-things-2018")
    _clean(result, 1, "raw/no_things.csv: line 3, row 2: 8 fields where the header has 7")


# --- faults of the file system (a tmpfs of our own: root only) -----------------------------------


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root): file-system faults skipped")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): skipped")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _package_on(mount: Path, tiny: Path) -> Path:
    root = mount / "pkg"
    shutil.copytree(tiny, root)
    assert _run(root, "build").exit_code == 0
    return root


def test_a_full_disk_changes_nothing_and_says_so(tiny: Path, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "small", "40m") as mount:
        root = _package_on(mount, tiny)
        before = _outputs(root)
        _change(root)
        free = shutil.disk_usage(mount).free
        ballast = mount / "ballast"
        with open(ballast, "wb") as handle:  # leave a few kilobytes
            handle.write(b"\0" * max(0, free - 16 * 1024))
        result = _run(root, "build")
        _clean(result, 3, "cannot ", "disk is full")
        assert _outputs(root) == before
        leftovers = [p for p in root.rglob(".*") if p.name not in (".lock",)]
        assert leftovers == [], leftovers
        ballast.unlink()
        _clean(_run(root, "build"), 0)  # with room again, it builds


def test_a_read_only_package_changes_nothing_and_says_so(tiny: Path, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "40m") as mount:
        root = _package_on(mount, tiny)
        before = _outputs(root)
        _change(root)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        try:
            result = _run(root, "build")
            _clean(result, 3, "read-only")
            assert _outputs(root) == before
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        _clean(_run(root, "build"), 0)

