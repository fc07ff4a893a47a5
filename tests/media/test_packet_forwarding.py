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

from media import MediaSettings, hooks
from media.rtp_forward import is_vp8_keyframe_start, vp8_picture_id, with_picture_id
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


def test_vp8_descriptor_helpers_on_real_packets() -> None:
    frames = _packetized(encode_vp8_cycle(320, 240, 20, 600_000, 3))
    assert len(frames[0]) > 1  # the keyframe spans several packets
    assert is_vp8_keyframe_start(frames[0][0])
    assert not any(is_vp8_keyframe_start(p) for p in frames[0][1:])  # not a frame start
    assert not is_vp8_keyframe_start(frames[1][0])  # a delta frame
    first = vp8_picture_id(frames[0][0])
    second = vp8_picture_id(frames[1][0])
    assert first is not None and second is not None
    assert second[0] == (first[0] + 1) % first[1] and first[1] == 1 << 15
    rewritten = with_picture_id(frames[1][0], 0x1234)
    assert vp8_picture_id(rewritten) == (0x1234, 1 << 15)
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
    ssrc, stream = next(iter(streams.items()))
    rtx_ssrcs = hooks.receiver_rtx_ssrcs(receiver)
    assert list(rtx_ssrcs.values()) == [ssrc]
    before = packets.sfu.stats().rtx_resent
    lost = sorted(uint16_add(stream.max_seq, -n) for n in (1, 2, 3))
    await receiver._send_rtcp_nack(ssrc, lost)
    # The retransmissions arrive on the slot's RTX SSRC: rewritten packets were in its history.
    await wait_for(
        lambda: any(s in streams and streams[s].packets_received >= 3 for s in rtx_ssrcs),
        what="RTX packets at the subscriber",
    )
    assert packets.sfu.stats().rtx_resent - before >= 3
