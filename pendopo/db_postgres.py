"""PostgreSQL behind the same ``Database`` front (``database_url = "postgresql://..."``).

psycopg 3 (the optional extra ``postgres``), one connection per worker thread as on SQLite: the
readers' connections are read-only, the one writer runs each write in one transaction. The SQL
stays SQLite's; pendopo/sql_dialect.py translates each statement once. What callers see is what
SQLite gives them: rows by name or index (:class:`PgRow`), ``lastrowid`` of an ``INSERT`` into a
table with an ``id`` (asked with ``RETURNING id``), integers where SQLite gives integers (a
``NUMERIC`` such as ``SUM`` of integers is read back as ``int``, else ``float``), and
:class:`pendopo.db.IntegrityError`. Several servers may share one database (docs/scaling.md,
"Several machines"): migrations run under an advisory lock, so two starting at once migrate once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import RowMaker

from pendopo.db import (
    BackendConnection,
    BaseConnection,
    DatabaseUnavailable,
    Params,
    integrity_errors,
)
from pendopo.sql_dialect import translate

MIGRATION_LOCK = 0x70656E646F706F
"""``pg_advisory_lock`` key held while one server migrates ("pendopo" in hex)."""


class PgRow:
    """A row like ``sqlite3.Row``: by index or (case-insensitive) column name."""

    __slots__ = ("_index", "_names", "_values")

    def __init__(self, names: Sequence[str], index: dict[str, int], values: Sequence[Any]):
        self._names = names
        self._index = index
        self._values = values

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._index[key.lower()]]
            except KeyError:
                raise IndexError(f"No item with that key: {key!r}") from None
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PgRow):
            return NotImplemented
        return self._names == other._names and tuple(self._values) == tuple(other._values)

    def __hash__(self) -> int:
        return hash((tuple(self._names), tuple(self._values)))

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._names, self._values, strict=True))!r})"


def _rows(cursor: Any) -> RowMaker[PgRow]:
    names = [c.name for c in cursor.description or ()]
    index = {name.lower(): i for i, name in enumerate(names)}
    return lambda values: PgRow(names, index, values)


class _NumericLoader(Loader):
    """``NUMERIC`` (``SUM`` of integers, ``ROUND``) as SQLite would give it: int or float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() or "N" in text else int(text)


class _BoolDumper(Dumper):
    """Python ``True``/``False`` into the ``INTEGER`` flag columns SQLite's schema has."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PgCursor:
    """One statement's result, with ``lastrowid`` read from ``RETURNING id``."""

    def __init__(self, cursor: psycopg.Cursor[PgRow], lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self._lastrowid = lastrowid
        self._consumed = lastrowid is not None

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> PgRow | None:
        if self._consumed or self._cursor.description is None:
            return None
        return self._cursor.fetchone()

    def fetchall(self) -> list[PgRow]:
        if self._consumed or self._cursor.description is None:
            return []
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())


class PgConnection(BaseConnection):
    """A psycopg connection in autocommit mode; the front's ``begin`` opens each transaction."""

    def __init__(self, conn: psycopg.Connection[PgRow], backend: PostgresBackend) -> None:
        self.raw = conn
        self._backend = backend

    def execute(self, sql: str, params: Params = (), /) -> PgCursor:
        translated = translate(sql)
        text = translated.sql
        returning = translated.insert_into is not None and self._backend.has_id(
            self, translated.insert_into
        )
        if returning:
            text += " RETURNING id"
        cursor = self.raw.cursor()
        with integrity_errors(psycopg.errors.IntegrityError):
            for statement in translated.before:
                cursor.execute(statement, ())  # () as for every statement: '%%' is read as '%'
            cursor.execute(text, params)
        if returning:
            ids = cursor.fetchall()
            return PgCursor(cursor, int(ids[-1][0]) if ids else None)
        return PgCursor(cursor)

    def executemany(self, sql: str, params: Iterable[Params], /) -> PgCursor:
        cursor = self.raw.cursor()
        with integrity_errors(psycopg.errors.IntegrityError):
            cursor.executemany(translate(sql).sql, params)
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def shown(url: str) -> str:
    """``url`` without its password, fit for a message or a log."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class PostgresBackend:
    """One PostgreSQL database, by its ``postgresql://`` URL."""

    name = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self._ids: dict[str, bool] = {}

    def connect(self, *, readonly: bool) -> PgConnection:
        try:
            conn = psycopg.connect(self.url, autocommit=True, row_factory=_rows, connect_timeout=10)
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise DatabaseUnavailable(
                f"cannot connect to database_url {shown(self.url)}: {reason}"
            ) from exc
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.adapters.register_dumper(bool, _BoolDumper)
        if readonly:
            conn.execute("SET default_transaction_read_only = on")
        return PgConnection(conn, self)

    def prepare(self, conn: BackendConnection) -> None:
        """Wait for any other server's migrations, then hold the lock while this one migrates
        (released when ``conn`` closes); case-insensitive text needs ``citext``."""
        assert isinstance(conn, PgConnection)
        conn.raw.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        conn.raw.execute("CREATE EXTENSION IF NOT EXISTS citext")

    def has_id(self, conn: PgConnection, table: str) -> bool:
        """Whether ``table`` has an integer ``id`` column (asked once per table; two threads
        asking at once both ask, with the same answer: a dict's get and set need no lock)."""
        known = self._ids.get(table)
        if known is None:
            found = conn.raw.execute(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s"
                " AND column_name = 'id' AND data_type IN ('bigint', 'integer')",
                (table,),
            ).fetchone()
            known = found is not None
            self._ids[table] = known
        return known


__all__ = ["PgConnection", "PgRow", "PostgresBackend"]
