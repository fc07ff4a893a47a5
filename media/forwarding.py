"""The long-lived track behind one subscriber slot, fed from whichever publisher it carries."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction

import av
from aiortc.mediastreams import MediaStreamTrack

from media.settings import Kind

_MAX_QUEUE = {"audio": 50, "video": 60}  # ~1 s of audio packets / ~3 s of video frames


def is_vp8_keyframe(packet: av.Packet) -> bool:
    """VP8 payload header (RFC 6386 9.1): bit 0 of the first byte is 0 on a key frame."""
    view = memoryview(packet)
    return len(view) > 0 and (view[0] & 0x01) == 0


class ForwardingTrack(MediaStreamTrack):
    """What a subscriber's ``RTCRtpSender`` reads: encoded ``av.Packet`` objects.

    The sender keeps its SSRC, sequence numbers and VP8 picture ids across publisher changes;
    this track rebases timestamps so they keep increasing when the source changes (publisher
    rejoined, slot reused), and holds video back until a keyframe so the subscriber's first
    decoded picture is whole. One ``av.Packet`` is shared by every slot of a publisher, so the
    per-slot pts is written in :meth:`recv`, right before the sender packs it synchronously.
    """

    def __init__(self, kind: Kind, on_need_keyframe: Callable[[], None]) -> None:
        super().__init__()
        self.kind = kind
        self._on_need_keyframe = on_need_keyframe
        self._items: deque[tuple[av.Packet, int]] = deque()
        self._ready = asyncio.Event()
        self._max = _MAX_QUEUE[kind]
        self._source: object | None = None
        self._offset = 0
        self._last_out: int | None = None
        self._last_wall = 0.0
        self._clock_rate = 90000 if kind == "video" else 48000
        self.need_keyframe = kind == "video"
        self.pushed = 0
        self.dropped = 0

    def push(self, packet: av.Packet, source: object, keyframe: bool) -> None:
        if source is not self._source:
            self._switch(packet, source)
        if self.need_keyframe:
            if not keyframe:
                self.dropped += 1
                return
            self.need_keyframe = False
        if len(self._items) >= self._max:
            # The sender is not keeping up: start again from the next keyframe.
            self._items.clear()
            self.dropped += self._max
            if self.kind == "video":
                self.need_keyframe = True
                self._on_need_keyframe()
                return
        pts = packet.pts if packet.pts is not None else 0
        self._items.append((packet, pts + self._offset))
        self.pushed += 1
        self._ready.set()

    def _switch(self, packet: av.Packet, source: object) -> None:
        time_base = packet.time_base or Fraction(1, self._clock_rate)
        self._clock_rate = int(1 / time_base)
        pts = packet.pts if packet.pts is not None else 0
        if self._last_out is None:
            self._offset = -pts
        else:
            gap = max(1, round((time.monotonic() - self._last_wall) * self._clock_rate))
            self._offset = self._last_out + gap - pts
        self._source = source
        self._items.clear()
        if self.kind == "video":
            self.need_keyframe = True

    def detach(self) -> None:
        """The slot no longer carries anyone: drop what is queued."""
        self._items.clear()
        self._source = None

    async def recv(self) -> av.Packet:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        packet, pts = self._items.popleft()
        packet.pts = pts
        self._last_out = pts
        self._last_wall = time.monotonic()
        return packet
