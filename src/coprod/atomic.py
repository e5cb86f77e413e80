"""One command, one transaction: everything a command publishes changes together.

A :class:`Unit` is what one command publishes: files (Parquet, ``codebook.json``,
``datapackage.json``, reports, the build state) and folders swapped in whole (the site). It is
first staged completely beside its targets: temporary files next to each file, a staging folder
next to each folder. Only then is a journal written (atomically), listing every move; the moves
are made (each replaced file kept as a hard-linked backup, each replaced folder renamed aside);
the journal is marked committed; the backups are removed and the journal deleted.

A process killed at any moment (even by SIGKILL) leaves either no journal (nothing was moved,
or everything was and only clean-up remained: harmless leftovers are removed by the next run) or
a journal that the next coprod run reads first: before the commit mark it rolls every move back,
after it it finishes the clean-up. So a reader sees all the previous outputs or all the new
ones, never a mix.

The journal is read from disk, so it is not trusted: every path it names must be one the
command itself publishes or stages inside the package (``allowed``); otherwise nothing is done
and the run stops with a configuration error.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()
BACKUP = ".previous"  # suffix of a replaced file's backup: .<name>.previous
OLD = "-old"  # suffix of a replaced folder, renamed aside: .<name>-old


class PublishError(ConfigError):
    """The file system refused to take the outputs (disk full, read-only, permission denied):
    nothing was published, and the staged copies are removed."""


def fault(exc: OSError, path: Path | str, doing: str) -> PublishError:
    """An environment fault as a message naming the path and what to do."""
    hints = {
        errno.ENOSPC: "the disk is full: free some space, then run the command again",
        errno.EDQUOT: "the disk quota is used up: free some space, then run the command again",
        errno.EROFS: "the file system is read-only: run coprod where it may write",
        errno.EACCES: "permission denied: make the folder writable for you, or run coprod as "
                      "the user who owns it",
        errno.EPERM: "not permitted: make the folder writable for you",
        errno.EBUSY: "the path is busy (a mount point or an open file): close what holds it, "
                     "or publish elsewhere",
        errno.ENOTDIR: "a part of the path is a file where a folder is needed: remove or "
                       "rename it",
        errno.EEXIST: "a part of the path is a file where a folder is needed: remove or "
                      "rename it",
        errno.EISDIR: "the path is a folder where a file is needed: remove or rename it",
        errno.EXDEV: "staging and output are on different file systems: keep build/ and the "
                     "outputs on one",
    }
    reason = exc.strerror or type(exc).__name__
    return PublishError(f"{path}: cannot {doing} ({reason})",
                        hint=hints.get(exc.errno or 0, "check the path and its permissions; "
                                                       "the previous outputs are untouched"))


@dataclass
class Unit:
    """What one command publishes, as one transaction."""

    files: dict[Path, bytes] = field(default_factory=dict)
    folders: dict[Path, Mapping[str, bytes]] = field(default_factory=dict)  # relative -> bytes

    def __bool__(self) -> bool:
        return bool(self.files or self.folders)


def _backup(target: Path) -> Path:
    return target.with_name(f".{target.name}{BACKUP}")


def _old(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}{OLD}")


def _stage_file(target: Path, data: bytes, staged: list[tuple[Path, Path]]) -> Path:
    """A temporary copy of ``data`` beside ``target``, listed in ``staged`` as soon as it
    exists, so that an interrupt at any point after leaves nothing unlisted to remove."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    staged.append((Path(tmp), target))
    try:
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are for everyone to read
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _stage_folder(target: Path, files: Mapping[str, bytes],
                  staged: list[tuple[Path, Path]]) -> Path:
    """A staging folder beside ``target`` holding ``files``, listed in ``staged`` as soon as it
    exists."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staged.append((staging, target))
    try:
        for relative, data in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def publish(unit: Unit | Mapping[Path, bytes], journal: Path | None = None) -> list[Path]:
    """Publish a unit: stage it all, then move it into place as one transaction (recorded in
    ``journal``, when given, so that :func:`recover` can undo or finish it). Returns the files
    and folders that changed; a file whose bytes are already there is left untouched. An
    environment fault is a :class:`PublishError`, with nothing published and nothing left."""
    if not isinstance(unit, Unit):
        unit = Unit(dict(unit))
    files: list[tuple[Path, Path]] = []  # (tmp, target)
    folders: list[tuple[Path, Path]] = []  # (staging, target)
    doing, where = "write", Path()
    try:
        for target, data in unit.files.items():
            where = target
            if target.is_file() and target.read_bytes() == data:
                continue
            if target.is_symlink() or (target.exists() and not target.is_file()):
                raise PublishError(f"{target}: is not a regular file",
                                   hint="remove it: coprod writes its outputs itself")
            _stage_file(target, data, files)
        for target, content in unit.folders.items():
            where = target
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                raise PublishError(f"{target}: is not a folder coprod made (a link or a file)",
                                   hint="remove it: coprod writes its outputs itself")
            _stage_folder(target, content, folders)
        doing = "publish"
        _move(files, folders, journal)
    except OSError as exc:
        _discard(files, folders)
        # while moving, the path the file system refused (a backup, a folder set aside) is named
        failed = exc.filename if doing == "publish" and exc.filename else where
        raise fault(exc, failed, doing) from None
    except BaseException:
        _discard(files, folders)
        raise
    return [target for _, target in files] + [target for _, target in folders]


def _discard(files: list[tuple[Path, Path]], folders: list[tuple[Path, Path]]) -> None:
    for tmp, _ in files:
        tmp.unlink(missing_ok=True)
    for staging, _ in folders:
        shutil.rmtree(staging, ignore_errors=True)


def _move(files: list[tuple[Path, Path]], folders: list[tuple[Path, Path]],
          journal: Path | None) -> None:
    """The moves of a publication, recorded in the journal. Interrupted (Ctrl-C, SIGTERM) or
    failing before the commit, they are undone here and then, so that "the previous outputs are
    untouched" holds when the command says so; only when even that is cut short is the journal
    left for the next run. After the commit the publication is complete: an interrupt during
    the clean-up is answered by completing it."""
    if not files and not folders:
        return
    record: dict = {"phase": "prepared", "files": [], "folders": []}
    try:
        for tmp, target in files:
            backup = _backup(target) if target.exists() else None
            # recorded before it is made, so that an undo removes a backup half made
            record["files"].append({"tmp": str(tmp), "target": str(target),
                                    "backup": None if backup is None else str(backup)})
            if backup is not None:
                backup.unlink(missing_ok=True)
                try:
                    os.link(target, backup)
                except OSError:  # no hard links here: a copy is as good a backup
                    shutil.copy2(target, backup)
        for staging, target in folders:
            old = _old(target)
            if old.exists():
                shutil.rmtree(old)
            record["folders"].append({"staging": str(staging), "target": str(target),
                                      "old": str(old), "existed": target.exists()})
        if journal is not None:
            _write_atomically(journal, json.dumps(record).encode())
        for tmp, target in files:
            os.replace(tmp, target)
        for staging, target in folders:
            if target.exists():
                os.rename(target, _old(target))
            os.rename(staging, target)
        if journal is not None:
            _write_atomically(journal, json.dumps({**record, "phase": "committed"}).encode())
    except BaseException:
        try:
            _undo(record)
        except BaseException:  # the journal stays, and the next run undoes the rest
            pass
        else:
            if journal is not None:
                journal.unlink(missing_ok=True)
                journal.with_name(f".{journal.name}.tmp").unlink(missing_ok=True)
        raise
    try:
        _finish(record)
    except KeyboardInterrupt:
        _finish(record)  # published already: the clean-up is completed, not cut short
    if journal is not None:
        journal.unlink(missing_ok=True)


def _undo(record: dict) -> None:
    """Put back every move of a publication that was not committed: each file's backup (or no
    file, where there was none), each folder renamed aside; the staged copies are removed."""
    for move in record["files"]:
        target, tmp = Path(move["target"]), Path(move["tmp"])
        if move["backup"]:
            backup = Path(move["backup"])
            if backup.exists():
                os.replace(backup, target)
                # a rename onto a hard link of the same file does nothing: the backup stays
                backup.unlink(missing_ok=True)
        elif not tmp.exists():
            target.unlink(missing_ok=True)  # it was moved there and had no forerunner
        tmp.unlink(missing_ok=True)
    for swap in record["folders"]:
        target, old = Path(swap["target"]), Path(swap["old"])
        staging = Path(swap["staging"])
        if swap.get("existed", True):
            if old.exists():  # the previous folder was renamed aside: put it back
                if target.exists():
                    shutil.rmtree(target)
                os.rename(old, target)
        elif not staging.exists() and target.exists():
            shutil.rmtree(target)  # the new folder, moved in where there was none
        shutil.rmtree(staging, ignore_errors=True)


def _finish(record: dict) -> None:
    """After the commit: drop what the moves left aside."""
    for move in record["files"]:
        if move["backup"]:
            Path(move["backup"]).unlink(missing_ok=True)
        Path(move["tmp"]).unlink(missing_ok=True)
    for swap in record["folders"]:
        shutil.rmtree(swap["old"], ignore_errors=True)
        shutil.rmtree(swap["staging"], ignore_errors=True)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _checked(record: object, allowed: Callable[[Path], bool], shown: str) -> dict:
    """The journal, if every path it names is one the command publishes or stages: the target
    allowed, its temporary copy and backup beside it under their own names; else refused."""
    def refuse(what: object) -> ConfigError:
        return ConfigError(f"{shown}: names {what!r}, which is not an output or staging path "
                           "of this package: refusing to act on it",
                           hint=f"nothing was changed; if no coprod run was interrupted, delete "
                                f"{shown} and run the command again")

    if not isinstance(record, dict) or record.get("phase") not in ("prepared", "committed") \
            or not isinstance(record.get("files"), list) \
            or not isinstance(record.get("folders"), list):
        raise refuse(record if not isinstance(record, dict) else record.get("phase"))
    for move in record["files"]:
        if not isinstance(move, dict):
            raise refuse(move)
        target = Path(str(move.get("target")))
        tmp, backup = Path(str(move.get("tmp"))), move.get("backup")
        if not allowed(target):
            raise refuse(str(target))
        if tmp.parent != target.parent or not (tmp.name.startswith(f".{target.name}.")
                                               and tmp.name.endswith(".tmp")):
            raise refuse(str(tmp))
        if backup is not None and Path(str(backup)) != _backup(target):
            raise refuse(backup)
    for swap in record["folders"]:
        if not isinstance(swap, dict):
            raise refuse(swap)
        target = Path(str(swap.get("target")))
        staging, old = Path(str(swap.get("staging"))), Path(str(swap.get("old")))
        if not allowed(target):
            raise refuse(str(target))
        if staging.parent != target.parent or not staging.name.startswith(f".{target.name}-") \
                or staging == target:
            raise refuse(str(staging))
        if old != _old(target):
            raise refuse(str(old))
    return record


def recover(journal: Path, allowed: Callable[[Path], bool], shown: str = "") -> bool:
    """Undo a publication interrupted before its commit, or finish one interrupted after it.
    Returns whether there was one. Refuses (ConfigError) a journal naming any other path."""
    shown = shown or str(journal)
    if not journal.exists():
        return False
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        record = None
    record = _checked(record, allowed, shown)
    try:
        if record["phase"] == "committed":
            _finish(record)
        else:
            _undo(record)
        journal.unlink()
    except OSError as exc:
        raise fault(exc, shown, "recover an interrupted publication") from None
    return True


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``lock_file`` for the duration of the block. The
    operating system releases it when the process ends, however it ends (even by SIGKILL)."""
    import fcntl

    if lock_file.is_symlink() or (lock_file.exists() and not lock_file.is_file()):
        raise ConfigError(f"{lock_file}: the lock is not a file coprod made (a folder or a link)",
                          hint="remove it, then run the command again")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_file, "a+")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise fault(exc, lock_file, "take the lock") from None
    with handle:
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
