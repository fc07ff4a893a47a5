"""Video nobody sees is dropped before DTLS/SRTP (media/unseen_video.py), with real aiortc peers
on 127.0.0.1: a site publishing audio and video to a host that hears it but does not (yet)
show it, as a town hall's host hears every site and shows six."""

from __future__ import annotations

import asyncio
import time

from media import MediaSettings, hooks
from media.testing import LOOPBACK, ClientPeer, connect, wait_for

from .conftest import Harness

AUDIO = frozenset({"audio"})
VIDEO = frozenset({"video"})


def camera_packets_sent(client: ClientPeer) -> int:
    sender = next(t.sender for t in client.pc.getTransceivers() if t.kind == "video")
    return hooks.sender_counters(sender)[0]


def camera_ssrc(client: ClientPeer) -> int:
    sender = next(t.sender for t in client.pc.getTransceivers() if t.kind == "video")
    return hooks.sender_ssrc(sender)


async def site_heard_not_seen(
    harness: Harness, kinds: frozenset[str] = AUDIO
) -> tuple[ClientPeer, ClientPeer]:
    """A site sending audio and video; the host subscribed to ``kinds`` of it (its audio only:
    the site is heard, not seen), once the host receives them."""
    site = harness.client("site")
    site.publish(audio=True, video=True)
    await connect(harness.sfu, "site", site)
    host = harness.client("host")
    await connect(harness.sfu, "host", host)
    await harness.sfu.subscribe("host", "site", kinds)
    for kind in sorted(kinds):
        await host.wait_frames("site", kind, 10, within=30)
    return site, host


async def dropping(harness: Harness) -> None:
    gate = harness.server_peer("site").unseen
    assert gate is not None
    await wait_for(lambda: gate.dropped > 20, within=10, what="the site's video dropped")


async def test_video_nobody_sees_is_dropped_before_decryption(harness: Harness) -> None:
    site, _host = await site_heard_not_seen(harness)
    await dropping(harness)
    gate = harness.server_peer("site").unseen
    assert gate is not None and gate.dropping
    decrypted = harness.arriving("site")
    stats0 = harness.sfu.stats()
    sent0, dropped0 = camera_packets_sent(site), gate.dropped
    await asyncio.sleep(3.0)
    sent = camera_packets_sent(site) - sent0
    dropped = gate.dropped - dropped0
    stats = harness.sfu.stats()
    assert sent >= 30
    # None of it reached SRTP's receive path and the router; the keep-alives are decrypted
    # and thrown away there.
    camera = camera_ssrc(site)
    assert sum(1 for p in decrypted if p.ssrc == camera) == 0
    assert dropped >= sent - 5
    assert stats.unseen_video_dropped - stats0.unseen_video_dropped == dropped
    # The site's audio still arrives (another gate, another rule).
    assert any(p.ssrc != camera for p in decrypted)
    # The server neither reports the dropped packets as lost nor asks for them again, and
    # what it tells of the site's uplink is what the site sends.
    pub = harness.server_peer("site").publications["video"]
    expected, got = hooks.receiver_media_counts(pub.receiver)
    assert expected - got <= 2
    assert stats.upstream_nacked - stats0.upstream_nacked == 0
    uplink = harness.sfu.uplink("site")
    assert uplink is not None and uplink.received_bps > 20_000 and uplink.loss < 0.02
    assert not harness.events.errors


async def test_a_host_who_starts_showing_the_site_gets_its_picture_at_once(
    harness: Harness,
) -> None:
    _site, host = await site_heard_not_seen(harness)
    await dropping(harness)
    gate = harness.server_peer("site").unseen
    assert gate is not None
    await asyncio.sleep(2.0)  # long enough for the cached keyframe to be stale
    stats0 = harness.sfu.stats()
    t0 = time.monotonic()
    await harness.sfu.subscribe("host", "site", AUDIO | VIDEO)
    await host.wait_frames("site", "video", 10, within=10)
    video = host.from_participant("site", "video")
    assert video is not None and video.first_at is not None
    assert video.first_at - t0 < 2.0  # a keyframe asked for and forwarded, on loopback
    assert not gate.dropping
    dropped = gate.dropped
    await asyncio.sleep(1.0)
    assert gate.dropped == dropped  # seen: nothing more dropped
    assert video.since(time.monotonic() - 1.0) >= 10
    # The gap the drops left in the stream is not asked for again.
    assert harness.sfu.stats().upstream_nacked - stats0.upstream_nacked <= 2


async def test_a_camera_the_host_turned_off_is_dropped_and_comes_back_when_turned_on(
    harness: Harness,
) -> None:
    _site, host = await site_heard_not_seen(harness, AUDIO | VIDEO)
    gate = harness.server_peer("site").unseen
    assert gate is not None and gate.dropped == 0

    harness.sfu.set_forwarding("site", "video", False)
    await wait_for(lambda: gate.dropped > 20, within=5, what="the turned-off camera dropped")
    harness.sfu.set_forwarding("site", "video", True)
    t0 = time.monotonic()
    await wait_for(
        lambda: (v := host.from_participant("site", "video")) is not None and v.since(t0) >= 10,
        within=10,
        what="the camera seen again",
    )
    assert not gate.dropping


async def test_the_setting_off_drops_nothing() -> None:
    harness = Harness(MediaSettings(host_addresses=LOOPBACK, drop_unseen_video=False))
    try:
        site, _host = await site_heard_not_seen(harness)
        decrypted = harness.arriving("site")
        await asyncio.sleep(1.0)
        assert harness.server_peer("site").unseen is None
        assert sum(1 for p in decrypted if p.ssrc == camera_ssrc(site)) >= 10
        assert harness.sfu.stats().unseen_video_dropped == 0
    finally:
        await harness.close()


async def test_the_page_of_a_camera_nobody_sees_is_told_to_pause_and_to_send_again() -> None:
    """``video_seen`` (media/unseen_pause.py): False after the delay unseen; True the moment
    the host's slot selects the site's video again, without waiting for a tick; True too when
    the site's connection ends while paused."""
    harness = Harness(MediaSettings(host_addresses=LOOPBACK, pause_unseen_after=1.0))
    try:
        await site_heard_not_seen(harness)
        await wait_for(
            lambda: harness.events.seen == [("site", False)], within=5, what="told unseen"
        )
        assert harness.events.seen == [("site", False)]  # nothing more while unseen
        await harness.sfu.subscribe("host", "site", AUDIO | VIDEO)
        t0 = time.monotonic()
        await wait_for(lambda: len(harness.events.seen) == 2, within=5, what="told seen")
        assert harness.events.seen[-1] == ("site", True)
        assert time.monotonic() - t0 < 0.5  # the slot's selection, not the 1-second tick
        await harness.sfu.unsubscribe("host", "site")
        await harness.sfu.subscribe("host", "site", AUDIO)
        await wait_for(lambda: len(harness.events.seen) == 3, within=5, what="unseen again")
        await harness.sfu.remove("site")
        assert harness.events.seen[-2:] == [("site", False), ("site", True)]
        assert not harness.events.errors
    finally:
        await harness.close()
