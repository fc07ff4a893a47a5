"""Raise hand over the protocol: the queue every page sees, the host lowering a hand and giving
the floor (the hard mute lifted, the microphone forwarded again)."""

from __future__ import annotations

import pytest

from signaling.client import ProtocolError
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, hosted_room, join_admitted, wait


def hands(person: Person) -> list[str]:
    return list((person.client.state or {}).get("hands", []))


async def test_queue_in_order_and_the_host_gives_the_floor(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    a = await join_admitted(server, room, host, "Lurah Gondang")
    b = await join_admitted(server, room, host, "Lurah Tanon")
    people.extend([a, b])
    await host.client.mute(b.id, hard=True)
    await b.client.raise_hand()
    await a.client.raise_hand()
    await b.client.raise_hand()  # again: keeps its place
    await wait(lambda: hands(host) == [b.id, a.id], what="the host's queue")
    await wait(lambda: hands(a) == [b.id, a.id], what="a participant's queue")

    with pytest.raises(ProtocolError) as info:
        await a.client.give_floor(b.id)
    assert info.value.code == "forbidden"
    with pytest.raises(ProtocolError) as info:
        await a.client.lower_hand(b.id)
    assert info.value.code == "forbidden"
    with pytest.raises(ProtocolError) as info:
        await a.client.call("hand:raise", {"raised": "yes"})
    assert info.value.code == "invalid_request"

    await host.client.give_floor(b.id)
    assert await b.client.wait_event("floor") == {"by": "host"}
    await wait(lambda: hands(host) == [a.id], what="the hand down after the floor")
    me = host.client.participant(b.name) or {}
    assert me.get("mic") is True and me.get("hard_muted") is False
    await host.frames(b, "audio", 10)  # b's microphone is forwarded again

    await host.client.lower_hand(a.id)
    await wait(lambda: hands(a) == [], what="the queue emptied")
