"""What the shared-database tests write through one node and read back through another (or the
same node after a restart): an account, a room and a site, over the REST API; and, between two
nodes, a sign-in made on one used on the other, and which node serves each room."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.scaling.nodes import cookie_header, signed_in

CAMAT = {"username": "camat-tangen", "role": "host", "password": "tangen-rapat-2026"}
PUSKESMAS = {"name": "Puskesmas Tangen", "kind": "other", "parent": "33.14.19", "tags": ["kes"]}


async def write_through(http: aiohttp.ClientSession) -> dict[str, Any]:
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


async def read_back(url: str, written: dict[str, Any]) -> None:
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


async def summary(url: str, room: str) -> dict[str, Any]:
    """The room's summary as ``url`` answers it to anyone (``node``: the node that serves it,
    when not ``url`` itself)."""
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{url}/api/rooms/{room}") as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data


async def shared_between(a_url: str, b_url: str) -> dict[str, Any]:
    """Written through A (signed in there), read through B; A's sign-in (its cookie and CSRF
    token) creates a room through B; each room is served by the node that created it, and the
    other node names that node's URL (docs/scaling.md, "Each room lives on one node"). What
    was written, with ``room_b``: the room created through B."""
    http = await signed_in(a_url)
    async with http:
        written = await write_through(http)
        signed = {"Cookie": cookie_header(http, a_url), **http.headers}
    await read_back(b_url, written)
    async with aiohttp.ClientSession(base_url=b_url, headers=signed) as on_b:
        async with on_b.get("/api/me") as resp:
            assert (await resp.json())["user"]["username"] == "admin"
        async with on_b.post("/api/rooms", json={"title": "Lewat node B"}) as resp:
            assert resp.status == 201, await resp.text()
            room_b = (await resp.json())["room"]["id"]
    on_a = await summary(a_url, room_b)
    assert on_a["room"]["title"] == "Lewat node B" and on_a["node"] == b_url
    assert "node" not in await summary(b_url, room_b)
    assert (await summary(b_url, written["room"]))["node"] == a_url
    assert "node" not in await summary(a_url, written["room"])
    return {**written, "room_b": room_b}
