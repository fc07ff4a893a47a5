"""One REMB for a publisher's connection, however many video receivers it has.

aiortc gives every video receiver its own bandwidth estimator, and each sends REMB for its own
stream. A browser takes every REMB as the estimate of its whole connection: with a high and a
low video stream, the low stream's REMB (~150 kbit/s) caps the camera's total, and the high
stream is starved (Chromium scales it down, "bandwidth"). :class:`RembGroup` keeps the latest
estimate of each receiver of one connection, and each REMB goes out as their sum, naming every
stream.

aiortc's estimators are delay-based and run on the server's event loop: on a busy server the
loop's own lag reads as queueing delay, their estimates fall to 30-80 kbit/s per stream, and a
host on a clean LAN sends 320x180 at ~100 kbit/s to everybody (measured in the weak-link lab).
So the sum has a floor learnt from the loss of what arrives (Galène's rule for publishers): once
a second (:meth:`RembGroup.observe`), while the smoothed loss stays under ``CLEAN_BELOW`` the
floor grows to ``GROWTH`` times the larger of itself and the received rate (up to ``FLOOR_MAX``);
above ``SHRINK_ABOVE`` it shrinks by half the loss; in between (a lossy radio link) it holds. It
starts at 0: a publisher whose loss was never low (a weak site) keeps aiortc's estimate alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

STALE_S = 5.0
"""An estimate not renewed for this long is left out (its stream stopped)."""
CLEAN_BELOW = 0.02
"""Smoothed uplink loss under which the floor grows."""
SHRINK_ABOVE = 0.10
"""Smoothed uplink loss over which the floor shrinks."""
GROWTH = 1.10
"""Per second on a clean uplink: a careful probe, 10 % above what arrives."""
FLOOR_MAX = 2_500_000
"""The floor never asks for more than this (720p)."""
LOSS_SMOOTHING = 0.3
"""Weight of the newest second's loss: one lucky second of a 5 % link is not a clean link."""


class RembGroup:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._latest: dict[int, tuple[float, int, tuple[int, ...]]] = {}
        self.floor = 0
        self.loss = 0.0  # smoothed loss of what arrives from the publisher
        self._observed = False

    def observe(self, received_bps: float, loss: float) -> int:
        """Once a second: what arrived from the publisher's video and its loss; the new floor."""
        if self._observed:
            self.loss += LOSS_SMOOTHING * (loss - self.loss)
        else:
            self.loss, self._observed = loss, True
        if self.loss < CLEAN_BELOW:
            if received_bps > 0 or self.floor > 0:
                self.floor = int(min(FLOOR_MAX, max(self.floor, received_bps) * GROWTH))
        elif self.loss > SHRINK_ABOVE:
            self.floor = int(self.floor * (1 - self.loss / 2))
        return self.floor

    def combine(self, receiver: int, bitrate: int, ssrcs: list[int]) -> tuple[int, list[int]]:
        """Record ``receiver``'s estimate; the REMB to send: the sum of every fresh estimate
        of the group (at least the floor) and all their streams."""
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
        return max(total, self.floor), named
