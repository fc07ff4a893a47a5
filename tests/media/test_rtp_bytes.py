"""The forwarding path builds each slot's packets as bytes (media/rtp_bytes.py): they must be
exactly what aiortc's ``RtpPacket(...).serialize(map)`` gave for the same fields, which is what
the path sent before, and RTX exactly what ``wrap_rtx`` + ``serialize`` gives."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, wrap_rtx

from media import rtp_bytes, vp8_layers
from media.rtp_bytes import SlotHeader
from media.rtp_forward import PacketForwarder
from media.video_forward import ALL_TIDS, VideoForwarder

from .test_chrome_packets import packets as chrome_packets
from .test_thinning import consecutive

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
TWCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
OFFSET = "urn:ietf:params:rtp-hdrext:toffset"


def extension_map(**ids: int) -> HeaderExtensionsMap:
    uris = {"mid": MID, "abs": ABS, "level": LEVEL, "twcc": TWCC, "offset": OFFSET}
    m = HeaderExtensionsMap()
    m.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=i, uri=uris[name]) for name, i in ids.items()
            ]
        )
    )
    return m


# The slot side: how aiortc's answer or offer may number the extensions a slot sends.
SLOT_MAPS = {
    "aiortc offer (mid 1, abs 2)": extension_map(mid=1, abs=2),
    "Chromium offer (abs 2, mid 4)": extension_map(abs=2, mid=4),
    "mid only": extension_map(mid=3),
    "abs only": extension_map(abs=5),
    "none": extension_map(),
    "two-byte ids": extension_map(mid=15, abs=16),
}

# The publisher side: Chromium's numbering, several extensions, some with padding.
PUBLISHER_MAP = extension_map(level=1, abs=2, twcc=3, mid=4)


def serialized_before(
    m: HeaderExtensionsMap, mid: str | None, pt: int, marker: int, seq: int, ts: int, ssrc: int,
    ntp: int, payload: bytes,
) -> bytes:  # fmt: skip
    """What the forwarding path sent before (a new RtpPacket and serialize per slot)."""
    out = RtpPacket(
        payload_type=pt, marker=marker, sequence_number=seq, timestamp=ts, ssrc=ssrc,
        payload=payload,
    )  # fmt: skip
    out.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
    out.extensions.mid = mid
    return out.serialize(m)


def received(seq: int, ts: int, payload: bytes, marker: int, padding: int) -> RtpPacket:
    """A packet as a publisher's receiver hands it on: parsed from Chromium-shaped bytes."""
    packet = RtpPacket(
        payload_type=111, marker=marker, sequence_number=seq, timestamp=ts, ssrc=0xDEADBEEF,
        payload=payload,
    )  # fmt: skip
    packet.padding_size = padding
    packet.extensions.audio_level = (True, 42)
    packet.extensions.abs_send_time = 0x123456
    packet.extensions.transport_sequence_number = seq ^ 0x5555
    packet.extensions.mid = "0"
    parsed = RtpPacket.parse(packet.serialize(PUBLISHER_MAP), PUBLISHER_MAP)
    assert parsed.payload == payload and parsed.padding_size == padding
    return parsed


@pytest.mark.parametrize("name", list(SLOT_MAPS))
@pytest.mark.parametrize("mid", ["0", "1", "12", "abc"])
def test_slot_header_builds_what_serialize_gave(name: str, mid: str) -> None:
    m = SLOT_MAPS[name]
    rng = random.Random(f"{name}{mid}")
    header = rtp_bytes.slot_header(m, mid, ssrc=0x11223344, payload_type=96)
    for _ in range(200):
        marker = rng.getrandbits(1)
        pt = rng.choice((96, 111, 63, 127, 0))
        seq, ts, ntp = rng.getrandbits(16), rng.getrandbits(32), rng.getrandbits(64)
        payload = os.urandom(rng.choice((0, 1, 3, 160, 1100)))
        built = header.build(marker, pt, seq, ts, ntp, payload)
        expected = serialized_before(m, mid, pt, marker, seq, ts, 0x11223344, ntp, payload)
        assert built == expected


class Captured:
    """Stands in for hooks.SlotSender: the built bytes are kept, not protected and sent."""

    def __init__(self, header: SlotHeader) -> None:
        self.header = header
        self.kind = "video"
        self.sent: list[bytes] = []

    def current_header(self) -> SlotHeader:
        return self.header

    def ready(self) -> bool:
        return True

    def send(self, data: bytes, seq: int, ts: int, length: int, ntp: int) -> bool:
        self.sent.append(data)
        return True


SLOT_MAP = SLOT_MAPS["Chromium offer (abs 2, mid 4)"]
SLOT_SSRC = 0xCAFEF00D


def attach(fwd: PacketForwarder, payload_type: int) -> Captured:
    out = Captured(rtp_bytes.slot_header(SLOT_MAP, "7", SLOT_SSRC, payload_type))
    fwd._out = out  # type: ignore[assignment]
    return out


