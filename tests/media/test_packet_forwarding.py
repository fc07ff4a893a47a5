"""What only the packet path does: VP8 descriptor rewriting, RTX from the slot's history of
rewritten packets. test_forwarding.py runs the common scenarios (continuity across a publisher
rejoin included) on both paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from fractions import Fraction

import av
import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.utils import uint16_add

from media import MediaSettings, hooks, vp8_layers
from media.testing import LOOPBACK, connect, encode_vp8_cycle, wait_for

from .conftest import Harness

BOTH = frozenset({"audio", "video"})


@pytest.fixture
async def packets() -> AsyncIterator[Harness]:
    h = Harness(MediaSettings(host_addresses=LOOPBACK, forwarding="packet"))
    yield h
    await h.close()


def _packetized(frames: list[bytes]) -> list[list[bytes]]:
    encoder = Vp8Encoder()
    out = []
    for i, data in enumerate(frames):
        packet = av.Packet(data)
        packet.pts, packet.time_base = i, Fraction(1, 20)
        payloads, _timestamp = encoder.pack(packet)
        out.append(payloads)
    return out


def test_vp8_descriptor_on_real_packets() -> None:
    frames = _packetized(encode_vp8_cycle(320, 240, 20, 600_000, 3))
    assert len(frames[0]) > 1  # the keyframe spans several packets
    descs = [[vp8_layers.parse(p) for p in frame] for frame in frames]
    first = descs[0][0]
    assert first is not None and first.keyframe and first.frame_start
    assert not any(d is not None and d.keyframe for d in descs[0][1:])  # not a frame start
    second = descs[1][0]
    assert second is not None and second.frame_start and not second.keyframe  # a delta frame
    assert first.picture_id is not None and second.picture_id is not None
    assert first.picture_modulus == 1 << 15
    assert second.picture_id == (first.picture_id + 1) % first.picture_modulus
    assert first.tid is None and first.tl0picidx is None  # aiortc sends one layer
    rewritten = vp8_layers.rewrite(frames[1][0], second, 0x1234, 0)
    again = vp8_layers.parse(rewritten)
    assert again is not None and again.picture_id == 0x1234
    assert rewritten[4:] == frames[1][0][4:] and len(rewritten) == len(frames[1][0])


async def test_packet_mode_nack_is_answered_from_the_slot_history(packets: Harness) -> None:
    host = packets.client("host")
    host.publish(audio=False, video=True)
    await connect(packets.sfu, host.name, host)
    sub = packets.client("lurah")
    await connect(packets.sfu, sub.name, sub)
    await packets.sfu.subscribe("lurah", "host", frozenset({"video"}))
    await sub.wait_frames("host", "video", 10)
    receiver = next(t.receiver for t in sub.pc.getTransceivers() if t.kind == "video")
    streams = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    rtx_ssrcs = hooks.receiver_rtx_ssrcs(receiver)
    # the media stream (the start's keyframe may have come again on the RTX SSRC)
    ssrc, stream = next((s, st) for s, st in streams.items() if s not in rtx_ssrcs)
    assert list(rtx_ssrcs.values()) == [ssrc]
    before = packets.sfu.stats().rtx_resent
    lost = sorted(uint16_add(stream.max_seq, -n) for n in (1, 2, 3))
    await receiver._send_rtcp_nack(ssrc, lost)
    # The retransmissions arrive on the slot's RTX SSRC: rewritten packets were in its history.
    rtx_before = sum(streams[s].packets_received for s in rtx_ssrcs if s in streams)
    await wait_for(
        lambda: (
            sum(streams[s].packets_received for s in rtx_ssrcs if s in streams) >= rtx_before + 3
        ),
        what="RTX packets at the subscriber",
    )
    assert packets.sfu.stats().rtx_resent - before >= 3
