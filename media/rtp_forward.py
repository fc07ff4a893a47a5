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

Video starts (and restarts after a source change) at the first packet of a keyframe. No
``RtpPacket`` is made per slot: the slot's fixed header part (SSRC, extension block) is laid out
once (media/rtp_bytes.py ``SlotHeader``) and each copy is one pack of the varying fields plus a
join with the shared payload, then SRTP (libsrtp) and ``sendto`` (``hooks.SlotSender``). Each sent
packet's bytes go into the slot's history, so a subscriber's NACK is answered on the RTX SSRC
(through the per-subscriber budget hook), and the sender's counters feed its RTCP sender reports.
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
PayloadRewrite = Callable[[int, bytes, int], tuple[bytes, int]]


def now() -> tuple[int, float]:
    """(NTP time for abs-send-time and sender reports, monotonic seconds): read once per
    received packet, shared by every slot it goes to."""
    return clock.current_ntp_time(), time.monotonic()


class VideoPacketTap:
    """Stands in for aiortc's video ``JitterBuffer``: hands each packet on, assembles nothing."""

    capacity = 512  # read by nothing here; kept for interface parity

    def __init__(self, on_packet: PacketCallback) -> None:
        self._on_packet = on_packet

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self._on_packet(packet)
        return False, None


class PacketForwarder:
    """The outgoing RTP stream of one audio slot: header rewriting and sending. Audio starts at
    once from any source; :class:`VideoForwarder` adds keyframe starts and layers."""

    def __init__(self, kind: Kind, transceiver: Any) -> None:
        self.kind = kind
        self._transceiver = transceiver
        self._out: hooks.SlotSender | None = None  # made at the first packet sent
        self._clock_rate = 90000 if kind == "video" else 48000
        self._source: object | None = None
        self._seq_offset = 0
        self._ts_offset = 0
        self._max_in = 0  # newest sequence number forwarded from the current source
        self._span = 0  # how far _max_in is past the source's first forwarded packet
        self._last_seq: int | None = None
        self._last_ts = 0
        self._last_wall = 0.0
        self.sent = 0
        self.dropped = 0
        # Extension point: (timestamp, payload, payload type) -> (payload, payload type) of each
        # outgoing packet (RED: media/audio_protection.py)
        self.rewrite_payload: PayloadRewrite | None = None

    def restart(self) -> None:
        """Start again (route added, slot detached or re-fed)."""
        self._source = None

    def forward(
        self, packet: RtpPacket, source: object, keyframe: bool, ntp: int, wall: float
    ) -> None:
        if source is not self._source:
            self._source = source
            self._max_in = packet.sequence_number
            self._span = 0
            self._seq_offset = (self._next_seq() - packet.sequence_number) & 0xFFFF
            self._ts_offset = (self._next_ts(wall) - packet.timestamp) & 0xFFFFFFFF
        seq_in = packet.sequence_number
        ahead = (seq_in - self._max_in) & 0xFFFF
        if ahead < 0x8000:  # newer than anything forwarded from this source
            self._max_in = seq_in
            self._span = min(self._span + ahead, 0x7FFF)
        elif 0x10000 - ahead > self._span:
            self.dropped += 1  # from before this source's first forwarded packet
            return
        self._send(
            packet,
            (seq_in + self._seq_offset) & 0xFFFF,
            (packet.timestamp + self._ts_offset) & 0xFFFFFFFF,
            packet.payload,
            ntp,
            wall,
        )

    def can_send(self) -> bool:
        """True when a packet given now would reach the transport (a run's first packet must:
        a keyframe dropped before the server's end of DTLS is up left a picture waiting for
        the receiver's PLI, a 600 ms round trip later)."""
        out = self._out
        if out is None:
            out = self._out = hooks.SlotSender(self._transceiver)
        return out.ready()

    def _next_seq(self) -> int:
        """The first sequence number of a new run: one after the last sent, or random."""
        return random.getrandbits(15) if self._last_seq is None else self._last_seq + 1

    def _next_ts(self, wall: float) -> int:
        """The first timestamp of a new run: advanced by the wall-clock gap since the last."""
        if self._last_seq is None:
            return random.getrandbits(31)
        return self._last_ts + max(1, round((wall - self._last_wall) * self._clock_rate))

    def _send(
        self, packet: RtpPacket, seq: int, ts: int, payload: bytes, ntp: int, wall: float
    ) -> None:
        out = self._out
        if out is None:
            out = self._out = hooks.SlotSender(self._transceiver)
        header = out.current_header()
        if header is None:
            return
        payload_type = header.payload_type
        if self.rewrite_payload is not None:
            payload, payload_type = self.rewrite_payload(ts, payload, payload_type)
        data = header.build(packet.marker, payload_type, seq, ts, ntp, payload)
        if hooks.send_rtp_now(out, data, seq, ts, len(payload), ntp):
            self.sent += 1
            if self._last_seq is None or ((seq - self._last_seq) & 0xFFFF) < 0x8000:
                self._last_seq = seq
                self._last_ts = ts
                self._last_wall = wall