def test_audio_slot_sends_the_bytes_serialize_gave() -> None:
    fwd = PacketForwarder("audio", transceiver=None)
    out = attach(fwd, 109)
    source = object()
    rng = random.Random(5)
    ins: list[RtpPacket] = []
    ntps: list[int] = []
    for i in range(300):
        packet = received(
            (65500 + i) & 0xFFFF,
            (4294960000 + 960 * i) & 0xFFFFFFFF,
            os.urandom(rng.randrange(3, 200)),
            marker=int(i == 0),
            padding=rng.choice((0, 0, 1, 4, 31)),
        )
        ins.append(packet)
        ntps.append(rng.getrandbits(64))
        fwd.forward(packet, source, False, ntp=ntps[-1], wall=i * 0.02)
    assert len(out.sent) == fwd.sent == 300
    for packet, ntp, data in zip(ins, ntps, out.sent, strict=True):
        parsed = RtpPacket.parse(data, SLOT_MAP)
        assert parsed.ssrc == SLOT_SSRC and parsed.payload_type == 109
        assert parsed.padding_size == 0 and parsed.payload == packet.payload
        assert parsed.extensions.mid == "7" and parsed.extensions.audio_level is None
        assert parsed.sequence_number == (packet.sequence_number + fwd._seq_offset) & 0xFFFF
        assert parsed.timestamp == (packet.timestamp + fwd._ts_offset) & 0xFFFFFFFF
        assert parsed.marker == packet.marker
        again = serialized_before(
            SLOT_MAP, "7", 109, parsed.marker, parsed.sequence_number, parsed.timestamp,
            SLOT_SSRC, ntp, parsed.payload,
        )  # fmt: skip
        assert data == again


def test_red_rewrite_changes_payload_type_and_payload_of_that_slot_only() -> None:
    fwd = PacketForwarder("audio", transceiver=None)
    out = attach(fwd, 111)
    fwd.rewrite_payload = lambda ts, payload, pt: (b"red" + payload, 63)
    packet = received(10, 960, b"opus", marker=0, padding=0)
    fwd.forward(packet, object(), False, ntp=0, wall=0.0)
    parsed = RtpPacket.parse(out.sent[0], SLOT_MAP)
    assert (parsed.payload_type, parsed.payload) == (63, b"redopus")
    assert packet.payload == b"opus"  # the received packet (shared by every slot) unchanged


@pytest.mark.parametrize("max_tid", [ALL_TIDS, 0])
def test_video_slot_with_picture_ids_rewritten_sends_what_serialize_gave(max_tid: int) -> None:
    """Chromium's L1T3 packets, thinned and renumbered after a run start that continues an
    earlier one (so picture id and TL0PICIDX are rewritten in every payload)."""
    fwd = VideoForwarder(transceiver=None)
    out = attach(fwd, 96)
    fwd._last_seq, fwd._last_ts, fwd._last_pic, fwd._last_tl0 = 40000, 123456, 777, 9
    source = object()
    fwd.select(source, "high", max_tid, still=False)
    captured = chrome_packets("high")
    kept: list[tuple[RtpPacket, Any]] = []
    for i, packet in enumerate(captured):
        packet = received(
            packet.sequence_number, packet.timestamp, packet.payload, packet.marker, (i % 3) * 7
        )
        desc = vp8_layers.parse(packet.payload)
        sent = fwd.sent
        fwd.forward(packet, source, desc, ntp=i << 20, wall=0.0)
        if fwd.sent > sent:
            kept.append((packet, desc))
    assert len(out.sent) == len(kept) > 10
    if max_tid == 0:
        assert fwd.thinned > 0
    seqs = []
    for (packet, desc), data in zip(kept, out.sent, strict=True):
        parsed = RtpPacket.parse(data, SLOT_MAP)
        seqs.append(parsed.sequence_number)
        out_desc = vp8_layers.parse(parsed.payload)
        assert desc is not None and out_desc is not None
        assert out_desc.picture_id != desc.picture_id  # rewritten: continues from 777
        pic, tl0 = out_desc.picture_id or 0, out_desc.tl0picidx or 0
        assert parsed.payload == vp8_layers.rewrite(packet.payload, desc, pic, tl0)
        expected = serialized_before(
            SLOT_MAP, "7", 96, packet.marker, parsed.sequence_number, parsed.timestamp,
            SLOT_SSRC, parsed.extensions.abs_send_time << 14, parsed.payload,
        )  # fmt: skip
        assert data == expected
    assert seqs[0] == 40001 and consecutive(seqs, 1 << 16)


@pytest.mark.parametrize("padding", [0, 1, 17])
@pytest.mark.parametrize("csrc", [[], [1, 0xFFFFFFFF]])
@pytest.mark.parametrize("name", ["aiortc offer (mid 1, abs 2)", "none", "two-byte ids"])
def test_rtx_is_what_wrap_rtx_and_serialize_give(padding: int, csrc: list[int], name: str) -> None:
    m = SLOT_MAPS[name]
    packet = RtpPacket(
        payload_type=96, marker=1, sequence_number=65535, timestamp=0xFFFFFFFE, ssrc=7,
        payload=os.urandom(900),
    )  # fmt: skip
    packet.padding_size = padding
    packet.csrc = csrc
    packet.extensions.mid = "3"
    packet.extensions.abs_send_time = 0xABCDEF
    data = packet.serialize(m)
    assert rtp_bytes.sequence_number(data) == 65535
    parsed = RtpPacket.parse(data, m)
    expected = wrap_rtx(parsed, payload_type=97, sequence_number=513, ssrc=99).serialize(m)
    assert rtp_bytes.rtx(data, 97, 513, 99) == expected
