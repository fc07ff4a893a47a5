"""End-to-end: real aiortc clients (decoding as upstream) through the pass-through SFU."""

from __future__ import annotations

from media.testing import connect, wait_for

from .conftest import Harness

BOTH = frozenset({"audio", "video"})


async def test_publisher_to_three_subscribers_and_one_leaves(harness: Harness) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    subs = [harness.client(f"lurah{i}") for i in range(3)]
    for sub in subs:
        await connect(harness.sfu, sub.name, sub)
        await harness.sfu.subscribe(sub.name, "host", BOTH)
    for sub in subs:
        video = await sub.wait_frames("host", "video", 10)
        assert video.width == 320 and video.height == 240
        await sub.wait_frames("host", "audio", 25)

    await harness.sfu.remove("lurah0")
    await subs[0].close()
    for sub in subs[1:]:
        await sub.wait_frames("host", "video", 10)
        await sub.wait_frames("host", "audio", 25)
    stats = harness.sfu.stats()
    assert stats.peers == 3
    assert stats.forwarded["video"].packets > 0 and stats.forwarded["audio"].packets > 0
    assert not harness.events.errors
    await wait_for(lambda: bool(harness.events.levels.get("host")), what="audio levels")
    level, _voiced = harness.events.levels["host"][-1]
    assert -127 <= level <= 0
