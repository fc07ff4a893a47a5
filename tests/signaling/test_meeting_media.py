"""A real server, protocol clients and aiortc peers: frames must arrive and decode."""

from __future__ import annotations

import asyncio
import time

import pytest

from signaling.client import ProtocolError
from signaling.meeting import MEETING
from tests.conftest import RunningServer
from tests.signaling.meeting import (
    Person,
    admit,
    connect,
    create_room,
    join_admitted,
    join_host,
    join_lobby,
    wait,
)


async def test_host_and_three_participants_see_each_other_then_one_leaves_one_joins_late(
    server: RunningServer, people: list[Person]
) -> None:
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    await host.start_media()
    sites = []
    for name in ("Lurah Gondang", "Lurah Tanon", "Lurah Jenar"):
        person = await join_admitted(server, room, host, name)
        people.append(person)
        sites.append(person)
    everyone = [host, *sites]
    for receiver in everyone:
        for sender in everyone:
            if receiver is not sender:
                await receiver.frames(sender, "video", 5)
                await receiver.frames(sender, "audio", 5)

    # The host sees both, with their sites, in the snapshot.
    await host.client.wait_until(lambda: len(host.client.state["participants"]) == 4)
    gondang = host.client.participant("Lurah Gondang")
    assert gondang is not None and gondang["site"] == {
        "code": "33.14.06",
        "name": "Gondang",
        "label": "Gondang",
    }

    # One leaves: the others keep receiving each other.
    leaver = sites.pop()
    await leaver.client.leave()
    await leaver.close()
    await host.client.wait_until(lambda: host.client.participant(leaver.name) is None)
    for receiver in [host, *sites]:
        for sender in [host, *sites]:
            if receiver is not sender:
                await receiver.frames(sender, "video", 10)

    # One joins late and decodes the host's video within seconds of its slot being negotiated.
    late = await join_lobby(server, room, "Lurah Miri", site="33.14.14")
    people.append(late)
    await admit(host, late)
    assert late.peer is not None
    await wait(lambda: late.peer is not None and late.peer.from_participant(host.id, "video"))
    slot_at = time.monotonic()
    await late.frames(host, "video", 1)
    rec = late.peer.from_participant(host.id, "video")
    assert rec is not None and rec.first_at is not None and rec.width == 320
    # Typically 0.03-0.4 s; 3.0 s once in a clean-clone `make test`. The bound catches a
    # keyframe that never comes (issue 8 item 6), not speed: figures belong to the benchmarks.
    assert rec.first_at - slot_at < 6.0
    await late.frames(sites[0], "video", 3)
    await host.frames(late, "video", 3)


async def settle_and_count(receiver: Person, sender: Person, kind: str) -> tuple[int, int]:
    """Frames decoded over 1.5 s, after 1 s for packets in flight to drain."""
    await asyncio.sleep(1.0)
    before = receiver.decoded(sender, kind)
    await asyncio.sleep(1.5)
    return before, receiver.decoded(sender, kind)


async def two_people(server: RunningServer, people: list[Person]) -> tuple[str, Person, Person]:
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    await host.start_media()
    lurah = await join_admitted(server, room, host, "Lurah Gondang")
    people.append(lurah)
    await host.frames(lurah, "audio", 5)
    await lurah.frames(host, "video", 3)
    return room, host, lurah


async def test_hard_mute_stops_audio_and_forbids_unmute(
    server: RunningServer, people: list[Person]
) -> None:
    _, host, lurah = await two_people(server, people)
    await host.client.mute(lurah.id, hard=True)
    muted = await lurah.client.wait_event("muted")
    assert muted == {"by": "host", "hard": True}
    before, after = await settle_and_count(host, lurah, "audio")
    assert after - before <= 2, "a hard-muted microphone must not be forwarded"
    await host.frames(lurah, "video", 3)  # the camera still is
    with pytest.raises(ProtocolError) as info:
        await lurah.client.self_media(mic=True)
    assert info.value.code == "forbidden"
    await host.client.wait_until(
        lambda: (host.client.participant(lurah.name) or {}).get("hard_muted") is True
    )
    # the host allows it, the lurah unmutes: audio flows again
    await host.client.allow_unmute(lurah.id)
    await lurah.client.self_media(mic=True)
    await host.frames(lurah, "audio", 10)
    # own mic off: not forwarded either
    await lurah.client.self_media(mic=False)
    before, after = await settle_and_count(host, lurah, "audio")
    assert after - before <= 2


async def test_mute_all_and_audio_only_mode(server: RunningServer, people: list[Person]) -> None:
    _, host, lurah = await two_people(server, people)
    await host.client.mute_all()
    assert (await lurah.client.wait_event("muted"))["hard"] is False
    before, after = await settle_and_count(host, lurah, "audio")
    assert after - before <= 2
    await lurah.frames(host, "audio", 5)  # the host is never muted by mute-all
    await lurah.client.self_media(mic=True)  # a soft mute may be undone
    await host.frames(lurah, "audio", 5)
    # low-bandwidth mode: the lurah stops receiving video, audio goes on
    await lurah.client.receive(video=False)
    before, after = await settle_and_count(lurah, host, "video")
    assert after - before <= 2
    await lurah.frames(host, "audio", 10)
    await host.frames(lurah, "video", 5)


async def test_reconnect_with_resume_token_skips_the_lobby(
    server: RunningServer, people: list[Person]
) -> None:
    room, host, lurah = await two_people(server, people)
    token = lurah.client.resume_token
    old_id = lurah.id
    await lurah.close()  # socket and peer connection gone, as with a page reload
    await host.client.wait_until(
        lambda: (host.client.participant(lurah.name) or {}).get("connected") is False,
        what="participant shown as disconnected",
    )
    back = await connect(server, "Lurah Gondang")
    people.append(back)
    back.ack = await back.client.join(room, "Lurah Gondang", site="33.14.06", resume=token)
    assert back.ack["status"] == "admitted" and back.ack["resumed"] is True
    assert back.id == old_id and back.ack["resume"] != token
    await back.start_media()
    await back.frames(host, "video", 5)
    await host.frames(back, "video", 5)
    await host.frames(back, "audio", 5)
    # the spent token does not work twice
    again = await connect(server, "someone else")
    people.append(again)
    ack = await again.client.join(room, "Lurah Gondang", resume=token)
    assert ack["status"] == "lobby" and ack["resumed"] is False


async def test_remove_and_end(server: RunningServer, people: list[Person]) -> None:
    room, host, lurah = await two_people(server, people)
    sfu = server.app[MEETING].bridge.sfu
    assert sfu is not None and sfu.stats().peers == 2
    await host.client.remove(lurah.id)
    await lurah.client.wait_event("removed")
    await host.client.wait_until(lambda: host.client.participant(lurah.name) is None)
    await wait(lambda: sfu.stats().peers == 1, what="removed participant's connection closed")
    with pytest.raises(ProtocolError) as info:
        await lurah.client.chat("masih di sini?")
    assert info.value.code == "not_in_room"
    second = await join_admitted(server, room, host, "Lurah Tanon")
    people.append(second)
    await host.frames(second, "video", 3)
    await host.client.end()
    await second.client.wait_event("ended")
    await wait(lambda: sfu.stats().peers == 0, what="every connection closed")
    late = await connect(server, "late")
    people.append(late)
    with pytest.raises(ProtocolError) as info:
        await late.client.join(room, "Lurah Miri")
    assert info.value.code == "room_ended"
