"""End-to-end: real aiortc clients (decoding as upstream) through the pass-through SFU."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import pytest

from media import MediaError, MediaSettings, hooks
from media.loudest import LoudestSettings
from media.testing import LOOPBACK, connect, wait_for

from .conftest import Harness

BOTH = frozenset({"audio", "video"})


@pytest.fixture(params=["packet", "frame"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    """Every test here runs on both forwarding paths (MediaSettings.forwarding)."""
    h = Harness(MediaSettings(host_addresses=LOOPBACK, forwarding=request.param))
    yield h
    await h.close()


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


async def test_late_subscriber_gets_first_frame_within_two_seconds(harness: Harness) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    early = harness.client("early")
    await connect(harness.sfu, "early", early)
    await harness.sfu.subscribe("early", "host", BOTH)
    await early.wait_frames("host", "video", 5)
    # libvpx only makes a keyframe every ~128 frames on its own: without forwarding the
    # keyframe request, the late subscriber would wait seconds for a decodable frame.
    await asyncio.sleep(1.0)

    late = harness.client("late")
    await connect(harness.sfu, "late", late)
    await wait_for(lambda: late.state == "connected", what="late connected")
    stats = harness.sfu.stats()
    before = (stats.keyframe_requests_sent, stats.keyframes_from_cache)
    t0 = time.monotonic()
    await harness.sfu.subscribe("late", "host", BOTH)
    rec = await late.wait_frames("host", "video", 1, within=10)
    assert rec.first_at is not None
    assert rec.first_at - t0 < 2.0, f"first decoded frame after {rec.first_at - t0:.2f} s"
    # a keyframe the server provided: asked of the host, or replayed from its cache when the
    # host's last one (the early subscriber's) is under a second old
    after = harness.sfu.stats()
    assert (after.keyframe_requests_sent, after.keyframes_from_cache) != before


async def test_publisher_reconnect_refeeds_subscriber_without_new_offer(harness: Harness) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    sub = harness.client("lurah")
    await connect(harness.sfu, "lurah", sub)
    await harness.sfu.subscribe("lurah", "host", BOTH)
    await sub.wait_frames("host", "video", 5)
    await sub.wait_frames("host", "audio", 10)
    offers = harness.events.offers["lurah"]

    # The host's page reloads: old connection gone, a new one under the same participant id.
    await host.close()
    await harness.sfu.remove("host")
    host2 = harness.client("host")
    host2.publish(audio=True, video=True, width=352, height=288)
    await connect(harness.sfu, "host", host2)

    rec = await sub.wait_frames("host", "video", 10)
    await sub.wait_frames("host", "audio", 25)
    assert (rec.width, rec.height) == (352, 288)  # really the new publisher's pictures
    assert harness.events.offers["lurah"] == offers  # no renegotiation of the subscriber
    assert harness.events.tracks_changes["lurah"] >= 1
    # One continuous stream per slot, on the slot's own SSRC: sequence numbers go on from where
    # the old publisher's stopped (a jump would count as thousands of lost packets).
    slots = [t for t in sub.pc.getTransceivers() if t.mid in sub.tracks]
    assert len(slots) == 2
    for transceiver in slots:
        received = transceiver.receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        # the media SSRC (a start's keyframe may come again on the RTX one: video_forward.py)
        rtx = hooks.receiver_rtx_ssrcs(transceiver.receiver)
        streams = {ssrc: s for ssrc, s in received.items() if ssrc not in rtx}
        assert len(streams) == 1, streams
        stream = next(iter(streams.values()))
        assert stream.packets_lost < 5, (transceiver.kind, stream.packets_lost)


async def test_set_forwarding_stops_and_resumes_audio(harness: Harness) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    sub = harness.client("lurah")
    await connect(harness.sfu, "lurah", sub)
    await harness.sfu.subscribe("lurah", "host", BOTH)
    audio = await sub.wait_frames("host", "audio", 10)

    harness.sfu.set_forwarding("host", "audio", False)
    await asyncio.sleep(0.5)  # what was in flight drains
    muted_from = time.monotonic()
    await sub.wait_frames("host", "video", 20)  # video keeps flowing meanwhile (~1 s)
    assert audio.since(muted_from) == 0

    harness.sfu.set_forwarding("host", "audio", True)
    await sub.wait_frames("host", "audio", 25)
    # Resumed as one stream: the muted second is not a gap of lost packets.
    receiver = next(
        t.receiver for t in sub.pc.getTransceivers() if t.mid in sub.tracks and t.kind == "audio"
    )
    streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    assert [s.packets_lost < 5 for s in streams.values()] == [True], streams


async def test_invalid_sdp_is_refused_and_server_keeps_serving(harness: Harness) -> None:
    bad_offers = ("", "hello", "v=0\r\nnot sdp\r\n", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF\r\n")
    for bad in bad_offers:
        with pytest.raises(MediaError) as info:
            await harness.sfu.answer("mallory", bad)
        assert info.value.code == "invalid_sdp"
        # For people: no Python exception names such as AssertionError() in the message.
        assert not re.search(r"Error|Exception|\w\(\)", info.value.message), info.value.message
    with pytest.raises(MediaError) as info:
        await harness.sfu.accept_answer("nobody", "v=0\r\n")
    assert info.value.code == "unknown_peer"
    with pytest.raises(MediaError) as info:
        await harness.sfu.subscribe("a", "b", frozenset({"smell"}))
    assert info.value.code == "invalid_kind"

    host = harness.client("host")
    host.publish(audio=False, video=True)
    await connect(harness.sfu, "host", host)
    sub = harness.client("lurah")
    await connect(harness.sfu, "lurah", sub)
    await harness.sfu.subscribe("lurah", "host", frozenset({"video"}))
    await sub.wait_frames("host", "video", 5)
    assert "mallory" not in harness.events.states


async def test_host_and_sites_each_way(harness: Harness) -> None:
    """Host's a+v to every site, every site's a+v to the host: many slots on one connection.
    Four sites' audio to the host is over the three audio slots a receiver holds
    (media/loudest.py, tested on its own): the host hears three of them, and every video."""
    sites = [f"site{i}" for i in range(4)]
    peers = {}
    for name in ["host", *sites]:
        peer = harness.client(name)
        peer.publish(audio=True, video=True, width=160, height=120, fps=10)
        await connect(harness.sfu, name, peer)
        peers[name] = peer
    for site in sites:
        await harness.sfu.subscribe(site, "host", BOTH)
        await harness.sfu.subscribe("host", site, BOTH)
    for site in sites:
        await peers[site].wait_frames("host", "video", 5)
        await peers[site].wait_frames("host", "audio", 10)
        await peers["host"].wait_frames(site, "video", 5)

    def heard() -> list[str]:
        received = (peers["host"].from_participant(s, "audio") for s in sites)
        return [s for s, rec in zip(sites, received, strict=True) if rec and rec.frames >= 10]

    await wait_for(lambda: len(heard()) == 3, what=f"the host hearing three sites ({heard()})")
    limit = LoudestSettings().limit
    assert harness.sfu.stats().slots == len(sites) * 2 + len(sites) + limit
    assert not harness.events.errors


async def test_reserved_slots_take_a_subscription_without_an_offer(harness: Harness) -> None:
    """A lobby participant's connection carries idle slots (``reserve``): admission routes the
    host into them, with no server offer, only a keyframe."""
    host = harness.client("host")
    host.publish(audio=True, video=True)
    await connect(harness.sfu, "host", host)
    lurah = harness.client("lurah")
    harness.sfu.reserve("lurah", {"audio": 1, "video": 1})
    await connect(harness.sfu, "lurah", lurah)
    await wait_for(lambda: harness.events.offers["lurah"] == 1, what="the reserving offer")
    await wait_for(lambda: lurah.state == "connected", what="lurah connected")
    await asyncio.sleep(1.0)
    assert harness.sfu.stats().forwarded["video"].packets == 0  # idle: nothing forwarded
    assert not lurah.tracks  # no slot carries anyone yet

    await harness.sfu.subscribe("lurah", "host", BOTH)
    await lurah.wait_frames("host", "video", 3, within=10)
    await lurah.wait_frames("host", "audio", 10, within=10)
    assert harness.events.offers["lurah"] == 1  # the subscription needed no renegotiation
    assert harness.events.tracks_changes["lurah"] >= 1
    with pytest.raises(MediaError):
        harness.sfu.reserve("lurah", {"screen": 1})
