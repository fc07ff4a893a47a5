"""Media is set up while a lurah waits in the lobby (issue 8): real aiortc peers on a real server.

The server answers a lobby participant's offer and the connection comes up, but nothing is
forwarded to or from it until the host admits them; admission then needs no new client offer.
Denied or gone, the lobby connection is closed. The page's own send limits and the layer
events follow audio-only mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from signaling.client import ProtocolError
from signaling.meeting import MEETING
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, admit, hosted_room, join_lobby, wait


def _receiving(person: Person) -> int:
    """m-lines the server has negotiated to send on ``person``'s connection (idle or fed)."""
    assert person.peer is not None
    return sum(1 for t in person.peer.pc.getTransceivers() if t.currentDirection == "recvonly")


def _sfu_peers(server: RunningServer) -> int:
    sfu = server.app[MEETING].bridge.sfu
    assert sfu is not None
    return sfu.stats().peers


async def _quality_in(server: RunningServer, person: Person) -> int:
    """Packets the server has received from ``person``'s connection so far."""
    sfu = server.app[MEETING].bridge.sfu
    assert sfu is not None
    reading = await sfu.peer_quality(person.id)
    return 0 if reading is None else reading.received_packets


async def test_lobby_peer_is_connected_but_isolated_until_admitted(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    lurah = await join_lobby(server, room, "Lurah Gondang")
    people.append(lurah)

    # In the lobby: the offer is answered and the connection comes up (ICE, DTLS).
    await lurah.start_media()
    assert lurah.peer is not None
    await wait(lambda: lurah.peer is not None and lurah.peer.state == "connected", 20.0, "ICE")
    assert _sfu_peers(server) == 2
    # The server receives the lurah's media ...
    await wait_async(lambda: _quality_in(server, lurah), "packets from the lobby peer")
    await asyncio.sleep(2.0)
    # ... but forwards nothing either way: idle slots only, no frame.
    assert lurah.peer.tracks == {}
    assert lurah.peer.from_participant(host.id, "video") is None
    assert lurah.peer.from_participant(host.id, "audio") is None
    assert host.peer is not None and all(
        info["participant"] != lurah.id for info in host.peer.tracks.values()
    )
    assert host.peer.from_participant(lurah.id, "video") is None
    # Other events still need admission.
    try:
        await lurah.client.call("self:media", {"mic": False})
    except ProtocolError as exc:
        assert exc.code == "not_admitted"
    else:
        raise AssertionError("self:media from the lobby was accepted")

    # Admitted: the same connection carries the host's media, and the host gets the lurah's.
    offers_before = len(lurah.client.events("media:offer"))
    await admit(host, lurah, media=False)
    await lurah.frames(host, "video", 5)
    await lurah.frames(host, "audio", 5)
    await host.frames(lurah, "video", 5)
    await host.frames(lurah, "audio", 5)
    # The host's audio and video took the slots negotiated in the lobby (Sfu.reserve): no
    # offer/answer round trip after admission.
    assert len(lurah.client.events("media:offer")) == offers_before
    assert lurah.media is not None and not lurah.media.errors


async def wait_async(
    reading: Callable[[], Awaitable[int]], what: str, within: float = 20.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await reading():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {within} s")
        await asyncio.sleep(0.1)


async def test_denied_left_or_gone_lobby_peers_are_closed(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    denied = await join_lobby(server, room, "Lurah Tanon")
    gone = await join_lobby(server, room, "Lurah Sambirejo")
    left = await join_lobby(server, room, "Lurah Jenar")
    people.extend([denied, gone, left])
    for person in (denied, gone, left):
        await person.start_media()
    await wait(lambda: _sfu_peers(server) == 4, what="four media connections")

    await left.client.leave()
    await wait(lambda: _sfu_peers(server) == 3, what="peer that left closed")
    await host.client.wait_until(lambda: len(host.client.lobby()) == 2, what="lobby")
    await host.client.deny(denied.id)
    await denied.client.wait_event("lobby:result", lambda d: d["status"] == "denied")
    await wait(lambda: _sfu_peers(server) == 2, what="denied peer closed")

    await gone.client.disconnect()  # a lobby socket that drops has left at once
    await wait(lambda: _sfu_peers(server) == 1, what="gone peer closed")
    assert host.peer is not None and host.peer.tracks == {}


async def test_audio_only_limits_the_camera_and_says_which_layer(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    lurah = await join_lobby(server, room, "Lurah Gondang")
    people.append(lurah)
    await admit(host, lurah)
    await lurah.frames(host, "video", 3)
    assert lurah.client.events("media:limits") == []  # a site nothing is known of: no limits

    # Audio only (the lurah's choice): the host's video is held at a still (or off), and the
    # lurah's own camera sends only its low layer at a few frames per second.
    await lurah.client.receive(video=False)
    layer = await lurah.client.wait_event(
        "media:layer", lambda d: d["publisher"] == host.id and d["reason"] == "ceiling"
    )
    assert layer["layer"] in ("still", "off")
    limits = await lurah.client.wait_event("media:limits")
    assert limits == {
        "max_bitrate": 75_000,
        "scale_down": 1.0,
        "max_framerate": 5.0,
        "low_only": True,
        "reason": "audio_only",
        "unseen": False,
    }
    await lurah.frames(host, "audio", 10)  # audio goes on

    # Video on again: the limits are lifted and the layer comes back up.
    await lurah.client.receive(video=True)
    await lurah.client.wait_event("media:limits", lambda d: d["reason"] == "ok")
    await lurah.client.wait_until(
        lambda: (
            [e for e in lurah.client.events("media:layer") if e["publisher"] == host.id][-1][
                "layer"
            ]
            not in ("still", "off")
        ),
        what="video layer restored",
    )
    await lurah.frames(host, "video", 5)
    assert host.client.events("media:limits") == []  # the host's own site is not involved


async def test_a_second_site_is_admitted_with_one_message_and_no_renegotiation(
    server: RunningServer, people: list[Person]
) -> None:
    """While a site waits, every connection makes room for it (the host's and the admitted
    site's for its media, its own for theirs), so admitting it renegotiates nobody: it once did
    when the host's id sorted after the first site's and its video needed a new m-line. The
    admission message carries the newcomer's view and track map, and the host's keyframe was
    asked for before it was sent."""
    room, host = await hosted_room(server, people)
    first = await join_lobby(server, room, "Lurah Gondang")
    people.append(first)
    await first.start_media()
    await admit(host, first, media=False)
    await first.frames(host, "video", 3)
    second = await join_lobby(server, room, "Lurah Tanon")
    people.append(second)
    await second.start_media()
    # two audio and two video slots on each connection: for the other two people
    for person in (host, first, second):
        await wait(lambda p=person: _receiving(p) == 4, 20.0, f"{person.name}'s slots")
        assert person.media is not None
        await person.media.settled()  # the server has the answer: the slots are live
    offers = {p.name: len(p.client.events("media:offer")) for p in (host, first, second)}
    sfu = server.app[MEETING].bridge.sfu

    def keyframes() -> int:  # asked of a publisher, or replayed from its cache
        stats = sfu.stats()
        return stats.keyframe_requests + stats.keyframes_from_cache

    before = keyframes()
    await host.client.admit(second.id)
    result = await second.client.wait_event("lobby:result", lambda d: d["status"] == "admitted")
    assert keyframes() > before  # the host's keyframe was on its way before the message
    carried = sorted((t["participant"], t["kind"]) for t in result["tracks"].values())
    assert carried == sorted((p.id, kind) for p in (host, first) for kind in ("audio", "video")), (
        result["tracks"]
    )
    seen = {p["name"] for p in result["room"]["participants"]}
    assert seen == {"Bupati", "Lurah Gondang", "Lurah Tanon"}

    await second.frames(host, "video", 5)
    await second.frames(first, "video", 3)
    await second.frames(host, "audio", 5)
    await host.frames(second, "video", 3)
    await first.frames(second, "audio", 3)
    assert {p.name: len(p.client.events("media:offer")) for p in (host, first, second)} == offers
    assert second.media is not None and not second.media.errors
