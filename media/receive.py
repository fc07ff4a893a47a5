"""Receive side of a publisher: forward each Opus packet at once and read its audio level."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_gt

AudioLevelCallback = Callable[[int, bool], None]  # (level in dBov <= 0, voiced)


class ImmediateAudioBuffer:
    """Stands in for aiortc's audio ``JitterBuffer`` in a pass-through receiver.

    aiortc's buffer stops at a missing packet until 16 packets (320 ms) pile up, and audio is
    never retransmitted. One Opus packet is one frame: hand each on as it arrives, drop late or
    duplicate ones, and let the receiving browser conceal the gaps. RFC 6464 levels
    (``ssrc-audio-level`` header extension) are reported at most every ``level_interval`` s:
    the loudest level and whether any packet was voiced in the interval.
    """

    capacity = 16  # read by nothing in pass-through; kept for interface parity

    def __init__(
        self,
        on_level: AudioLevelCallback | None = None,
        level_interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        on_packet: Callable[[RtpPacket], None] | None = None,
    ) -> None:
        self._on_packet = on_packet  # packet forwarding: hand on the packet, not a frame
        self._max_seq: int | None = None
        self._on_level = on_level
        self._level_interval = level_interval
        self._clock = clock
        self._level_due = 0.0
        self._loudest: int | None = None  # RFC 6464 value: 0 loudest .. 127 silence
        self._voiced = False
        self.late = 0

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        if self._on_level is not None and packet.extensions.audio_level is not None:
            self._level(*packet.extensions.audio_level)
        seq = packet.sequence_number
        if self._max_seq is not None and not uint16_gt(seq, self._max_seq):
            self.late += 1
            return False, None
        self._max_seq = seq
        if self._on_packet is not None:
            self._on_packet(packet)
            return False, None
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]

    def _level(self, voiced: bool, level: int) -> None:
        self._loudest = level if self._loudest is None else min(self._loudest, level)
        self._voiced = self._voiced or voiced
        now = self._clock()
        if now >= self._level_due and self._on_level is not None:
            self._on_level(-self._loudest, self._voiced)
            self._level_due = now + self._level_interval
            self._loudest = None
            self._voiced = False
