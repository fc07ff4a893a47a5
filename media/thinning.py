"""Renumbering a stream that has holes cut into it (pure, no I/O).

When a slot drops a publisher's packets on purpose (temporal layers above its cap), the numbers
the subscriber sees must close up: a dropped packet must not look like a loss (the subscriber
would NACK it and wait), and a dropped frame must not leave a hole in the VP8 picture ids.
:class:`ThinningMap` maps input numbers (RTP sequence numbers, or picture ids) to output numbers
modulo ``modulus``: each skipped input number shifts everything after it down by one.

A late input (a retransmission the server recovered, a reordered packet) maps with the shift
that was in effect at its place, found in a bounded history of skipped runs; a late input that
was itself skipped, or is older than the history, maps to None (do not forward it).
"""

from __future__ import annotations

from collections import deque

HISTORY_RUNS = 256  # skipped runs remembered for late inputs (~ seconds of thinned video)


class ThinningMap:
    __slots__ = ("_half", "_mod", "_newest", "_offset", "_runs", "_span")

    def __init__(self, modulus: int, first_in: int, first_out: int) -> None:
        self._mod = modulus
        self._half = modulus >> 1
        self._newest = first_in
        self._offset = (first_out - first_in) % modulus
        self._span = 0  # how far _newest is past first_in
        # [first skipped, last skipped, offset before first]: consecutive skips share one run
        self._runs: deque[list[int]] = deque(maxlen=HISTORY_RUNS)

    @property
    def newest(self) -> int:
        return self._newest

    def is_newer(self, value: int) -> bool:
        """True when ``value`` comes after the newest input seen (modulo arithmetic)."""
        ahead = (value - self._newest) % self._mod
        return 0 < ahead < self._half

    def keep(self, value: int) -> int | None:
        """Output number of an input that is forwarded; None for a late input to drop."""
        mod = self._mod
        ahead = (value - self._newest) % mod
        if ahead == 0:
            return (value + self._offset) % mod
        if ahead < self._half:
            self._newest = value
            self._span += ahead
            return (value + self._offset) % mod
        return self._late(value, mod - ahead)

    def skip(self, value: int) -> None:
        """An input that is dropped on purpose: later ones close up over it."""
        mod = self._mod
        ahead = (value - self._newest) % mod
        if ahead == 0 or ahead >= self._half:
            return  # already seen (or late): numbers after it are already assigned
        self._newest = value
        self._span += ahead
        runs = self._runs
        if runs and ahead == 1 and runs[-1][1] == (value - 1) % mod:
            runs[-1][1] = value
        else:
            runs.append([value, value, self._offset])
        self._offset = (self._offset - 1) % mod

    def _late(self, value: int, back: int) -> int | None:
        if back > self._span:
            return None  # from before the first input of this map
        mod = self._mod
        offset = self._offset
        newest = self._newest
        for first, last, before in reversed(self._runs):
            if back < (newest - last) % mod:
                return (value + offset) % mod  # newer than this run: its shift applies
            if back <= (newest - first) % mod:
                return None  # value itself was skipped
            offset = before  # older than this run: the shift before it
        if len(self._runs) == HISTORY_RUNS:
            return None  # older than the remembered runs: its shift is unknown
        return (value + offset) % mod
