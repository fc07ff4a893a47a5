"""The one database of a Pendopo server: a SQLite file by default, PostgreSQL when
``database_url`` is set (pendopo/db_postgres.py, docs/scaling.md "Several machines").

Reads run on a small thread pool with their own read-only connections; every write goes through
one writer thread, each inside one transaction (``BEGIN IMMEDIATE`` on SQLite: the datasette
pattern). The event loop never touches the database directly. WAL mode lets SQLite's readers go
on while the writer writes.

Each component (accounts, inventory, history, ...) registers its own ordered list of migrations
under its own name; ``schema_migrations`` remembers how far each component has been upgraded,
so an existing database is upgraded in place on start. The same migrations, written in SQLite's
SQL, run on PostgreSQL through the translation in pendopo/sql_dialect.py.

What a caller may rely on is :class:`Connection`, :class:`Cursor`, :class:`Row` and
:class:`IntegrityError` below, which both backends provide: SQL with ``?`` (or ``:name``)
parameters, rows read by column name or index, ``lastrowid`` of an ``INSERT``.

``pendopo backup`` (pendopo/backup.py) copies the SQLite file through SQLite's backup API as one
more reader; ``pendopo restore`` writes only while no server holds the data folder's lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

Params = Sequence[Any] | Mapping[str, Any]
"""Positional (``?``) or named (``:name``) parameters of one statement."""


class Row(Protocol):
    """One result row: ``row["name"]`` or ``row[0]``, ``row.keys()``, ``dict(row)``, iteration
    over the values (what ``sqlite3.Row`` offers)."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def keys(self) -> list[str]: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


class Cursor(Protocol):
    """The result of one statement."""

    @property
    def lastrowid(self) -> int | None: ...
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What a read or write function is given: one connection of one worker thread.

    Inside a write an :class:`IntegrityError` ends the transaction on PostgreSQL: a function may
    turn it into its own error, never go on writing after it.
    """

    def execute(self, sql: str, params: Params = (), /) -> Cursor: ...
    def executemany(self, sql: str, params: Iterable[Params], /) -> Cursor: ...
    def executescript(self, script: str, /) -> Any:
        """Each statement of ``script`` in turn, inside the caller's transaction (a migration
        function's SQL); unlike ``sqlite3``'s own, it never commits."""
        ...

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (always, inside a write function)."""
        ...


class IntegrityError(Exception):
    """A constraint refused a write (unique, foreign key, check, not null), on either backend."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened (said once, by the command line, no traceback)."""


Migration = Callable[[Connection], None] | str
"""A migration is SQL (a script, split into statements) or a function given the connection."""

Then = Callable[[Connection, Any], None]
"""A step a caller adds to someone else's write, in the same transaction, given that write's
result: the web edge writes a change's audit record this way, so the change and its record
commit together or not at all (``docs/security.md``, "Audit log")."""


def and_then(fn: Callable[[Connection], T], then: Then | None) -> Callable[[Connection], T]:
    """``fn`` followed by ``then(conn, result)`` in one write function (one transaction)."""
    if then is None:
        return fn

    def run(conn: Connection) -> T:
        result = fn(conn)
        then(conn, result)
        return result

    return run


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """``INSERT`` of ``columns`` that updates the row already there under ``key``: what SQLite's
    ``INSERT OR REPLACE`` did, in SQL both backends read (``ON CONFLICT ... DO UPDATE``)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


@dataclass(frozen=True)
class Component:
    """A named, ordered list of migrations. Never edit a released migration: append a new one."""

    name: str
    migrations: Sequence[Migration]


class BackendConnection(Connection, Protocol):
    """A backend's connection: what callers see, and the transaction steps the front runs."""

    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class Backend(Protocol):
    """Where the data lives: opens connections for the front's worker threads."""

    name: str

    def connect(self, *, readonly: bool) -> BackendConnection: ...
    def prepare(self, conn: BackendConnection) -> None:
        """Once at open, before the migrations (SQLite: WAL; PostgreSQL: a migration lock)."""
        ...


_STOP = object()


@contextmanager
def integrity_errors(driver_error: type[Exception]) -> Iterator[None]:
    """A driver's integrity error, raised inside, leaves as :class:`IntegrityError`."""
    try:
        yield
    except driver_error as exc:
        raise IntegrityError(str(exc)) from exc


