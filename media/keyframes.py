"""Keyframe requests towards a publisher: media SSRC only, throttled, trailing edge."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiortc import RTCRtpReceiver

from media import hooks


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
