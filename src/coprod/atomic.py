"""Staged, all-or-nothing writing of output files.

Every output is written to a temporary file next to its target first. Only when all of them are
complete is a journal written (itself atomically), listing each move and a hard-linked backup of
the file it replaces; then the files are moved into place and the journal is deleted. A process
killed in between (even by SIGKILL) leaves the journal behind, and the next coprod run rolls the
moves back before it does anything else, so the previous outputs survive any interruption: a
reader sees old files or new files, each complete, never a half-written one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()

def publish(files: Mapping[Path, bytes], journal: Path | None = None) -> list[Path]:
    """Write every file to a temporary sibling, then move them all into place. Returns the files
    whose content changed; a file whose bytes are already there is left untouched. With a
    journal, an interrupted publication is rolled back by :func:`recover`."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are for everyone to read
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            staged.append((tmp, target))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    if journal is not None and staged:
        moves = []
        for tmp, target in staged:
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.previous")
                backup.unlink(missing_ok=True)
                os.link(target, backup)
            moves.append({"tmp": tmp, "target": str(target),
                          "backup": None if backup is None else str(backup)})
        _write_atomically(journal, json.dumps({"moves": moves}).encode())
    for tmp, target in staged:
        os.replace(tmp, target)
    if journal is not None and staged:
        journal.unlink()
        for move in moves:
            if move["backup"]:
                Path(move["backup"]).unlink(missing_ok=True)
    return [target for _, target in staged]


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def recover(journal: Path) -> bool:
    """Roll back a publication that was interrupted: put every backed-up file back, remove the
    files that did not exist before, drop the staged copies. Returns whether there was one."""
    if not journal.is_file():
        return False
    try:
        moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
    except (OSError, ValueError, KeyError):
        moves = []  # the journal itself was being written: nothing was moved yet
    for move in moves:
        target = Path(move["target"])
        if move["backup"] and Path(move["backup"]).exists():
            os.replace(move["backup"], target)
        elif not move["backup"]:
            target.unlink(missing_ok=True)
        Path(move["tmp"]).unlink(missing_ok=True)
    journal.unlink(missing_ok=True)
    return True


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``lock_file`` for the duration of the block. The
    operating system releases it when the process ends, however it ends (even by SIGKILL)."""
    import fcntl

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise Busy(handle.read().strip()) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
