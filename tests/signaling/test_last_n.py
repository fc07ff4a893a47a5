"""Last-N: the server forwards only the videos a page says it shows (``media:shown``)."""

from __future__ import annotations

import asyncio

import pytest

from signaling.client import ProtocolError
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, hosted_room, join_admitted


async def decoded_over(receiver: Person, sender: Person, seconds: float = 1.5) -> int:
    """Video frames of ``sender`` decoded by ``receiver`` over ``seconds``, after 3 s for
    frames in flight and in the decoder's queue to drain (measured: up to ~1.5 s on a loaded
    machine)."""
    await asyncio.sleep(3.0)
    before = receiver.decoded(sender)
    await asyncio.sleep(seconds)
    return receiver.decoded(sender) - before


async def test_unshown_videos_are_not_forwarded(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    viewer = await join_admitted(server, room, host, "Lurah Gondang")
    other = await join_admitted(server, room, host, "Lurah Tanon")
    people.extend([viewer, other])
    await viewer.frames(host, "video", 3)
    await viewer.frames(other, "video", 3)

    await viewer.client.shown([host.id])  # the page shows only the host's tile
    hidden = {"publisher": other.id, "layer": "off", "reason": "hidden"}
    await viewer.client.wait_event("media:layer", lambda d: d == hidden)
    assert await decoded_over(viewer, other) <= 1, "an unshown video must not be forwarded"
    await viewer.frames(host, "video", 5)  # the shown one goes on
    await viewer.frames(other, "audio", 5)  # and so does everyone's audio
    await other.frames(host, "video", 3)  # another page's choice is its own
    await host.frames(other, "video", 3)

    layers = viewer.client.events("media:layer")
    assert not any(d["publisher"] == host.id and d["reason"] == "hidden" for d in layers)
    await viewer.client.shown(None)  # all shown again: the video comes back
    await viewer.frames(other, "video", 5)
    assert viewer.client.events("media:layer")[-1]["layer"] != "off"

    with pytest.raises(ProtocolError) as info:
        await viewer.client.call("media:shown", {"participants": "all"})
    assert info.value.code == "invalid_request"
