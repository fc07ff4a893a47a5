"""The one SQLite database of a Pendopo server.

Reads run on a small thread pool with their own read-only connections; every write goes through
one writer thread, each inside ``BEGIN IMMEDIATE`` (the datasette pattern). The event loop never
touches SQLite directly. WAL mode lets readers go on while the writer writes.

Each component (accounts, inventory, history, ...) registers its own ordered list of migrations
under its own name; ``schema_migrations`` remembers how far each component has been upgraded,
so an existing database is upgraded in place on start.

``pendopo backup`` (pendopo/backup.py) copies the file through SQLite's backup API as one more
reader; ``pendopo restore`` writes only while no server holds the data folder's lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

Migration = Callable[[sqlite3.Connection], None] | str
"""A migration is SQL (a script, run with executescript) or a function given the connection."""

Then = Callable[[sqlite3.Connection, Any], None]
"""A step a caller adds to someone else's write, in the same transaction, given that write's
result: the web edge writes a change's audit record this way, so the change and its record
commit together or not at all (``docs/security.md``, "Audit log")."""


def and_then(
    fn: Callable[[sqlite3.Connection], T], then: Then | None
) -> Callable[[sqlite3.Connection], T]:
    """``fn`` followed by ``then(conn, result)`` in one write function (one transaction)."""
    if then is None:
        return fn

    def run(conn: sqlite3.Connection) -> T:
        result = fn(conn)
        then(conn, result)
        return result

    return run


@dataclass(frozen=True)
class Component:
    """A named, ordered list of migrations. Never edit a released migration: append a new one."""

    name: str
    migrations: Sequence[Migration]


_STOP = object()


def _connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    if path == ":memory:":
        raise ValueError("use a file path; an in-memory database cannot be shared by threads")
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


class Database:
    """Async front of one SQLite file: ``await db.read(fn)`` and ``await db.write(fn)``.

    ``fn`` receives a ``sqlite3.Connection`` and runs in a worker thread. A write function runs
    inside one transaction: it commits when ``fn`` returns and rolls back when it raises, so an
    import that fails half-way leaves nothing behind.
    """

    def __init__(self, path: str | Path, *, readers: int = 2) -> None:
        self.path = str(path)
        self._readers = readers
        self._write_queue: queue.Queue[Any] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()

    # -- lifecycle -------------------------------------------------------------------------
    def open(self, components: Iterable[Component] = ()) -> None:
        """Create the file if needed, switch to WAL, run pending migrations, start the threads."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(self.path, readonly=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, components)
        finally:
            conn.close()
        self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer", daemon=True)
        self._writer.start()
        self._pool = ThreadPoolExecutor(self._readers, thread_name_prefix="sqlite-reader")

    def close(self) -> None:
        if self._writer is not None:
            self._write_queue.put(_STOP)
            self._writer.join(timeout=30)
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # -- access ----------------------------------------------------------------------------
    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._pool is None:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._run_read, fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            raise RuntimeError("database is not open")
        fut: Future[T] = Future()
        self._write_queue.put((fn, fut))
        return await asyncio.wrap_future(fut)

    async def execute_write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement in its own transaction; returns ``lastrowid``."""

        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(sql, params).lastrowid or 0

        return await self.write(run)

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        return await self.read(lambda conn: conn.execute(sql, params).fetchall())

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self.read(lambda conn: conn.execute(sql, params).fetchone())
        return row

    # -- threads ---------------------------------------------------------------------------
    def _run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, readonly=True)
            self._local.conn = conn
        return fn(conn)

    def _write_loop(self) -> None:
        conn = _connect(self.path, readonly=False)
        try:
            while True:
                item = self._write_queue.get()
                if item is _STOP:
                    break
                fn, fut = item
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = fn(conn)
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                except BaseException as exc:
                    fut.set_exception(exc)
                else:
                    fut.set_result(result)
        finally:
            conn.close()


def migrate(conn: sqlite3.Connection, components: Iterable[Component]) -> None:
    """Bring every component's schema up to date, each migration in its own transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    for component in components:
        row = conn.execute(
            "SELECT version FROM schema_migrations WHERE component = ?", (component.name,)
        ).fetchone()
        current = row[0] if row else 0
        for version, step in enumerate(component.migrations, start=1):
            if version <= current:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                if isinstance(step, str):
                    for statement in _split_sql(step):
                        conn.execute(statement)
                else:
                    step(conn)
                conn.execute(
                    "INSERT INTO schema_migrations (component, version) VALUES (?, ?)"
                    " ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    (component.name, version),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            log.info("migrated %s to version %d", component.name, version)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    statements: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf)
            buf = ""
    if buf.strip():
        statements.append(buf)
    return statements
