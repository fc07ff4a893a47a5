"""REST for rooms and the site picker, on a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import RunningServer, make_settings, start_server
from tests.signaling.meeting import connect, join_host, join_lobby


async def test_create_list_summary_end(server: RunningServer) -> None:
    http = await server.signed_in_session()
    async with http:
        for bad in ({"title": ""}, {"title": "   "}, {"title": "x" * 201}, {"title": 5}, {}):
            async with http.post("/api/rooms", json=bad) as resp:
                assert resp.status == 400, bad
                assert (await resp.json())["error"] == "invalid_request"
        async with http.post("/api/rooms", json={"title": " Rapat koordinasi "}) as resp:
            assert resp.status == 201
            room = (await resp.json())["room"]
        assert room["title"] == "Rapat koordinasi" and room["state"] == "open"
        assert room["join_url"] == f"/j/{room['id']}" and len(room["id"]) >= 10
        host = await join_host(server, room["id"])
        waiting = await join_lobby(server, room["id"], "Pak Joko")
        try:
            async with http.get("/api/rooms") as resp:
                listing = await resp.json()
            assert listing["total"] == 1
            assert listing["items"][0]["present"] == 1 and listing["items"][0]["waiting"] == 1
            async with http.post(f"/api/rooms/{room['id']}/end") as resp:
                assert resp.status == 200
            await host.client.wait_event("ended")
            await waiting.client.wait_event("ended")
            async with http.post(f"/api/rooms/{room['id']}/end") as resp:
                assert resp.status == 409 and (await resp.json())["error"] == "room_ended"
        finally:
            await host.close()
            await waiting.close()
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get(f"/api/rooms/{room['id']}") as resp:
            assert await resp.json() == {
                "room": {"id": room["id"], "title": "Rapat koordinasi", "state": "ended"}
            }
        async with anonymous.get("/api/rooms/nope") as resp:
            assert resp.status == 404 and (await resp.json())["error"] == "not_found"
        async with anonymous.get("/api/rooms") as resp:
            assert resp.status == 401
        async with anonymous.post("/api/rooms", json={"title": "x"}) as resp:
            assert resp.status == 401
        async with anonymous.get(f"/j/{room['id']}") as resp:
            assert resp.status == 200 and "html" in resp.content_type


async def test_site_picker_lists_the_kecamatan(server: RunningServer) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get("/api/sites/picker") as resp:
            assert resp.status == 200
            items = (await resp.json())["items"]
    assert len(items) == 20
    assert {"code": "33.14.06", "name": "Gondang", "kind": "kecamatan"} in items
    assert [i["name"] for i in items] == sorted(i["name"] for i in items)


async def test_a_room_survives_a_restart(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The same data directory, a new process state: the record is read back from SQLite.

    The second server stops right after its client left, while the server has not yet read the
    client's close: shutdown's own close crosses it, which used to hang (engineio waited for a
    send queue nobody drained any more)."""
    runner, first = await start_server(make_settings(tmp_path))
    http = await first.signed_in_session()
    async with http:
        async with http.post("/api/rooms", json={"title": "Rapat"}) as resp:
            room_id = (await resp.json())["room"]["id"]
    await runner.cleanup()
    runner, again = await start_server(make_settings(tmp_path))
    person = await connect(again, "Pak Joko")
    try:
        ack = await person.client.join(room_id, "Pak Joko")
        assert ack["status"] == "lobby" and ack["room"]["room"]["title"] == "Rapat"
    finally:
        await person.close()
        async with asyncio.timeout(30):  # in this task: a second task would change the order
            await runner.cleanup()
    assert not [r for r in caplog.records if "did not close" in r.getMessage()]
