"""Sign-in rate limiting, per username and per client address.

After ``user_limit`` failed sign-ins for one username within ``window`` seconds, that username is
locked for ``lockout`` seconds (counted from the last failure); after ``address_limit`` failures
from one address (any usernames: password spraying), that address is. A locked sign-in is refused
*before* the password is checked, so guessing stops costing the attacker nothing and costs the
server no scrypt work. A successful sign-in clears the username's failures (not the address's).

State is kept in memory, per process: with several processes behind a proxy each counts on its
own, so the effective limit is the per-process limit times the number of processes.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from accounts.store import AccountError

MAX_KEYS = 50_000
"""Tracked usernames/addresses at most; the oldest are forgotten first (memory stays bounded)."""


class LockedOut(AccountError):
    """Too many failed sign-ins; ``retry_after`` is in whole seconds."""

    def __init__(self, scope: str, retry_after: float) -> None:
        self.scope = scope
        self.retry_after = max(1, math.ceil(retry_after))
        minutes = max(1, math.ceil(self.retry_after / 60))
        who = "this account" if scope == "user" else "this address"
        super().__init__(
            "too_many_attempts",
            f"Too many failed sign-ins for {who}. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}.",
        )


class _Counter:
    def __init__(self, limit: int, window: float, lockout: float) -> None:
        self.limit, self.window, self.lockout = limit, window, lockout
        self.failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> float:
        times = self.failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window - self.lockout:
            times.popleft()
        if not times:
            del self.failures[key]
            return 0.0
        recent = [t for t in times if t > times[-1] - self.window]
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, times[-1] + self.lockout - now)

    def add(self, key: str, now: float) -> None:
        times = self.failures.pop(key, None) or deque(maxlen=self.limit * 4)
        times.append(now)
        self.failures[key] = times  # re-inserted: dict order = least recently failed first
        while len(self.failures) > MAX_KEYS:
            del self.failures[next(iter(self.failures))]

    def clear(self, key: str) -> None:
        self.failures.pop(key, None)


class LoginLimiter:
    def __init__(
        self,
        *,
        user_limit: int = 5,
        address_limit: int = 20,
        window: float = 15 * 60.0,
        lockout: float = 15 * 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = _Counter(user_limit, window, lockout)
        self._addresses = _Counter(address_limit, window, lockout)
        self._clock = clock

    @staticmethod
    def _user_key(username: str) -> str:
        return username.strip().lower()[:128]

    def check(self, username: str, address: str | None) -> None:
        """Raise :class:`LockedOut` when this sign-in may not even be tried."""
        now = self._clock()
        wait = self._users.retry_after(self._user_key(username), now)
        if wait > 0:
            raise LockedOut("user", wait)
        if address:
            wait = self._addresses.retry_after(address, now)
            if wait > 0:
                raise LockedOut("address", wait)

    def failure(self, username: str, address: str | None) -> None:
        now = self._clock()
        self._users.add(self._user_key(username), now)
        if address:
            self._addresses.add(address, now)

    def success(self, username: str) -> None:
        self._users.clear(self._user_key(username))
