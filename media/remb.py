"""One REMB for a publisher's connection, however many video receivers it has.

aiortc gives every video receiver its own bandwidth estimator, and each sends REMB for its own
stream. A browser takes every REMB as the estimate of its whole connection: with a high and a
low video stream, the low stream's REMB (~150 kbit/s) caps the camera's total, and the high
stream is starved (Chromium scales it down, "bandwidth"). :class:`RembGroup` keeps the latest
estimate of each receiver of one connection, and each REMB goes out as their sum, naming every
stream.
"""

from __future__ import annotations

import time
from collections.abc import Callable

STALE_S = 5.0
"""An estimate not renewed for this long is left out (its stream stopped)."""


class RembGroup:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._latest: dict[int, tuple[float, int, tuple[int, ...]]] = {}

    def combine(self, receiver: int, bitrate: int, ssrcs: list[int]) -> tuple[int, list[int]]:
        """Record ``receiver``'s estimate; the REMB to send: the sum of every fresh estimate
        of the group and all their streams."""
        now = self._clock()
        self._latest[receiver] = (now, bitrate, tuple(ssrcs))
        total = 0
        named: list[int] = []
        for key, (at, rate, streams) in list(self._latest.items()):
            if now - at > STALE_S:
                del self._latest[key]
                continue
            total += rate
            named += [s for s in streams if s not in named]
        return total, named
