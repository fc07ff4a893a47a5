"""Two Pendopo processes sharing one data directory and one Redis: each room lives on one node.

A room created on node A is A's; a join through B is told to go to A; what happens on A is
readable from B (REST) and from the shared store; when A shuts down, B takes the room over.
"""

from __future__ import annotations

from redis.asyncio import Redis

from rooms.model import ParticipantState
from rooms.redis_store import RedisRoomStore
from signaling.client import ProtocolClient
from tests.scaling.conftest import Cluster
from tests.scaling.nodes import cookie_header, join_request, signed_in
from tests.scaling.shared_data import summary
from tests.signaling.meeting import wait


async def test_rooms_live_on_one_node(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    http = await signed_in(a.url)
    clients: list[ProtocolClient] = []
    redis = Redis.from_url(cluster.redis_url, decode_responses=True)
    try:
        async with http.post("/api/rooms", json={"title": "Rapat koordinasi"}) as resp:
            assert resp.status == 201, await resp.text()
            room = (await resp.json())["room"]["id"]

        # B says where the room is served: on A, which created it; A sends nobody anywhere.
        assert "node" not in await summary(a.url, room)
        assert (await summary(b.url, room))["node"] == a.url

        # A lurah who lands on B is told to go to A.
        lost, ack = await join_request(b.url, room, "Pak Sutrisno")
        clients.append(lost)
        assert ack["ok"] is False and ack["error"] == "wrong_node", ack
        assert ack["node"] == a.url and a.url in ack["message"]
        await lost.disconnect()

        # ... and joins there: the lobby of A.
        lurah, ack = await join_request(ack["node"], room, "Pak Sutrisno")
        clients.append(lurah)
        assert ack["ok"] and ack["status"] == "lobby", ack
        cookie = cookie_header(http, a.url)
        host, ack = await join_request(a.url, room, "Bupati", cookie=cookie)
        clients.append(host)
        assert ack["ok"] and ack["status"] == "admitted", ack

        # Changes made on A ...
        await host.wait_until(lambda: bool(host.lobby()), what="lobby entry on the host")
        await host.admit(str(lurah.participant_id))
        await host.call("host:lock", {"locked": True})
        await host.call("chat:send", {"text": "Selamat pagi"})

        # ... are readable from B (its REST reads the shared store) ...
        assert (await summary(b.url, room))["room"]["state"] == "locked"
        async with http.get(f"{b.url}/api/rooms") as resp:
            item = next(i for i in (await resp.json())["items"] if i["id"] == room)
        assert (item["state"], item["present"], item["waiting"]) == ("locked", 2, 0)
        # ... and from the store itself, as any node would read it.
        store = RedisRoomStore(redis)
        people = {p.name: p.state for p in await store.participants(room)}
        assert people == {
            "Pak Sutrisno": ParticipantState.ADMITTED,
            "Bupati": ParticipantState.ADMITTED,
        }
        assert [m.text for m in await store.chat(room)] == ["Selamat pagi"]

        # B will not end A's session behind its back.
        async with http.post(f"{b.url}/api/rooms/{room}/end") as resp:
            assert resp.status == 409
            assert await resp.json() == {
                "error": "wrong_node",
                "message": f"This session is served by another node: connect to {a.url}.",
                "node": a.url,
            }

        # A shuts down: B takes the room over with its shared state (still locked).
        for client in clients:
            if client.connected:
                await client.disconnect()
        assert a.stop() == 0, a.log.read_text()
        late, ack = await join_request(b.url, room, "Bu Sri")
        clients.append(late)
        assert ack["ok"] is False and ack["error"] == "room_locked", ack
        host_b, ack = await join_request(b.url, room, "Bupati", cookie=cookie)
        clients.append(host_b)
        assert ack["ok"] and ack["status"] == "admitted", ack
        assert "node" not in await summary(b.url, room)
        names = {p["name"] for p in ack["room"]["participants"]}
        assert "Pak Sutrisno" in names  # the seat kept in the shared store

        async with http.post(f"{b.url}/api/rooms/{room}/end") as resp:
            assert resp.status == 200, await resp.text()
        await wait(lambda: any(p.event == "ended" for p in host_b.pushed), what="ended on B")
        assert "node" not in await summary(b.url, room)
    finally:
        for client in clients:
            if client.connected:
                await client.disconnect()
        await http.close()
        await redis.aclose()
