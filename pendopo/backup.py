"""``pendopo backup FILE`` and ``pendopo restore FILE``: the database copied with SQLite's online
backup API.

Backup reads: it opens the database read-only and copies every page in one step of the backup
API, under one read transaction. In WAL mode (pendopo/db.py) that read neither blocks nor is
blocked by the server's one writer, so a backup taken while people work is the database as of
one commit. The copy is checked (``integrity_check``) and switched to a plain rollback journal
(one self-contained file) before it replaces FILE.

Restore writes, so it never runs beside a server: every running server holds a shared lock on
``<data_dir>/pendopo.lock`` (:func:`hold_serving_lock`), restore takes it exclusively and refuses
when it cannot. There is no ``--force``: a running server keeps caches of the database (the
site directory, the rooms, the prober's state) that a file swapped under it would contradict.
The database being replaced is moved aside, not deleted (``pendopo.sqlite3.before-restore-*``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sqlite3
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pendopo.cli_common import command
from pendopo.config import Settings
from pendopo.db_choice import uses_sqlite_file
from pendopo.schema import components

LOCK_FILE = "pendopo.lock"


class BackupError(Exception):
    """Backup or restore cannot go ahead; the message says why and what to do."""


# -- the serving lock -------------------------------------------------------------------------
class ServingLock:
    """A shared ``flock`` on ``<data_dir>/pendopo.lock`` held while a server runs (several
    processes of one data_dir share it); the kernel drops it when the process dies."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock(data_dir: Path, mode: int) -> int | None:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def hold_serving_lock(data_dir: Path) -> ServingLock:
    fd = _lock(data_dir, fcntl.LOCK_SH)
    if fd is None:
        raise BackupError(f"a restore into {data_dir} is running; start the server after it")
    return ServingLock(fd)


# -- backup -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    versions: dict[str, int]
    """schema_migrations of the copy: component -> version."""


def _versions(conn: sqlite3.Connection) -> dict[str, int]:
    try:
        rows = conn.execute("SELECT component, version FROM schema_migrations").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a Pendopo database ({exc})") from exc
    return {str(name): int(version) for name, version in rows}


def _check(conn: sqlite3.Connection, what: Path) -> None:
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a usable SQLite database ({exc})") from exc
    if result != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(result[:5])}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: sqlite3.Connection, dest: Path) -> BackupInfo:
    """Copy ``source`` into a fresh file that then atomically replaces ``dest``."""
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(partial, isolation_level=None)
    try:
        source.backup(target)  # pages=-1: one step, one read transaction, one consistent copy
        target.execute("PRAGMA journal_mode = DELETE")
        _check(target, dest)
        versions = _versions(target)
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, dest)
    _fsync_dir(dest.parent)
    return BackupInfo(dest, dest.stat().st_size, versions)


def _open_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def backup(db_path: Path, dest: Path) -> BackupInfo:
    """Copy the database at ``db_path`` to ``dest`` (replaced atomically), server running or not."""
    if dest.resolve() == db_path.resolve():
        raise BackupError("the backup file cannot be the database itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = _open_readonly(db_path)
    try:
        return _copy(source, dest)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot read {db_path}: {exc}") from exc
    finally:
        source.close()


# -- restore ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RestoreInfo:
    versions: dict[str, int]
    previous: Path | None
    """The database that was replaced, moved aside next to it (None when there was none)."""


def restore(
    source_file: Path, data_dir: Path, db_path: Path, known: Mapping[str, int]
) -> RestoreInfo:
    """Replace the database with ``source_file``. ``known``: component -> newest version this
    code can migrate to; a copy made by a newer Pendopo is refused (no downgrades)."""
    source = _open_readonly(source_file)
    try:
        _check(source, source_file)
        versions = _versions(source)
        newer = {c: v for c, v in versions.items() if c in known and v > known[c]}
        if newer:
            raise BackupError(
                f"{source_file} was made by a newer Pendopo (schema {newer}); upgrade first"
            )
        fd = _lock(data_dir, fcntl.LOCK_EX)
        if fd is None:
            raise BackupError(
                f"a Pendopo server is running on {data_dir}: stop it first"
                " (systemctl stop pendopo), restore, then start it again"
            )
        try:
            previous = _set_aside(db_path)
            _copy(source, db_path)
        finally:
            os.close(fd)
    finally:
        source.close()
    return RestoreInfo(versions, previous)


def _set_aside(db_path: Path) -> Path | None:
    """Move the current database (and its WAL) aside under a dated name (no server is running).

    Renamed, not copied: a damaged database, the usual reason for a restore, is kept as it was.
    """
    if not db_path.exists():
        return None
    with contextlib.suppress(sqlite3.DatabaseError):  # fold the WAL in when the file allows it
        conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    aside = db_path.with_name(f"{db_path.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(db_path, aside)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:  # SQLite finds a WAL by its database's name
        os.replace(wal, aside.with_name(aside.name + "-wal"))
    wal.unlink(missing_ok=True)
    db_path.with_name(db_path.name + "-shm").unlink(missing_ok=True)
    _fsync_dir(db_path.parent)
    return aside


# -- command line -----------------------------------------------------------------------------
def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the backup file")


def _not_a_file(settings: Settings, name: str) -> bool:
    """``database_url`` set: no SQLite file to copy; say what to use instead."""
    if uses_sqlite_file(settings):
        return False
    print(
        f"pendopo {name}: the data is in PostgreSQL (database_url), not in a SQLite file:"
        ' use pg_dump and pg_restore (docs/deploy.md, "PostgreSQL")',
        file=sys.stderr,
    )
    return True


@command("backup", "copy the database to FILE, also while the server runs", _file_argument)
def backup_command(settings: Settings, args: argparse.Namespace) -> int:
    if _not_a_file(settings, "backup"):
        return 2
    try:
        info = backup(settings.db_path, args.file)
    except (BackupError, OSError) as exc:
        print(f"pendopo backup: {exc}", file=sys.stderr)
        return 1
    schema = ", ".join(f"{c} {v}" for c, v in sorted(info.versions.items()))
    print(f"Wrote {info.path} ({info.size} bytes; schema: {schema})")
    return 0


@command("restore", "replace the database with FILE (stop the server first)", _file_argument)
def restore_command(settings: Settings, args: argparse.Namespace) -> int:
    if _not_a_file(settings, "restore"):
        return 2
    # the components the server migrates, in order
    known = {component.name: len(component.migrations) for component in components()}
    try:
        info = restore(args.file, settings.data_dir, settings.db_path, known)
    except (BackupError, OSError) as exc:
        print(f"pendopo restore: {exc}", file=sys.stderr)
        return 1
    if info.previous is not None:
        print(f"The replaced database is kept as {info.previous}")
    print(f"Restored {args.file} into {settings.db_path}; the next start migrates it if needed.")
    return 0
