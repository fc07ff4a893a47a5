"""Flood limits of the meeting socket (docs/protocol.md, "Flooding").

- :class:`EventLimiter`: a token bucket per socket (``burst`` events at once, ``rate`` per second
  after that). An event over the limit is refused with ``rate_limited``; a socket that keeps
  sending (``strike_limit`` refusals, forgiven at ``strike_decay`` per second) is dropped.
- :class:`AddressLobbies`: at most ``limit`` lobby entries from one client address at a time
  (over all sessions of this process), so one machine cannot fill lobbies with fake entrants.
  The per-session lobby cap is a room rule (``RoomService.lobby_limit``).

Both are checked before any parsing or room state is touched: a refused event costs a dict
lookup, which is what keeps a flooding socket from slowing other sessions.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rooms.errors import LOBBY_FULL, RoomError

EVENT_RATE = 20.0
"""Events per second a socket may send, sustained (the browser client sends a few per minute)."""
EVENT_BURST = 60.0
"""Events a socket may send at once (joining and starting media is about five)."""
STRIKE_LIMIT = 100.0
"""Refused events (forgiven at STRIKE_DECAY per second) after which the socket is dropped."""
STRIKE_DECAY = 2.0


class Verdict(enum.Enum):
    ALLOW = "allow"
    REFUSE = "refuse"
    DROP = "drop"
    """Refuse, and disconnect the socket: it kept flooding."""


@dataclass
class _Bucket:
    tokens: float
    strikes: float
    at: float
    dropped: bool = False


class EventLimiter:
    def __init__(
        self,
        rate: float = EVENT_RATE,
        burst: float = EVENT_BURST,
        strike_limit: float = STRIKE_LIMIT,
        strike_decay: float = STRIKE_DECAY,
    ) -> None:
        self.rate, self.burst = rate, burst
        self.strike_limit, self.strike_decay = strike_limit, strike_decay
        self._buckets: dict[str, _Bucket] = {}

    def check(self, sid: str, now: float) -> Verdict:
        b = self._buckets.get(sid)
        if b is None:
            b = self._buckets[sid] = _Bucket(self.burst, 0.0, now)
        elapsed = max(0.0, now - b.at)
        b.at = now
        b.tokens = min(self.burst, b.tokens + elapsed * self.rate)
        b.strikes = max(0.0, b.strikes - elapsed * self.strike_decay)
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return Verdict.ALLOW
        b.strikes += 1.0
        if b.strikes >= self.strike_limit and not b.dropped:
            b.dropped = True  # tell the caller once; later events are plain refusals
            return Verdict.DROP
        return Verdict.REFUSE

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)


StillWaiting = Callable[[str, str], Awaitable[bool]]
"""``(room_id, participant_id) -> still in that room's lobby?`` (asks the room store)."""


class AddressLobbies:
    """Lobby entries per client address. Entries are counted lazily: before a new entry, the
    address's earlier ones that are no longer waiting (admitted, denied, gone) are dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: dict[str, dict[str, str]] = {}  # address -> {participant id: room id}
        self._pending: dict[str, int] = {}  # joins under way, not yet entered

    async def reserve(self, address: str, still_waiting: StillWaiting) -> None:
        """Hold a place for one more lobby entry from ``address``, or raise ``lobby_full``.
        Follow with :meth:`entered` or :meth:`release`."""
        entries = self._entries.get(address, {})
        for pid, room_id in list(entries.items()):
            if not await still_waiting(room_id, pid):
                entries.pop(pid, None)
        if not entries:
            self._entries.pop(address, None)
        # No await from here on: the count and the reservation are one step.
        if len(self._entries.get(address, {})) + self._pending.get(address, 0) >= self.limit:
            raise RoomError(
                LOBBY_FULL, "Too many people are waiting from your address; try again later."
            )
        self._pending[address] = self._pending.get(address, 0) + 1

    def release(self, address: str) -> None:
        left = self._pending.get(address, 0) - 1
        if left > 0:
            self._pending[address] = left
        else:
            self._pending.pop(address, None)

    def entered(self, address: str, room_id: str, participant_id: str) -> None:
        """The reserved join went to the lobby as ``participant_id``."""
        self.release(address)
        self._entries.setdefault(address, {})[participant_id] = room_id

    def waiting(self, address: str) -> int:
        return len(self._entries.get(address, {}))
