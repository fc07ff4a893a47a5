"""Migrations upgrade an existing database in place, keeping its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from network_inventory import Inventory
from network_inventory.schema import _V1, COMPONENT
from pendopo.db import Component, Database, IntegrityError, migrate
from pendopo.schema import components


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def test_inventory_v1_database_is_upgraded_keeping_sites(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = _connect(path)
    migrate(conn, [Component("inventory", [_V1])])  # a database from before name_key
    conn.execute(
        "INSERT INTO sites (id, name, kind, created_at, updated_at)"
        " VALUES (1, 'Sambung Macan', 'kecamatan', 0, 0)"
    )
    migrate(conn, [COMPONENT])
    row = conn.execute("SELECT name, name_key FROM sites WHERE id = 1").fetchone()
    assert tuple(row) == ("Sambung Macan", "sambungmacan")
    version = conn.execute("SELECT version FROM schema_migrations WHERE component = 'inventory'")
    assert version.fetchone()[0] == len(COMPONENT.migrations) == 2
    conn.close()


async def test_an_accounts_only_database_gains_the_inventory_and_is_seeded(tmp_path: Path) -> None:
    path = tmp_path / "pendopo.sqlite3"
    conn = _connect(path)
    migrate(conn, [components()[0]])  # the skeleton's database: accounts only
    conn.execute(
        "INSERT INTO users (username, password_hash, role, display_name, created_at)"
        " VALUES ('admin', 'x', 'admin', 'Kantor Bupati', 0)"
    )
    conn.close()
    db = Database(path)
    db.open(components())
    try:
        users = await db.fetchone("SELECT count(*) FROM users")
        assert users is not None and users[0] == 1
        report = await Inventory(db).seed("Kabupaten Sragen")
        assert report is not None and report.sites == 229
    finally:
        db.close()


async def test_constraints_guard_the_tables(db: Database) -> None:
    inv = Inventory(db)
    await inv.seed("Kabupaten Sragen")

    def bad_kind(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE sites SET kind = 'castle' WHERE id = 1")

    def bad_port(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO probe_targets (site_id, kind, host, port, created_at, updated_at)"
            " VALUES (1, 'tcp', '127.0.0.1', 70000, 0, 0)"
        )

    for fn in (bad_kind, bad_port):
        try:
            await db.write(fn)
        except IntegrityError:
            continue
        raise AssertionError(f"{fn.__name__} was accepted")
