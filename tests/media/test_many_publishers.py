"""One subscriber (the host) gaining many publishers (the sites) in quick succession."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from media import MediaSettings
from media.loudest import LoudestSettings
from media.testing import LOOPBACK, connect, wait_for

from .conftest import Harness

BOTH = frozenset({"audio", "video"})
SITES = 10


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """Every site's audio gets its own slot here (no loudest-three limit: media/loudest.py,
    tests/media/test_loudest_audio.py), so each one's decoding is checked."""
    h = Harness(MediaSettings(host_addresses=LOOPBACK, loudest=LoudestSettings(limit=0)))
    yield h
    await h.close()


async def test_host_gaining_ten_sites_at_once_decodes_every_one(harness: Harness) -> None:
    names = ["host", *(f"site{i}" for i in range(SITES))]
    peers = {}
    for name in names:
        peer = harness.client(name, keep_times=False)
        peer.publish(audio=True, video=True, width=160, height=120, fps=10)
        await connect(harness.sfu, name, peer)
        peers[name] = peer
    await wait_for(
        lambda: all(p.state == "connected" for p in peers.values()), what="all connected"
    )
    # All at once, as signaling does when a session opens: the first subscription's offer is
    # still unanswered when the next ones arrive, so they must be coalesced into a later offer.
    await asyncio.gather(*(harness.sfu.subscribe("host", site, BOTH) for site in names[1:]))

    host = peers["host"]
    for site in names[1:]:
        video = await host.wait_frames(site, "video", 3, within=30)
        assert (video.width, video.height) == (160, 120)  # decoded pictures, not just packets
        await host.wait_frames(site, "audio", 10, within=30)
    stats = harness.sfu.stats()
    assert stats.slots == 2 * SITES
    assert harness.events.offers["host"] <= 3, harness.events.offers  # coalesced, not 10
    # every new slot started from a PLI'd keyframe or a recent cached one
    assert stats.keyframe_requests_sent + stats.keyframes_from_cache >= SITES
    assert not harness.events.errors
