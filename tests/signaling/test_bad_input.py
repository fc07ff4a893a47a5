"""Bad input gets the documented error ack, and another room's media keeps flowing meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from signaling.client import ProtocolClient, ProtocolError
from signaling.meeting import MEETING
from signaling.throttle import EventLimiter
from tests.conftest import RunningServer
from tests.signaling.meeting import (
    Person,
    connect,
    create_room,
    join_admitted,
    join_host,
    join_lobby,
)


async def error_of(client: ProtocolClient, event: str, *payload: Any) -> str:
    ack = await client.request(event, *payload)
    assert isinstance(ack, dict) and ack["ok"] is False, ack
    assert isinstance(ack["message"], str) and ack["message"]
    return str(ack["error"])


BEFORE_JOIN = [
    ("leave", {}),
    ("room:get", {}),
    ("media:offer", {"sdp": "v=0\r\n"}),
    ("media:answer", {"sdp": "v=0\r\n"}),
    ("self:media", {"mic": False}),
    ("media:receive", {"video": False}),
    ("chat:send", {"text": "halo"}),
    ("lobby:admit", {"participant": "p_1"}),
    ("host:end", {}),
    ("present:start", {"sdp": "v=0\r\n"}),
    ("present:stop", {}),
    ("host:present-allow", {"participant": "p_1", "allowed": True}),
]

MALFORMED_JOIN = [
    ("not an object", "invalid_request"),
    (["a", "list"], "invalid_request"),
    ({"room": "x", "name": "y"}, "invalid_request"),  # no protocol
    ({"protocol": "1", "room": "x", "name": "y"}, "invalid_request"),
    ({"protocol": True, "room": "x", "name": "y"}, "invalid_request"),
    ({"protocol": 2, "room": "x", "name": "y"}, "unsupported_version"),
    ({"protocol": 1, "room": 5, "name": "y"}, "invalid_request"),
    ({"protocol": 1, "room": "x", "name": "   "}, "invalid_request"),
    ({"protocol": 1, "room": "x", "name": "y" * 81}, "invalid_request"),
    ({"protocol": 1, "room": "x", "name": "a\x00b"}, "invalid_request"),
    ({"protocol": 1, "room": "x", "name": "y", "site": "99.99"}, "invalid_request"),
    ({"protocol": 1, "room": "x", "name": "y", "pad": "z" * 200_000}, "invalid_request"),
    ({"protocol": 1, "room": "no-such-room", "name": "y"}, "not_found"),
]


async def test_bad_input_is_refused_and_other_rooms_keep_receiving(
    server: RunningServer, people: list[Person]
) -> None:
    # Over 60 events in a row, more than a socket's burst (60): on a fast machine the
    # bucket had not refilled and the rest were refused as rate_limited. Flooding has its own
    # tests (tests/security/test_flooding.py); here every event must reach its check.
    server.app[MEETING].limits = EventLimiter(rate=1e9, burst=1e9)
    # Room A: a host and a lurah exchanging media, watched throughout.
    room_a = await create_room(server, "Rapat A")
    host = await join_host(server, room_a)
    people.append(host)
    await host.start_media()
    lurah = await join_admitted(server, room_a, host, "Lurah Gondang")
    people.append(lurah)
    await host.frames(lurah, "video", 3)

    # Room B: where the bad input happens.
    room_b = await create_room(server, "Rapat B")
    host_b = await join_host(server, room_b, "Sekda")
    people.append(host_b)
    rogue = await connect(server, "rogue")
    people.append(rogue)

    for event, payload in BEFORE_JOIN:
        assert await error_of(rogue.client, event, payload) == "not_in_room", event
    for payload, code in MALFORMED_JOIN:
        assert await error_of(rogue.client, "join", payload) == code, payload
    assert await error_of(rogue.client, "no:such-event", {}) == "invalid_request"
    assert await error_of(rogue.client, "join", {"a": 1}, {"b": 2}) == "invalid_request"

    # In the lobby: not admitted yet, and no host powers.
    rogue.ack = await rogue.client.join(room_b, "Rogue", site="33.14.01")
    assert rogue.ack["status"] == "lobby" and "lobby" not in rogue.ack["room"]
    assert rogue.ack["room"]["participants"] == []  # the lobby sees nobody
    assert await error_of(rogue.client, "chat:send", {"text": "halo"}) == "not_admitted"
    # media may be set up from the lobby (it is forwarded nowhere until admission) ...
    assert await error_of(rogue.client, "media:offer", {"sdp": "v=0\r\n"}) == "invalid_sdp"
    # ... but what a session member does still needs admission
    assert await error_of(rogue.client, "media:receive", {"video": False}) == "not_admitted"
    assert await error_of(rogue.client, "join", {"protocol": 1, "room": room_b, "name": "x"}) == (
        "invalid_request"
    )  # already joined
    assert await error_of(rogue.client, "lobby:admit", {"participant": rogue.id}) == (
        "not_admitted"
    )
    await host_b.client.wait_until(lambda: len(host_b.client.lobby()) == 1)
    await host_b.client.admit(rogue.id)
    await rogue.client.wait_event("lobby:result")

    # Admitted, but a participant: every host action is refused.
    host_actions: list[tuple[str, dict[str, Any]]] = [
        ("lobby:admit", {"participant": host_b.id}),
        ("lobby:deny", {"participant": host_b.id}),
        ("lobby:admit-invited", {}),
        ("host:mute", {"participant": host_b.id, "hard": True}),
        ("host:unmute-allow", {"participant": rogue.id}),
        ("host:mute-all", {}),
        ("host:remove", {"participant": host_b.id}),
        ("host:lock", {"locked": True}),
        ("host:present-allow", {"participant": rogue.id, "allowed": True}),
        ("present:start", {"sdp": "v=0\r\n"}),  # not allowed to present
        ("host:end", {}),
    ]
    for event, payload in host_actions:
        assert await error_of(rogue.client, event, payload) == "forbidden", event

    # Wrong types and sizes on the events of an admitted participant.
    wrong: list[tuple[str, Any]] = [
        ("chat:send", {"text": 5}),
        ("chat:send", {"text": "x" * 1001}),
        ("chat:send", {}),
        ("self:media", {"mic": "yes"}),
        ("self:media", {}),
        ("media:receive", {"video": 0}),
        ("host:lock", {"locked": "true"}),
        ("media:offer", {"sdp": 12}),
        ("media:offer", {"sdp": "v=0\r\n" + "a=x\r\n" * 30_000}),
        ("lobby:admit", {"participant": ["p_1"]}),
        ("host:present-allow", {"participant": rogue.id, "allowed": "yes"}),
        ("present:start", {"sdp": 12}),
        ("present:stop", []),
    ]
    for event, payload in wrong:
        assert await error_of(rogue.client, event, payload) == "invalid_request", (event, payload)
    for sdp in ("hello", "v=0\r\nthis is not sdp\r\n", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"):
        assert await error_of(rogue.client, "media:offer", {"sdp": sdp}) == "invalid_sdp", sdp
    assert await error_of(rogue.client, "media:answer", {"sdp": "v=0\r\n"}) in (
        "invalid_request",
        "invalid_sdp",
    )
    # unknown fields are ignored
    ack = await rogue.client.request("chat:send", {"text": "halo", "colour": "red"})
    assert ack == {"ok": True}

    # The host of room B can still work, and room A never noticed.
    await host_b.client.lock(True)
    late = await connect(server, "late")
    people.append(late)
    assert await error_of(late.client, "join", {"protocol": 1, "room": room_b, "name": "L"}) == (
        "room_locked"
    )
    assert rogue.client.connected and host_b.client.connected
    await host.frames(lurah, "video", 10)
    await lurah.frames(host, "video", 10)
    await lurah.frames(host, "audio", 10)


async def test_deny(server: RunningServer, people: list[Person]) -> None:
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    waiting = await join_lobby(server, room, "Pak Joko")
    people.append(waiting)
    await host.client.wait_until(lambda: [e["name"] for e in host.client.lobby()] == ["Pak Joko"])
    entry = host.client.lobby()[0]
    assert entry["site"] == {"code": "33.14.06", "name": "Gondang", "label": "Gondang"}
    await host.client.deny(waiting.id)
    assert await waiting.client.wait_event("lobby:result") == {"status": "denied"}
    await host.client.wait_until(lambda: host.client.lobby() == [])
    with pytest.raises(ProtocolError) as info:
        await waiting.client.chat("boleh masuk?")
    assert info.value.code == "not_in_room"
    # the same browser tab with its token is told it was denied
    again = await connect(server, "again")
    people.append(again)
    token = waiting.client.resume_token
    assert await error_of(
        again.client, "join", {"protocol": 1, "room": room, "name": "Pak Joko", "resume": token}
    ) == ("denied")


async def test_chat_reaches_the_room_and_history_is_given_on_join(
    server: RunningServer, people: list[Person]
) -> None:
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    lurah = await join_lobby(server, room, "Bu Sri")
    people.append(lurah)
    from tests.signaling.meeting import admit

    await admit(host, lurah, media=False)
    await host.client.chat("Selamat pagi")
    message = await lurah.client.wait_event("chat")
    assert message["from"] == host.id and message["name"] == "Bupati"
    assert message["text"] == "Selamat pagi"
    later = await join_lobby(server, room, "Pak Budi")
    people.append(later)
    assert "chat" not in later.ack  # the lobby does not read the chat
    await admit(host, later, media=False)
    second = await connect(server, "Bupati 2", cookie=None)
    people.append(second)
    state = await later.client.call("room:get")
    assert {p["name"] for p in state["state"]["participants"]} == {"Bupati", "Bu Sri", "Pak Budi"}
