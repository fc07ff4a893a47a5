"""Packet-level forwarding (``MediaSettings.forwarding = "packet"``, experimental).

The default (frame) path reassembles each publisher frame, hands it through a decoder-thread hop
as an ``av.Packet`` and has every subscriber's ``RTCRtpSender`` re-packetize it. Here each RTP
packet a publisher's receiver accepts (after aiortc's RTX unwrapping, NACK generation and REMB)
is sent on to every routed slot at once, from the receive callback, with its header rewritten
for that slot:

- SSRC: the slot sender's own; payload type: the slot's negotiated one;
- sequence number and timestamp: offset per slot, re-based whenever the slot's source changes
  (publisher rejoined, slot reused), so the subscriber sees one continuous stream; gaps of the
  publisher's stream stay gaps, so the subscriber NACKs what the server lost too;
- VP8 picture id: offset after a source change, so it continues too (unchanged until then);
- header extensions: the slot's ``mid`` and a fresh ``abs-send-time``.

Video starts (and restarts after a source change) at the first packet of a keyframe. Each sent
packet goes into the sender's RTP history, so a subscriber's NACK is answered by aiortc's own
RTX code (through the per-subscriber budget hook), and the sender's counters feed its RTCP
sender reports.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from aiortc import clock
from aiortc.rtp import RtpPacket

from media import hooks
from media.settings import Kind

PacketCallback = Callable[[RtpPacket], None]


def now() -> tuple[int, float]:
    """(NTP time for abs-send-time and sender reports, monotonic seconds): read once per
    received packet, shared by every slot it goes to."""
    return clock.current_ntp_time(), time.monotonic()


def vp8_payload_start(payload: bytes) -> int | None:
    """Offset of the VP8 payload header if this packet starts partition 0, else None."""
    if len(payload) < 2:
        return None
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S bit unset, or not partition 0
        return None
    offset = 1
    if first & 0x80:  # X: extension byte
        ext = payload[1]
        offset = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if offset >= len(payload):
                return None
            offset += 2 if payload[offset] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            offset += 1
        if ext & 0x30:  # T or K: TID/KEYIDX
            offset += 1
    return offset if offset < len(payload) else None


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """First packet of a VP8 key frame (RFC 7741 4.3: P bit 0 in the payload header)."""
    start = vp8_payload_start(payload)
    return start is not None and not payload[start] & 0x01


def vp8_picture_id(payload: bytes) -> tuple[int, int] | None:
    """(picture id, modulus) of a VP8 payload descriptor, or None when it carries none."""
    if len(payload) < 3 or not payload[0] & 0x80 or not payload[1] & 0x80:
        return None
    if payload[2] & 0x80:
        return ((payload[2] & 0x7F) << 8) | payload[3], 1 << 15
    return payload[2] & 0x7F, 1 << 7


def with_picture_id(payload: bytes, picture_id: int) -> bytes:
    """The payload with its descriptor's picture id replaced (same width)."""
    data = bytearray(payload)
    if data[2] & 0x80:
        data[2] = 0x80 | ((picture_id >> 8) & 0x7F)
        data[3] = picture_id & 0xFF
    else:
        data[2] = picture_id & 0x7F
    return bytes(data)


class VideoPacketTap:
    """Stands in for aiortc's video ``JitterBuffer``: hands each packet on, assembles nothing."""

    capacity = 512  # read by nothing here; kept for interface parity

    def __init__(self, on_packet: PacketCallback) -> None:
        self._on_packet = on_packet

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self._on_packet(packet)
        return False, None


class PacketForwarder:
    """The outgoing RTP stream of one subscriber slot: header rewriting and sending."""

    def __init__(self, kind: Kind, transceiver: Any) -> None:
        self.kind = kind
        self._transceiver = transceiver
        self._clock_rate = 90000 if kind == "video" else 48000
        self._source: object | None = None
        self._seq_offset = 0
        self._ts_offset = 0
        self._pic_offset = 0
        self._max_in = 0  # newest sequence number forwarded from the current source
        self._span = 0  # how far _max_in is past the source's first forwarded packet
        self._last_seq: int | None = None
        self._last_ts = 0
        self._last_pic: int | None = None
        self._last_wall = 0.0
        self._started = False  # the current source's first packet was forwarded
        self.need_keyframe = kind == "video"
        self.sent = 0
        self.dropped = 0
        # Extension point: changes each outgoing packet in place (RED: media/audio_protection.py)
        self.rewrite_payload: PacketCallback | None = None

    def restart(self) -> None:
        """Start again from the next keyframe (route added, slot detached or re-fed)."""
        self._source = None
        self._started = False
        self.need_keyframe = self.kind == "video"

    def forward(
        self, packet: RtpPacket, source: object, keyframe: bool, ntp: int, wall: float
    ) -> None:
        if source is not self._source:
            self._source = source
            self._started = False
            self.need_keyframe = self.kind == "video"
        if not self._started:
            if self.need_keyframe and not keyframe:
                self.dropped += 1
                return
            self._rebase(packet, wall)
        seq_in = packet.sequence_number
        ahead = (seq_in - self._max_in) & 0xFFFF
        if ahead < 0x8000:  # newer than anything forwarded from this source
            self._max_in = seq_in
            self._span = min(self._span + ahead, 0x7FFF)
        elif 0x10000 - ahead > self._span:
            self.dropped += 1  # from before this source's first forwarded packet
            return
        payload = packet.payload
        if self._pic_offset and self.kind == "video":
            picture = vp8_picture_id(payload)
            if picture is not None:
                value, modulus = picture
                payload = with_picture_id(payload, (value + self._pic_offset) % modulus)
                self._last_pic = (value + self._pic_offset) % modulus
        elif self.kind == "video":
            picture = vp8_picture_id(payload)
            if picture is not None:
                self._last_pic = picture[0]
        seq = (seq_in + self._seq_offset) & 0xFFFF
        ts = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        out = RtpPacket(
            payload_type=hooks.slot_payload_type(self._transceiver),
            marker=packet.marker,
            sequence_number=seq,
            timestamp=ts,
            ssrc=self._transceiver.sender._ssrc,
            payload=payload,
        )
        out.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        out.extensions.mid = self._transceiver.mid
        if self.rewrite_payload is not None:
            self.rewrite_payload(out)
        if hooks.send_rtp_now(self._transceiver.sender, out, ntp):
            self.sent += 1
            if self._last_seq is None or ((seq - self._last_seq) & 0xFFFF) < 0x8000:
                self._last_seq = seq
                self._last_ts = ts
                self._last_wall = wall

    def _rebase(self, packet: RtpPacket, wall: float) -> None:
        self._started = True
        self.need_keyframe = False
        self._max_in = packet.sequence_number
        self._span = 0
        if self._last_seq is None:
            self._seq_offset = (random.getrandbits(15) - packet.sequence_number) & 0xFFFF
            self._ts_offset = (random.getrandbits(31) - packet.timestamp) & 0xFFFFFFFF
        else:
            self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
            gap = max(1, round((wall - self._last_wall) * self._clock_rate))
            self._ts_offset = (self._last_ts + gap - packet.timestamp) & 0xFFFFFFFF
        picture = vp8_picture_id(packet.payload) if self.kind == "video" else None
        if picture is not None and self._last_pic is not None:
            value, modulus = picture
            self._pic_offset = (self._last_pic + 1 - value) % modulus
        else:
            self._pic_offset = 0
