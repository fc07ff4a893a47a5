"""``pendopo backup`` while the server writes, and ``pendopo restore`` (refused while it runs)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from edge.keys import DATABASE
from tests.cli import pendopo
from tests.conftest import make_settings, start_server

FILL_ROWS = 150_000
"""Enough probe samples that a backup spans many of the writer's commits."""


def _fill(conn: sqlite3.Connection) -> None:
    conn.executemany(
        "INSERT INTO probe_samples (site_id, at, sent, received) VALUES (1, ?, 5, 5)",
        ((-i,) for i in range(1, FILL_ROWS + 1)),
    )


def _pair(n: int) -> object:
    """One transaction writing two tables: a consistent copy has both rows or neither."""

    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO probe_samples (site_id, at, sent, received) VALUES (2, ?, 5, 4)", (n,)
        )
        conn.execute(
            "INSERT INTO call_quality_samples (site_id, room_id, participant, at, seconds,"
            " kbps_in, kbps_out) VALUES (2, 'backup', ?, ?, 10, 100, 100)",
            (f"p{n}", time.time()),
        )

    return write


def _written(conn: sqlite3.Connection) -> tuple[list[int], list[int]]:
    samples = [r[0] for r in conn.execute("SELECT at FROM probe_samples WHERE site_id = 2")]
    calls = [
        int(r[0][1:])
        for r in conn.execute(
            "SELECT participant FROM call_quality_samples WHERE room_id = 'backup'"
        )
    ]
    return sorted(samples), sorted(calls)


async def test_backup_while_writing_is_one_consistent_commit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    runner, server = await start_server(settings)
    try:
        db = server.app[DATABASE]
        await db.write(_fill)
        stop = asyncio.Event()
        written = 0

        async def writer() -> None:
            nonlocal written
            while not stop.is_set():
                await db.write(_pair(written))  # type: ignore[arg-type]
                written += 1

        task = asyncio.create_task(writer())
        await asyncio.sleep(0.2)
        before = written
        dest = tmp_path / "backups" / "pendopo-backup.sqlite3"
        code, out = await pendopo(settings, "backup", str(dest))
        after = written
        stop.set()
        await task
    finally:
        await runner.cleanup()
    assert code == 0, out
    assert "Wrote" in out and "accounts" in out
    assert after > before, "the writer made no commits while the backup ran"
    copy = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        samples, calls = _written(copy)
        filled = copy.execute("SELECT count(*) FROM probe_samples WHERE site_id = 1").fetchone()
    finally:
        copy.close()
    assert filled == (FILL_ROWS,)
    # Every transaction up to one commit, none after it: both tables hold the same 0..k-1.
    assert samples == calls == list(range(len(samples)))
    assert before <= len(samples) <= after
    assert not list(dest.parent.glob(".*partial*"))


async def test_restore_is_refused_while_serving_then_brings_the_backup_back(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    dest = tmp_path / "before.sqlite3"
    runner, server = await start_server(settings)
    try:
        http = await server.signed_in_session()
        async with http:
            kept = {"username": "camat-kedawung", "role": "viewer", "password": "kedawung-2026!"}
            async with http.post("/api/admin/users", json=kept) as resp:
                assert resp.status == 201, await resp.text()
            code, out = await pendopo(settings, "backup", str(dest))
            assert code == 0, out
            later = {"username": "camat-later", "role": "viewer", "password": "later-2026-pass"}
            async with http.post("/api/admin/users", json=later) as resp:
                assert resp.status == 201, await resp.text()
        code, out = await pendopo(settings, "restore", str(dest))
        assert code == 1, out
        assert "stop it first" in out
        users = await server.app[DATABASE].fetchall("SELECT username FROM users")
        assert "camat-later" in {u[0] for u in users}, "a refused restore changed the database"
    finally:
        await runner.cleanup()

    code, out = await pendopo(settings, "restore", str(dest))
    assert code == 0, out
    kept_aside = list(settings.data_dir.glob("pendopo.sqlite3.before-restore-*"))
    assert len(kept_aside) == 1 and str(kept_aside[0]) in out
    runner, server = await start_server(settings)
    try:
        users = {u[0] for u in await server.app[DATABASE].fetchall("SELECT username FROM users")}
        assert "camat-kedawung" in users and "camat-later" not in users
        http = await server.signed_in_session("camat-kedawung", "kedawung-2026!")
        await http.close()
    finally:
        await runner.cleanup()
    aside = sqlite3.connect(kept_aside[0])
    try:
        names = {r[0] for r in aside.execute("SELECT username FROM users")}
    finally:
        aside.close()
    assert "camat-later" in names, "the replaced database was not kept"


async def test_restore_over_a_damaged_database_keeps_the_damaged_one_aside(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    dest = tmp_path / "good.sqlite3"
    runner, _server = await start_server(settings)
    try:
        code, out = await pendopo(settings, "backup", str(dest))
        assert code == 0, out
    finally:
        await runner.cleanup()
    conn = sqlite3.connect(settings.db_path)  # every commit in the file itself, then damage it
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with settings.db_path.open("r+b") as live:  # what a failing disk leaves: pages of garbage
        live.seek(4096)
        live.write(b"\xde\xad" * 8192)
    code, out = await pendopo(settings, "restore", str(dest))
    assert code == 0, out
    (aside,) = settings.data_dir.glob("pendopo.sqlite3.before-restore-*")
    assert b"\xde\xad" * 8192 in aside.read_bytes()  # the damaged file itself, kept
    runner, server = await start_server(settings)
    try:
        assert (await server.app[DATABASE].fetchone("PRAGMA integrity_check"))[0] == "ok"  # type: ignore[index]
        await (await server.signed_in_session()).close()
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
async def test_restore_refuses_a_file_that_is_no_database(tmp_path: Path, content: bytes) -> None:
    settings = make_settings(tmp_path)
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    code, out = await pendopo(settings, "restore", str(bad))
    assert code == 1, out
    assert "pendopo restore:" in out
    assert not settings.db_path.exists()


async def test_restore_refuses_a_database_of_a_newer_version(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    newer = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(newer)
    conn.execute("CREATE TABLE schema_migrations (component TEXT PRIMARY KEY, version INTEGER)")
    conn.execute("INSERT INTO schema_migrations VALUES ('accounts', 999)")
    conn.commit()
    conn.close()
    code, out = await pendopo(settings, "restore", str(newer))
    assert code == 1, out
    assert "newer Pendopo" in out


@pytest.mark.parametrize("command", ["backup", "restore"])
async def test_backup_and_restore_refuse_under_database_url(tmp_path: Path, command: str) -> None:
    """The data is in PostgreSQL: no SQLite file to copy; the message points to pg_dump."""
    settings = make_settings(tmp_path)
    url = "postgresql://pendopo@127.0.0.1:9/pendopo"  # never connected to
    code, out = await pendopo(settings, command, str(tmp_path / "b.sqlite3"), "--database-url", url)
    assert code == 2, out
    assert f"pendopo {command}:" in out and "pg_dump" in out
    assert not (tmp_path / "b.sqlite3").exists() and not settings.db_path.exists()
