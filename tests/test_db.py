"""pendopo.db: one writer, transactional writes, in-place migrations."""

from __future__ import annotations

from pathlib import Path

import pytest

from pendopo.db import Component, Connection, Database, IntegrityError

V1 = Component("demo", ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"])


async def test_write_is_atomic_and_read_sees_committed(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    db.open([V1])
    try:
        await db.execute_write("INSERT INTO t (v) VALUES (?)", ("a",))

        def half_then_fail(conn: Connection) -> None:
            conn.execute("INSERT INTO t (v) VALUES ('b')")
            conn.execute("INSERT INTO t (v) VALUES (NULL)")  # NOT NULL: raises

        with pytest.raises(IntegrityError):
            await db.write(half_then_fail)
        rows = await db.fetchall("SELECT v FROM t ORDER BY id")
        assert [r["v"] for r in rows] == ["a"]
        mode = await db.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
    finally:
        db.close()


async def test_migrations_upgrade_existing_database_in_place(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    db = Database(path)
    db.open([V1])
    await db.execute_write("INSERT INTO t (v) VALUES ('kept')")
    db.close()
    v2 = Component("demo", [*V1.migrations, "ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'new';"])
    db = Database(path)
    db.open([v2])
    try:
        row = await db.fetchone("SELECT v, w FROM t")
        assert row is not None and (row["v"], row["w"]) == ("kept", "new")
        version = await db.fetchone("SELECT version FROM schema_migrations WHERE component='demo'")
        assert version is not None and version[0] == 2
    finally:
        db.close()
