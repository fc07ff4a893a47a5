"""A real server, protocol clients and aiortc peers: frames must arrive and decode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import RunningServer
from tests.signaling.meeting import (
    Person,
    create_room,
    join_admitted,
    join_host,
    join_lobby,
    wait,
)


@pytest.fixture
async def people() -> AsyncIterator[list[Person]]:
    everyone: list[Person] = []
    try:
        yield everyone
    finally:
        for person in everyone:
            await person.close()


async def test_host_and_three_participants_see_each_other_then_one_leaves_one_joins_late(
    server: RunningServer, people: list[Person]
) -> None:
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    await host.start_media()
    sites = []
    for name in ("Lurah Gondang", "Lurah Tanon"):
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
    await host.client.wait_until(lambda: len(host.client.state["participants"]) == 3)
    gondang = host.client.participant("Lurah Gondang")
    assert gondang is not None and gondang["site"] == {"code": "33.14.06", "name": "Gondang"}

    # One leaves: the others keep receiving each other.
    leaver = sites.pop()
    await leaver.client.leave()
    await leaver.close()
    await host.client.wait_until(lambda: host.client.participant(leaver.name) is None)
    await host.frames(sites[0], "video", 10)
    await sites[0].frames(host, "video", 10)

    # One joins late and decodes the host's video within 2 s of its slot being negotiated.
    late = await join_lobby(server, room, "Lurah Miri", site="33.14.14")
    people.append(late)
    from tests.signaling.meeting import admit

    await admit(host, late)
    assert late.peer is not None
    await wait(lambda: late.peer is not None and late.peer.from_participant(host.id, "video"))
    slot_at = time.monotonic()
    await late.frames(host, "video", 1)
    rec = late.peer.from_participant(host.id, "video")
    assert rec is not None and rec.first_at is not None and rec.width == 320
    assert rec.first_at - slot_at < 2.0
    await late.frames(sites[0], "video", 3)
    await host.frames(late, "video", 3)
