"""Staged, all-or-nothing writing of output files.

Every output is written to a temporary file next to its target first, and only when all of them
are complete are they moved into place, so a failure never leaves a mix of old and new outputs.
"""

from __future__ import annotations

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

def publish(files: Mapping[Path, bytes]) -> list[Path]:
    """Write every file to a temporary sibling, then move them all into place. Returns the files
    whose content changed; a file whose bytes are already there is left untouched."""
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
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]


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
