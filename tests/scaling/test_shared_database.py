"""Durable data in PostgreSQL (``database_url``): the real server on loopback, on the tests' own
PostgreSQL (tests/postgres_server.py); and two ``pendopo run`` processes, each with its own
data folder as on two machines, sharing that database and one Redis (docs/scaling.md, "Several
machines").
"""

from __future__ import annotations

import shutil
from pathlib import Path

from accounts.server_key import KEY_FILE
from tests.conftest import RunningServer, make_settings, start_server
from tests.postgres_server import PostgresServer
from tests.scaling.nodes import start_node
from tests.scaling.shared_data import read_back, shared_between, write_through


async def test_a_server_on_postgresql_keeps_accounts_rooms_and_sites(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres.new_database())
    runner, server = await start_server(settings)
    try:
        http = await RunningServer.signed_in_session(server)
        async with http:
            written = await write_through(http)
        await read_back(server.url, written)
    finally:
        await runner.cleanup()
    assert not settings.db_path.exists(), "no SQLite file under database_url"
    runner, server = await start_server(settings)  # a restart reads it all back
    try:
        await read_back(server.url, written)
    finally:
        await runner.cleanup()


async def test_two_nodes_share_one_postgresql_and_one_redis(
    postgres: PostgresServer, redis_url: str, tmp_path: Path
) -> None:
    """Node A and node B have their own data folders (two machines) with the same secret.key
    copied over (docs/scaling.md): what is written through A is read through B, the sign-in
    made on A (its cookie and CSRF token) is good on B, and each room is served by the node
    that created it."""
    url = postgres.new_database()
    logs = tmp_path / "logs"
    logs.mkdir()
    a = start_node("node-a", tmp_path / "a", redis_url, logs, database_url=url)
    b = None
    try:
        await a.wait_ready()  # the first start migrates and seeds; B waits on its lock anyway
        (tmp_path / "b").mkdir()
        shutil.copy2(tmp_path / "a" / KEY_FILE, tmp_path / "b" / KEY_FILE)
        b = start_node("node-b", tmp_path / "b", redis_url, logs, database_url=url)
        await b.wait_ready()
        await shared_between(a.url, b.url)
        assert not (tmp_path / "a" / "pendopo.sqlite3").exists()
        assert not (tmp_path / "b" / "pendopo.sqlite3").exists()
    finally:
        a.stop()
        if b is not None:
            b.stop()
