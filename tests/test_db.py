"""pendopo.db: one writer, transactional writes, in-place migrations — on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pendopo.cli import main
from pendopo.db import Component, Connection, Database, IntegrityError, and_then
from tests.conftest import REPO, free_port

V1 = Component("demo", ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"])
NewDatabase = Callable[[str], Database]


async def test_write_is_atomic_and_read_sees_committed(new_database: NewDatabase) -> None:
    db = new_database("x.sqlite3")
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
        if db.backend.name == "sqlite":
            mode = await db.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
            assert mode == "wal"
    finally:
        db.close()


async def test_migrations_upgrade_existing_database_in_place(new_database: NewDatabase) -> None:
    db = new_database("x.sqlite3")
    db.open([V1])
    await db.execute_write("INSERT INTO t (v) VALUES ('kept')")
    db.close()
    v2 = Component("demo", [*V1.migrations, "ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'new';"])
    db = new_database("x.sqlite3")
    db.open([v2])
    try:
        row = await db.fetchone("SELECT v, w FROM t")
        assert row is not None and (row["v"], row["w"]) == ("kept", "new")
        version = await db.fetchone("SELECT version FROM schema_migrations WHERE component='demo'")
        assert version is not None and version[0] == 2
    finally:
        db.close()


AUDITED = Component(
    "demo",
    [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n"
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL, target INTEGER);"
    ],
)


async def test_a_failing_audit_record_rolls_the_change_back(new_database: NewDatabase) -> None:
    """``and_then``: the change and its audit record commit together or not at all."""
    db = new_database("a.sqlite3")
    db.open([AUDITED])
    try:

        def change(conn: Connection) -> int:
            return conn.execute("INSERT INTO t (v) VALUES (?)", ("x",)).lastrowid or 0

        def audit(what: str | None) -> Callable[[Connection, int], None]:
            def then(conn: Connection, row_id: int) -> None:
                conn.execute("INSERT INTO audit (what, target) VALUES (?, ?)", (what, row_id))

            return then

        first = await db.write(and_then(change, audit("created")))
        with pytest.raises(IntegrityError):
            await db.write(and_then(change, audit(None)))  # the record cannot be written
        rows = await db.fetchall("SELECT id, v FROM t")
        assert [tuple(r) for r in rows] == [(first, "x")]
        records = await db.fetchall("SELECT what, target FROM audit")
        assert [tuple(r) for r in records] == [("created", first)]
    finally:
        db.close()


async def test_rows_ids_and_sql_both_backends_read(new_database: NewDatabase) -> None:
    """What callers rely on: rows by name and index, ``lastrowid``, SQLite's SQL (``LIKE``
    ignoring case, ``%`` in a literal, ``INSERT OR IGNORE``, named parameters, a flag column as
    a condition, integer sums as int)."""
    schema = Component(
        "demo",
        [
            "CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
            " on_duty INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL DEFAULT 0, at REAL);"
        ],
    )
    db = new_database("r.sqlite3")
    db.open([schema])
    try:
        a = await db.execute_write(
            "INSERT INTO u (name, on_duty, n, at) VALUES (?, ?, ?, ?)", ("Sukodono", True, 2, 1.5)
        )
        b = await db.execute_write(
            "INSERT INTO u (name, n, at) VALUES (:name, :n, :at)",
            {"name": "Gemolong 100%", "n": 3, "at": 1733389200.25},
        )
        assert (a, b) == (1, 2)
        await db.execute_write("INSERT OR IGNORE INTO u (name) VALUES (?)", ("SUKODONO",))
        with pytest.raises(IntegrityError):
            await db.execute_write("INSERT INTO u (name) VALUES (?)", ("sukodono",))
        row = await db.fetchone("SELECT id, name AS siteName FROM u WHERE name = ?", ("sukodono",))
        assert row is not None and row["id"] == row[0] == 1 and row["siteName"] == "Sukodono"
        assert dict(row) == {"id": 1, row.keys()[1]: "Sukodono"}
        like = await db.fetchall("SELECT name FROM u WHERE name LIKE '%100\\%%' ESCAPE '\\'")
        assert [r[0] for r in like] == ["Gemolong 100%"]
        on_duty = await db.fetchall("SELECT name FROM u WHERE on_duty AND name LIKE 'suko%'")
        assert [r[0] for r in on_duty] == ["Sukodono"]
        total = await db.fetchone("SELECT SUM(n) AS n, MAX(at) AS at FROM u")
        assert total is not None and total["n"] == 5 and isinstance(total["n"], int)
        assert total["at"] == 1733389200.25
    finally:
        db.close()


async def test_two_servers_share_one_postgres_database(new_database: NewDatabase) -> None:
    """Two fronts on one database (two machines): each sees what the other committed, and the
    second start finds the migrations done."""
    first = new_database("shared.sqlite3")
    second = new_database("shared.sqlite3")
    first.open([V1])
    second.open([V1])
    try:
        await first.execute_write("INSERT INTO t (v) VALUES ('dari node a')")
        row = await second.fetchone("SELECT v FROM t")
        assert row is not None and row["v"] == "dari node a"
        version = await second.fetchone("SELECT version FROM schema_migrations")
        assert version is not None and version[0] == 1
    finally:
        first.close()
        second.close()


def test_an_unreachable_database_is_one_clear_line_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://pendopo:rahasia-db@127.0.0.1:{free_port()}/pendopo"  # nobody listens
    where = ["--data-dir", str(tmp_path), "--database-url", url]
    assert main(["user", "list", *where]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pendopo user: cannot connect to database_url postgresql://pendopo:***@")
    assert "rahasia-db" not in err and "Traceback" not in err
    run = subprocess.run(
        [sys.executable, "-m", "pendopo", "run", "--port", str(free_port()), *where],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "pendopo run: cannot connect to database_url" in run.stderr
    assert "rahasia-db" not in run.stderr + run.stdout and "Traceback" not in run.stderr


async def test_a_migration_function_runs_a_script_in_its_transaction(
    new_database: NewDatabase,
) -> None:
    def add_columns(conn: Connection) -> None:
        conn.executescript(
            "ALTER TABLE t ADD COLUMN site_code TEXT;\n"
            "UPDATE t SET site_code = '33.14.01';\n"
            "CREATE INDEX t_site ON t (site_code);\n"
        )

    def broken(conn: Connection) -> None:
        conn.executescript(
            "ALTER TABLE t ADD COLUMN half TEXT;\nINSERT INTO t (v) VALUES (NULL);\n"
        )

    db = new_database("s.sqlite3")
    db.open([V1])
    await db.execute_write("INSERT INTO t (v) VALUES ('a')")
    db.close()
    db = new_database("s.sqlite3")
    with pytest.raises(IntegrityError):
        db.open([Component("demo", [*V1.migrations, add_columns, broken])])
    db = new_database("s.sqlite3")
    db.open([Component("demo", [*V1.migrations, add_columns])])
    try:
        row = await db.fetchone("SELECT * FROM t")
        assert row is not None and row.keys() == ["id", "v", "site_code"]  # no 'half'
        assert row["site_code"] == "33.14.01"
        version = await db.fetchone("SELECT version FROM schema_migrations")
        assert version is not None and version[0] == 2
    finally:
        db.close()
