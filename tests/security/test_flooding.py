"""Flooding the meeting socket: events over the limit are refused, a socket that keeps on is
dropped, lobbies have caps (per session and per address), and other sessions carry on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from signaling.throttle import EVENT_BURST, EventLimiter, Verdict
from tests.conftest import RunningServer, make_settings, start_server
from tests.signaling.meeting import Person, admit, connect, create_room, join_host, join_lobby


def test_bucket_refuses_then_drops_once() -> None:
    limiter = EventLimiter(rate=10.0, burst=5.0, strike_limit=4.0, strike_decay=1.0)
    verdicts = [limiter.check("s", 100.0) for _ in range(12)]
    assert verdicts[:5] == [Verdict.ALLOW] * 5
    assert verdicts[5:8] == [Verdict.REFUSE] * 3
    assert verdicts[8] is Verdict.DROP  # the fourth refusal in a row
    assert verdicts[9:] == [Verdict.REFUSE] * 3  # told once
    assert limiter.check("s", 100.5) is Verdict.ALLOW  # 0.5 s later: five tokens back
    assert limiter.check("other", 100.5) is Verdict.ALLOW  # per socket


def _text_is(text: str) -> Callable[[Any], bool]:
    return lambda d: bool(d["text"] == text)


async def _fire(person: Person, count: int, acks: list[Any]) -> None:
    """Emit ``count`` events without waiting for their acks (collected in ``acks``)."""
    for _ in range(count):
        if not person.client.connected:
            break
        await person.client.sio.emit("room:get", {}, callback=acks.append)


async def test_flood_is_refused_then_dropped_while_another_room_works(
    server: RunningServer, people: list[Person]
) -> None:
    room_a = await create_room(server, "Rapat A")
    host = await join_host(server, room_a)
    people.append(host)
    lurah = await join_lobby(server, room_a, "Lurah Gondang")
    people.append(lurah)
    await admit(host, lurah, media=False)

    # A well-behaved burst (a browser joining and starting media sends ~5) is never refused.
    calm = await connect(server, "calm")
    people.append(calm)
    for _ in range(int(EVENT_BURST) - 5):
        ack = await calm.client.request("room:get", {})
        assert ack["error"] == "not_in_room", ack

    room_b = await create_room(server, "Rapat B")
    flooder = await join_lobby(server, room_b, "Banjir", site=None)
    people.append(flooder)
    acks: list[Any] = []
    sent = 0
    while flooder.client.connected and sent < 5000:
        await _fire(flooder, 100, acks)
        sent += 100
        await asyncio.sleep(0.01)  # let acks and the disconnect arrive
        # Meanwhile room A's host and lurah keep talking.
        if sent % 500 == 0:
            text = f"pesan {sent}"
            await host.client.chat(text)
            await lurah.client.wait_event("chat", _text_is(text))
    await flooder.client.wait_until(lambda: not flooder.client.connected, what="flooder dropped")
    refused = [a for a in acks if a.get("error") == "rate_limited"]
    assert refused, acks[:5]
    assert all(isinstance(a["message"], str) and a["message"] for a in refused)

    # Room A never noticed: both still in, chat and state reads still answered.
    assert host.client.connected and lurah.client.connected
    await lurah.client.chat("masih di sini")
    await host.client.wait_event("chat", lambda d: d["text"] == "masih di sini")
    state = await host.client.call("room:get")
    assert {p["name"] for p in state["state"]["participants"]} == {"Bupati", "Lurah Gondang"}
    # The flooder left the lobby of room B with its socket.
    host_b = await join_host(server, room_b, "Sekda")
    people.append(host_b)
    assert host_b.client.lobby() == []


async def _join_error(server: RunningServer, room: str, name: str, people: list[Person]) -> str:
    person = await connect(server, name)
    people.append(person)
    ack = await person.client.request("join", {"protocol": 1, "room": room, "name": name})
    assert ack["ok"] is False and isinstance(ack["message"], str), ack
    return str(ack["error"])


async def test_lobby_cap_per_session(tmp_path: Path, people: list[Person]) -> None:
    runner, server = await start_server(make_settings(tmp_path, lobby_max_per_room=3))
    try:
        room = await create_room(server)
        waiting = [await join_lobby(server, room, f"Tamu {i}", site=None) for i in range(3)]
        people.extend(waiting)
        assert await _join_error(server, room, "Tamu 4", people) == "lobby_full"
        # Hosts are never held at the door, and see only the three.
        host = await join_host(server, room)
        people.append(host)
        await host.client.wait_until(lambda: len(host.client.lobby()) == 3)
        # Once the host decides on someone, there is a place again.
        await host.client.deny(waiting[0].id)
        late = await join_lobby(server, room, "Tamu 5", site=None)
        people.append(late)
        # Another session has its own lobby.
        other = await create_room(server, "Rapat lain")
        people.append(await join_lobby(server, other, "Tamu lain", site=None))
    finally:
        for person in people:
            await person.close()
        people.clear()
        await runner.cleanup()


async def test_lobby_cap_per_address(tmp_path: Path, people: list[Person]) -> None:
    runner, server = await start_server(make_settings(tmp_path, lobby_max_per_address=2))
    try:
        room_a = await create_room(server, "A")
        room_b = await create_room(server, "B")
        first = await join_lobby(server, room_a, "Satu", site=None)
        second = await join_lobby(server, room_b, "Dua", site=None)
        people += [first, second]
        # Both from 127.0.0.1: the third entry, in any session, is refused.
        assert await _join_error(server, room_a, "Tiga", people) == "lobby_full"
        # A host from the same address is not held back.
        host = await join_host(server, room_a)
        people.append(host)
        # When one of them is admitted (or leaves), the address has a place again.
        await admit(host, first, media=False)
        third = await join_lobby(server, room_a, "Tiga lagi", site=None)
        people.append(third)
        await second.client.disconnect()
        await host.client.wait_until(lambda: len(host.client.lobby()) == 1)
        people.append(await join_lobby(server, room_b, "Empat", site=None))
        assert await _join_error(server, room_b, "Lima", people) == "lobby_full"
    finally:
        for person in people:
            await person.close()
        people.clear()
        await runner.cleanup()
