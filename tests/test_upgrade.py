"""A database written by the previous schema version opens, migrates and keeps its data.

``tests/fixtures/previous_schema.sql`` is an SQL dump of a database made by Pendopo at commit
cd62545 (the last commit before the newest migration: accounts 3 -> 4, invite policies), by
``tests/fixtures/make_previous_db.py``: see tests/fixtures/README.md.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge.keys import DATABASE
from pendopo.app import SCHEMA
from tests.cli import pendopo
from tests.conftest import ADMIN_PASSWORD, make_settings, start_server

FIXTURE = Path(__file__).parent / "fixtures" / "previous_schema.sql"
PREVIOUS = {"accounts": 3, "rooms": 2, "inventory": 2, "inventory_history": 1, "call_quality": 1}


def _load_previous(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()


def test_fixture_is_the_previous_version() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    versions = dict(conn.execute("SELECT component, version FROM schema_migrations").fetchall())
    assert versions == PREVIOUS
    current = {c.name: len(c.migrations) for c in SCHEMA}
    assert any(current[name] > version for name, version in versions.items()), (
        "no component is newer than the fixture: it is no longer the previous version"
    )


async def test_previous_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, admin_password="not-used-the-admin-exists")
    _load_previous(settings.db_path)
    runner, server = await start_server(settings)
    try:
        db = server.app[DATABASE]
        versions = dict(
            (r[0], r[1])
            for r in await db.fetchall("SELECT component, version FROM schema_migrations")
        )
        assert versions == {c.name: len(c.migrations) for c in SCHEMA}
        assert (await db.fetchone("PRAGMA integrity_check"))[0] == "ok"  # type: ignore[index]
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        sites = await db.fetchone("SELECT count(*) FROM sites")
        assert sites is not None and sites[0] == 229  # nothing seeded twice
        # The admin of the old database signs in with its old password (scrypt hash kept).
        http = await server.signed_in_session(password=ADMIN_PASSWORD)
        async with http:
            async with http.get("/api/sites/33.14.08") as resp:
                assert resp.status == 200, await resp.text()
                site = await resp.json()
            assert (site["name"].lower(), site["lat"], site["lon"]) == ("gondang", -7.4, 111.1)
            async with http.get("/api/links", params={"site": "33.14.08"}) as resp:
                links = (await resp.json())["items"]
            vsat = [(lk["status"], lk["capacity_kbps"]) for lk in links if lk["medium"] == "vsat"]
            assert vsat == [("active", 256)]
            async with http.get("/api/probes", params={"site": "33.14.08"}) as resp:
                probes = (await resp.json())["items"]
            assert [p["host"] for p in probes] == ["10.33.8.1"]
            async with http.get("/api/rooms") as resp:
                rooms = (await resp.json())["items"]
            (room,) = [r for r in rooms if r["title"] == "Rapat koordinasi kecamatan"]
            # The table the newest migration added works for a session of the old database.
            async with http.put(
                f"/api/rooms/{room['id']}/invite-policy", json={"required": True}
            ) as resp:
                assert resp.status == 200, await resp.text()
        await (await server.signed_in_session("camat-gondang", "gondang-2026-kantor")).close()
    finally:
        await runner.cleanup()


async def test_a_backup_of_the_previous_version_restores_and_upgrades(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    old_backup = tmp_path / "old" / "pendopo-Mon.sqlite3"
    _load_previous(old_backup)
    code, out = await pendopo(settings, "restore", str(old_backup))
    assert code == 0, out
    runner, server = await start_server(settings)
    try:
        rows = await server.app[DATABASE].fetchall(
            "SELECT component, version FROM schema_migrations"
        )
        assert {r[0]: r[1] for r in rows} == {c.name: len(c.migrations) for c in SCHEMA}
        http = await server.signed_in_session("camat-gondang", "gondang-2026-kantor")
        await http.close()
    finally:
        await runner.cleanup()
