"""Repairs of a publisher's lost packets reach its subscribers (the upstream half of NACK).

A publisher sending a high and a low stream has two video receivers on one connection that
share the RTX payload type. aiortc routes a packet of an unregistered SSRC by its payload type
only when one receiver has it, so it dropped every retransmission the server had asked for:
a packet lost on a lurah's radio uplink never reached the host, whose picture waited for it
until the next keyframe (media/hooks.py ``route_rtp``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import RtpPacket

from media import MediaSettings, hooks
from media.testing import LOOPBACK, connect, wait_for

from .conftest import Harness

BOTH = frozenset({"audio", "video"})
EVERY = 15  # the server loses the first copy of every 15th packet of each video stream
LOST_REPAIRS = 2


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness(MediaSettings(host_addresses=LOOPBACK, forwarding="packet"))
    yield h
    await h.close()


async def test_a_packet_lost_on_the_uplink_is_repaired_for_the_subscriber(
    harness: Harness,
) -> None:
    host = harness.client("host")
    host.publish(audio=True, video=True, width=320, height=240, fps=15, low=(160, 120))
    await connect(harness.sfu, "host", host)
    server_pc = harness.sfu._peer("host").pc
    receivers = [t.receiver for t in server_pc.getTransceivers() if t.kind == "video"]
    assert len(receivers) == 2
    vp8 = {
        c.payloadType
        for t in server_pc.getTransceivers()
        for c in hooks.negotiated_codecs(t)
        if c.mimeType.lower() == "video/vp8"
    }
    lost: set[tuple[int, int]] = set()

    def lose_some(packet: RtpPacket) -> bool:
        if packet.payload_type not in vp8 or packet.sequence_number % EVERY:
            return True
        key = (packet.ssrc, packet.sequence_number)
        if key in lost:
            return True  # a copy that came again (not RTX): let it through
        lost.add(key)
        return False

    hooks.tap_received_rtp(receivers[0].transport, lose_some)

    lurah = harness.client("lurah")
    await connect(harness.sfu, "lurah", lurah)
    await harness.sfu.subscribe("lurah", "host", BOTH)
    await lurah.wait_frames("host", "video", 10, within=20)
    sub = next(
        t.receiver
        for t in lurah.pc.getTransceivers()
        if t.kind == "video" and lurah.tracks.get(t.mid or "", {}).get("participant") == "host"
    )
    rtx = hooks.receiver_rtx_ssrcs(sub)

    def unrepaired() -> int:
        streams = sub._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        return sum(s.packets_lost for ssrc, s in streams.items() if ssrc not in rtx)

    dropped_at_start = len(lost)
    # Every loss of the uplink is repaired: the subscriber's stream has no lasting hole, while
    # the server keeps losing packets of it.
    await wait_for(
        lambda: len(lost) >= dropped_at_start + 10 and unrepaired() == 0,
        within=20,
        what="the uplink's losses repaired for the lurah",
    )
    # The repairs came as RTX on the publisher's RTX streams, routed to their receivers.
    repaired_on = {
        ssrc
        for r in receivers
        for ssrc in hooks.receiver_active_ssrcs(r)
        if ssrc in hooks.receiver_rtx_ssrcs(r)
    }
    assert repaired_on, "no retransmission reached a receiver"


async def test_a_packet_whose_retransmission_is_lost_is_asked_for_again(
    harness: Harness,
) -> None:
    """One packet lost on the uplink and its first retransmissions lost too (the one its NACK
    asked for and the one the NACK's repeat 40 ms later asked for: aiortc's sender, unlike
    Chromium's, answers both), nothing else: the server asks again a round trip later
    (media/nack_retry.py). aiortc's own NACK generator
    asked again only when some later packet was lost, so on a link that then loses nothing the
    packet stayed a hole for the subscriber until it fell out of the history."""
    host = harness.client("host")
    host.publish(audio=False, video=True, width=320, height=240, fps=15)
    await connect(harness.sfu, "host", host)
    server_pc = harness.sfu._peer("host").pc
    (receiver,) = [t.receiver for t in server_pc.getTransceivers() if t.kind == "video"]
    codecs = [c for t in server_pc.getTransceivers() for c in hooks.negotiated_codecs(t)]
    vp8 = {c.payloadType for c in codecs if c.mimeType.lower() == "video/vp8"}
    rtx = {c.payloadType for c in codecs if c.mimeType.lower() == "video/rtx"}
    armed = False
    target: int | None = None
    copies: list[str] = []  # what became of each retransmission of the target

    def lose_one_twice(packet: RtpPacket) -> bool:
        nonlocal target
        if packet.payload_type in vp8 and armed and target is None:
            target = packet.sequence_number
            return False  # the packet, lost once
        if packet.payload_type in rtx and target is not None and len(packet.payload) >= 2:
            if int.from_bytes(packet.payload[:2], "big") == target:
                copies.append("dropped" if len(copies) < LOST_REPAIRS else "through")
                return copies[-1] == "through"
        return True

    hooks.tap_received_rtp(receiver.transport, lose_one_twice)

    lurah = harness.client("lurah")
    await connect(harness.sfu, "lurah", lurah)
    await harness.sfu.subscribe("lurah", "host", frozenset({"video"}))
    await lurah.wait_frames("host", "video", 10, within=20)
    sub = next(t.receiver for t in lurah.pc.getTransceivers() if t.kind == "video")
    sub_rtx = hooks.receiver_rtx_ssrcs(sub)

    def unrepaired() -> int:
        streams = sub._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
        return sum(s.packets_lost for ssrc, s in streams.items() if ssrc not in sub_rtx)

    assert unrepaired() == 0
    armed = True
    await wait_for(lambda: bool(copies), within=10, what="the first repair, lost")
    await wait_for(
        lambda: "through" in copies and unrepaired() == 0,
        within=10,
        what="the packet asked for again, repaired for the lurah",
    )
    stats = harness.sfu.stats()
    assert stats.upstream_nacked >= 1 and stats.upstream_nack_retries >= 1
    assert stats.upstream_repaired >= 1 and stats.upstream_repair_seconds > 0


def test_aiortc_alone_drops_rtx_that_two_receivers_could_take() -> None:
    """The hook point: aiortc's router still falls back to the payload type only when a single
    receiver has it (if it learns RTX SSRCs itself, the hook is moot)."""

    class Receiver:
        def __init__(self, rtx: dict[int, int]) -> None:
            self._RTCRtpReceiver__rtx_ssrc = rtx

    high, low = Receiver({1001: 1}), Receiver({2002: 2})
    router = RtpRouter()
    for receiver, ssrc in ((high, 1), (low, 2)):
        router.register_receiver(receiver, ssrcs=[ssrc], payload_types=[96, 97])
    retransmission = RtpPacket(payload_type=97, ssrc=2002)
    assert hooks._original_route_rtp(router, retransmission) is None
    assert hooks.route_rtp(router, retransmission) is low
    assert router.ssrc_table[2002] is low
    assert hooks.route_rtp(router, RtpPacket(payload_type=97, ssrc=3003)) is None
