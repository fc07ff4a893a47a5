"""Durable data in PostgreSQL (``database_url``): the real server on loopback, on the tests' own
PostgreSQL (tests/postgres_server.py); and two ``pendopo run`` processes, each with its own
data folder as on two machines, sharing that database and one Redis (docs/scaling.md, "Several
machines").
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aiohttp

from accounts.server_key import KEY_FILE
from tests.conftest import RunningServer, make_settings, start_server
from tests.postgres_server import PostgresServer
from tests.scaling.nodes import cookie_header, signed_in, start_node

CAMAT = {"username": "camat-tangen", "role": "host", "password": "tangen-rapat-2026"}
PUSKESMAS = {"name": "Puskesmas Tangen", "kind": "other", "parent": "33.14.19", "tags": ["kes"]}


async def _write_through(http: aiohttp.ClientSession) -> dict[str, Any]:
    """An account, a room and a site, through the REST API; what was written."""
    async with http.post("/api/admin/users", json=CAMAT) as resp:
        assert resp.status == 201, await resp.text()
    async with http.post("/api/rooms", json={"title": "Rapat koordinasi desa"}) as resp:
        assert resp.status == 201, await resp.text()
        room = (await resp.json())["room"]
    async with http.post("/api/sites", json=PUSKESMAS) as resp:
        assert resp.status == 201, await resp.text()
        site = await resp.json()
    return {"room": room["id"], "site": site["id"]}


async def _read_back(url: str, written: dict[str, Any]) -> None:
    """Signed in as the new account: the room and the site are there."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=url, cookie_jar=jar) as http:
        signin = {"username": "CAMAT-Tangen", "password": CAMAT["password"]}  # any case
        async with http.post("/api/session", json=signin) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["user"]["role"] == "host"
        async with http.get(f"/api/rooms/{written['room']}") as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["room"]["title"] == "Rapat koordinasi desa"
        async with http.get(f"/api/sites/{written['site']}") as resp:
            assert resp.status == 200, await resp.text()
            site = await resp.json()
        assert site["name"] == "Puskesmas Tangen" and site["parent_code"] == "33.14.19"
        async with http.get("/api/sites", params={"kind": "kecamatan"}) as resp:
            assert (await resp.json())["total"] == 20  # the first start seeded Sragen


async def test_a_server_on_postgresql_keeps_accounts_rooms_and_sites(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url=postgres.new_database())
    runner, server = await start_server(settings)
    try:
        http = await RunningServer.signed_in_session(server)
        async with http:
            written = await _write_through(http)
        await _read_back(server.url, written)
    finally:
        await runner.cleanup()
    assert not settings.db_path.exists(), "no SQLite file under database_url"
    runner, server = await start_server(settings)  # a restart reads it all back
    try:
        await _read_back(server.url, written)
    finally:
        await runner.cleanup()


async def test_two_nodes_share_one_postgresql_and_one_redis(
    postgres: PostgresServer, redis_url: str, tmp_path: Path
) -> None:
    """Node A and node B have their own data folders (two machines) with the same secret.key
    copied over (docs/scaling.md): what is written through A is read through B, and the sign-in
    made on A (its cookie and CSRF token) is good on B."""
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
        http = await signed_in(a.url)
        async with http:
            written = await _write_through(http)
            signed = {"Cookie": cookie_header(http, a.url), **http.headers}
        await _read_back(b.url, written)
        async with aiohttp.ClientSession(base_url=b.url, headers=signed) as on_b:
            async with on_b.get("/api/me") as resp:
                assert (await resp.json())["user"]["username"] == "admin"
            async with on_b.post("/api/rooms", json={"title": "Lewat node B"}) as resp:
                assert resp.status == 201, await resp.text()
                room = (await resp.json())["room"]["id"]
        async with aiohttp.ClientSession() as anonymous:
            async with anonymous.get(f"{a.url}/api/rooms/{room}") as resp:
                assert (await resp.json())["room"]["title"] == "Lewat node B"
        assert not (tmp_path / "a" / "pendopo.sqlite3").exists()
        assert not (tmp_path / "b" / "pendopo.sqlite3").exists()
    finally:
        a.stop()
        if b is not None:
            b.stop()
