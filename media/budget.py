"""Token bucket limiting NACK-driven retransmissions per subscriber."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst`` (default: one second's worth).

    Counts what it allowed and refused, so the SFU can report resends and drops.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.rate = float(rate)
        self.burst = float(rate if burst is None else burst)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self.allowed = 0
        self.refused = 0

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.allowed += 1
            return True
        self.refused += 1
        return False
