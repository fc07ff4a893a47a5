"""When the server asks a publisher again for a packet it is still missing (pure: sequence
numbers in, sequence numbers to NACK out, the clock passed in).

aiortc's ``NackGenerator`` NACKs only when a new gap appears, and then lists everything still
missing up to 128 packets back. Over a lossy uplink a lost NACK or a lost retransmission is
then asked again only when some later packet is lost (at ~12 video packets/s and 5 % loss,
1.6 s later on average, often after the subscriber's page stopped waiting), and packets given
up long ago are asked for again for ~10 s. :class:`NackRetry` asks as libwebrtc's NACK module
does: a new gap at once, a packet still missing again once a round trip of the publisher's link
(with a margin) has passed, a bounded number of times, and never once it is too old to help.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RTT = 0.3
"""Seconds assumed until a round trip of the connection is measured."""
MIN_RTT = 0.1
"""Floor of the round trip the retry interval is taken from."""
RETRY_FACTOR = 1.25
"""A retry waits this many round trips. It must exceed the publisher's own: Chromium refuses
to resend a packet it resent less than its round-trip estimate ago (libwebrtc
``RtpPacketHistory::VerifyRtt``), so a retry on the dot would be ignored."""
MAX_SENDS = 4
"""Requests per packet: the first and three retries."""
MAX_AGE = 2.0
"""Seconds after which a missing packet is no longer asked for (about the longest hold of a
receiving page, ``playoutHold`` in web/static/js/protocol.js, plus a repair's round trip)."""
HISTORY = 128
"""Packets behind the newest that are still tracked (aiortc's ``RTP_HISTORY_SIZE``)."""
COALESCE = 0.02
"""Retries due within this many seconds of each other go out in one NACK."""
REPEAT_AFTER = 0.04
"""Every NACK goes out a second time this many seconds later (for the packets still missing
then): a NACK lost on a 5 % link, half the requests that fail, then costs no round trip. The
publisher ignores the copy when it already resent the packet (libwebrtc: pending in its pacer,
or resent less than a round trip ago)."""


def _newer(a: int, b: int) -> bool:
    """Sequence number ``a`` comes after ``b`` (16-bit wrap-around, RFC 3550)."""
    return 0 < ((a - b) & 0xFFFF) < 0x8000


@dataclass
class _Missing:
    first: float  # when the gap was seen (and first NACKed)
    last: float  # when it was last NACKed
    sends: int


class NackRetry:
    """The missing sequence numbers of one media stream and when each is asked for.

    ``received(seq, now)`` for every packet (a retransmission unwrapped to its original number
    counts as the packet) gives the numbers a new gap left, to NACK at once; ``due(now)`` gives
    those whose retry is due; ``next_due()`` says when that is next. ``rtt`` gives the
    connection's round trip in seconds, or None while it is unknown.
    """

    def __init__(
        self,
        rtt: Callable[[], float | None] = lambda: None,
        *,
        max_sends: int = MAX_SENDS,
        max_age: float = MAX_AGE,
        history: int = HISTORY,
    ) -> None:
        self._rtt = rtt
        self._max_sends = max_sends
        self._max_age = max_age
        self._history = history
        self._max_seq: int | None = None
        self._missing: dict[int, _Missing] = {}
        self.requested = 0  # sequence numbers NACKed when their gap appeared
        self.retried = 0  # NACKs of a sequence number asked for before
        self.repaired = 0  # asked-for packets that arrived after all
        self.repair_time = 0.0  # seconds from their gaps to their arrivals, summed
        self.given_up = 0  # asked-for packets dropped still missing (too old or out of history)

    @property
    def missing(self) -> list[int]:
        return list(self._missing)

    def still_missing(self, numbers: list[int]) -> list[int]:
        """Those of ``numbers`` not received (nor given up) yet."""
        return [n for n in numbers if n in self._missing]

    def interval(self) -> float:
        """Seconds between two requests of one packet."""
        rtt = self._rtt()
        return max(MIN_RTT, DEFAULT_RTT if rtt is None else rtt) * RETRY_FACTOR

    def received(self, seq: int, now: float) -> list[int]:
        """A packet arrived: the sequence numbers its gap leaves missing (to NACK now)."""
        seq &= 0xFFFF
        newest = self._max_seq
        if newest is None:
            self._max_seq = seq
            return []
        if not _newer(seq, newest):
            missing = self._missing.pop(seq, None)
            if missing is not None:
                self.repaired += 1
                self.repair_time += now - missing.first
            return []
        self._max_seq = seq
        gap = ((seq - newest) & 0xFFFF) - 1
        lost = [(seq - n) & 0xFFFF for n in range(min(gap, self._history), 0, -1)]
        for number in lost:
            self._missing[number] = _Missing(first=now, last=now, sends=1)
        self.requested += len(lost)
        if self._missing:
            self._forget(now)
        return lost

    def skipped(self, seq: int) -> None:
        """A packet the server dropped without reading it (media/unseen_video.py): the newest
        number moves on, and no gap before it is asked for."""
        seq &= 0xFFFF
        if self._max_seq is None or _newer(seq, self._max_seq):
            self._max_seq = seq
        self._missing.pop(seq, None)

    def due(self, now: float) -> list[int]:
        """The sequence numbers to ask for again now (marked as asked)."""
        self._forget(now)
        interval = self.interval()
        out = []
        for number, missing in self._missing.items():
            if missing.sends < self._max_sends and now + COALESCE >= missing.last + interval:
                missing.last = now
                missing.sends += 1
                out.append(number)
        self.retried += len(out)
        return out

    def next_due(self) -> float | None:
        """When the next retry is due (None: nothing left to ask again)."""
        if not self._missing:
            return None
        interval = self.interval()
        times = [
            m.last + interval
            for m in self._missing.values()
            if m.sends < self._max_sends and m.last + interval < m.first + self._max_age
        ]
        return min(times) if times else None

    def _forget(self, now: float) -> None:
        """Drop what is too old to help or has fallen out of the history."""
        newest = self._max_seq
        assert newest is not None
        stale = [
            number
            for number, missing in self._missing.items()
            if now - missing.first >= self._max_age or ((newest - number) & 0xFFFF) > self._history
        ]
        for number in stale:
            del self._missing[number]
        self.given_up += len(stale)