class BaseConnection:
    """What both backends' connections share: a script run as its statements, and the
    writer's transaction steps as statements on the driver's connection ``raw``."""

    raw: Any
    BEGIN = "BEGIN"

    def execute(self, sql: str, params: Params = (), /) -> Any:
        raise NotImplementedError

    def executescript(self, script: str, /) -> None:
        for statement in _split_sql(script):
            self.execute(statement)

    def begin(self) -> None:
        self.raw.execute(self.BEGIN)

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()


class SqliteConnection(BaseConnection):
    """A ``sqlite3.Connection`` that raises :class:`IntegrityError` (rows are ``sqlite3.Row``)."""

    BEGIN = "BEGIN IMMEDIATE"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Params = (), /) -> sqlite3.Cursor:
        with integrity_errors(sqlite3.IntegrityError):
            return self.raw.execute(sql, params)

    def executemany(self, sql: str, params: Iterable[Params], /) -> sqlite3.Cursor:
        with integrity_errors(sqlite3.IntegrityError):
            return self.raw.executemany(sql, params)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


def _connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    if path == ":memory:":
        raise ValueError("use a file path; an in-memory database cannot be shared by threads")
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


class SqliteBackend:
    """One SQLite file (created with its folder when missing)."""

    name = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def connect(self, *, readonly: bool) -> SqliteConnection:
        if not readonly:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteConnection(_connect(self.path, readonly=readonly))

    def prepare(self, conn: BackendConnection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")


class Database:
    """Async front of the database: ``await db.read(fn)`` and ``await db.write(fn)``.

    ``fn`` receives a :class:`Connection` and runs in a worker thread. A write function runs
    inside one transaction: it commits when ``fn`` returns and rolls back when it raises, so an
    import that fails half-way leaves nothing behind. ``Database(path)`` is a SQLite file;
    ``Database(backend)`` any backend (``pendopo.db_choice.database_for`` picks it from the
    settings).
    """

    def __init__(self, where: str | Path | Backend, *, readers: int = 2) -> None:
        self.backend: Backend = SqliteBackend(where) if isinstance(where, str | Path) else where
        self.path = getattr(self.backend, "path", "")
        """The SQLite file; empty on another backend."""
        self._readers = readers
        self._write_queue: queue.Queue[Any] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[BackendConnection] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def open(self, components: Iterable[Component] = ()) -> None:
        """Create the database if needed, run pending migrations, start the threads."""
        conn = self.backend.connect(readonly=False)
        try:
            self.backend.prepare(conn)
            migrate(conn, components)
        finally:
            conn.close()
        name = self.backend.name
        self._writer = threading.Thread(target=self._write_loop, name=f"{name}-writer", daemon=True)
        self._writer.start()
        self._pool = ThreadPoolExecutor(self._readers, thread_name_prefix=f"{name}-reader")

    def close(self) -> None:
        if self._writer is not None:
            self._write_queue.put(_STOP)
            self._writer.join(timeout=30)
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            readers, self._connections = self._connections, []
        for conn in readers:
            conn.close()

    # -- access ----------------------------------------------------------------------------
    async def read(self, fn: Callable[[Connection], T]) -> T:
        if self._pool is None:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._run_read, fn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        if self._writer is None:
            raise RuntimeError("database is not open")
        fut: Future[T] = Future()
        self._write_queue.put((fn, fut))
        return await asyncio.wrap_future(fut)

    async def execute_write(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; returns ``lastrowid``."""

        def run(conn: Connection) -> int:
            return conn.execute(sql, params).lastrowid or 0

        return await self.write(run)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.read(lambda conn: conn.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self.read(lambda conn: conn.execute(sql, params).fetchone())
        return row

    # -- threads ---------------------------------------------------------------------------
    def _run_read(self, fn: Callable[[Connection], T]) -> T:
        conn: BackendConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.backend.connect(readonly=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return fn(conn)

    def _write_loop(self) -> None:
        conn = self.backend.connect(readonly=False)
        try:
            while True:
                item = self._write_queue.get()
                if item is _STOP:
                    break
                fn, fut = item
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    conn.begin()
                    try:
                        result = fn(conn)
                    except BaseException:
                        conn.rollback()
                        raise
                    conn.commit()
                except BaseException as exc:
                    fut.set_exception(exc)
                else:
                    fut.set_result(result)
        finally:
            conn.close()


def migrate(conn: Connection, components: Iterable[Component]) -> None:
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
