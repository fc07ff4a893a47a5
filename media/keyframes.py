"""Keyframe requests towards a publisher: media SSRC only, throttled, trailing edge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiortc import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from media import hooks
from media.vp8_layers import Vp8Descriptor


def media_ssrc(receiver: RTCRtpReceiver) -> int | None:
    """The SSRC a PLI must name: a media SSRC of the receiver, never one of its RTX SSRCs.

    Chrome sends RTX padding before its first media packet, so "the first SSRC seen" is often the
    RTX one, and a PLI sent there is ignored.
    """
    rtx = hooks.receiver_rtx_ssrcs(receiver)
    active = hooks.receiver_active_ssrcs(receiver)
    for ssrc in active:
        if ssrc not in rtx:
            return ssrc
    for ssrc in rtx.values():
        return ssrc
    return None


class KeyframeThrottle:
    """At most one request per ``interval``; a request inside the interval is deferred to its
    end (coalesced), never lost — a subscriber added 0.1 s after another still gets its keyframe.
    """

    def __init__(
        self,
        interval: float,
        send: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._send = send
        self._clock = clock
        self._last = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self.requested = 0
        self.sent = 0

    def request(self) -> None:
        self.requested += 1
        now = self._clock()
        wait = self._last + self._interval - now
        if wait <= 0:
            self._fire()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._last = self._clock()
        if self._send():
            self.sent += 1

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class KeyframeCache:
    """A video stream's packets since its last keyframe, kept while that keyframe is recent.

    A subscriber whose slot starts (newly admitted, reused) within ``max_age`` of a keyframe
    gets the keyframe and the frames after it at once, instead of waiting for a PLI that the
    per-publisher throttle may hold back (the second subscriber's first picture took 3x the
    first's). The keyframe frame itself (up to its marker bit) is kept at any age: the still
    of an audio-only subscriber.
    """

    __slots__ = ("_max_age", "_max_packets", "at", "key", "key_complete", "open", "packets")

    def __init__(self, max_age: float = 1.0, max_packets: int = 400) -> None:
        self._max_age = max_age
        self._max_packets = max_packets
        self.at = float("-inf")  # monotonic arrival of the last keyframe's first packet
        self.packets: list[tuple[RtpPacket, Vp8Descriptor | None]] = []
        self.key: list[tuple[RtpPacket, Vp8Descriptor | None]] = []
        self.key_complete = False
        self.open = False

    def add(self, packet: RtpPacket, desc: Vp8Descriptor | None, now: float) -> None:
        if desc is not None and desc.keyframe:
            self.at = now
            self.packets = [(packet, desc)]
            self.key = [(packet, desc)]
            self.key_complete = bool(packet.marker)
            self.open = True
            return
        if not self.key_complete and self.key and packet.timestamp == self.key[0][0].timestamp:
            self.key.append((packet, desc))
            self.key_complete = bool(packet.marker)
        if self.open:
            if len(self.packets) >= self._max_packets or now - self.at > self._max_age:
                self.open = False
                self.packets = []
            else:
                self.packets.append((packet, desc))

    def interrupt(self) -> None:
        """Packets of the stream were dropped unread (media/unseen_video.py): those cached since
        the keyframe no longer lead up to the next one. The last whole keyframe stays a still."""
        self.open = False
        self.packets = []

    def since_keyframe(self, now: float) -> list[tuple[RtpPacket, Vp8Descriptor | None]]:
        """The keyframe and everything after it, if it is recent; else nothing."""
        if self.open and now - self.at <= self._max_age:
            return list(self.packets)
        return []

    def still(self) -> list[tuple[RtpPacket, Vp8Descriptor | None]]:
        """The last whole keyframe (any age), or nothing."""
        return list(self.key) if self.key_complete else []
