"""Sign-in rate limiting with a controlled clock."""

from __future__ import annotations

import pytest

from accounts.ratelimit import LockedOut, LoginLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_user_locked_after_limit_then_released() -> None:
    clock = Clock()
    limiter = LoginLimiter(user_limit=3, address_limit=100, window=60, lockout=120, clock=clock)
    for _ in range(3):
        limiter.check("Budi", "10.0.0.1")
        limiter.failure("Budi", "10.0.0.1")
    with pytest.raises(LockedOut) as info:
        limiter.check("budi ", "10.0.0.9")  # usernames are case-insensitive
    assert info.value.code == "too_many_attempts" and info.value.scope == "user"
    assert info.value.retry_after == 120
    assert "2 minutes" in info.value.message
    limiter.check("siti", "10.0.0.1")  # other users from the same address are fine
    clock.now += 119
    with pytest.raises(LockedOut):
        limiter.check("budi", None)
    clock.now += 2
    limiter.check("budi", None)


def test_failures_outside_the_window_do_not_add_up() -> None:
    clock = Clock()
    limiter = LoginLimiter(user_limit=3, window=60, lockout=60, clock=clock)
    for _ in range(5):
        limiter.failure("budi", None)
        clock.now += 31
        limiter.check("budi", None)


def test_address_locked_when_spraying_many_usernames() -> None:
    clock = Clock()
    limiter = LoginLimiter(user_limit=3, address_limit=5, window=60, lockout=60, clock=clock)
    for i in range(5):
        limiter.failure(f"user{i}", "10.0.0.7")
    with pytest.raises(LockedOut) as info:
        limiter.check("someone-else", "10.0.0.7")
    assert info.value.scope == "address" and "this address" in info.value.message
    limiter.check("someone-else", "10.0.0.8")


def test_success_clears_the_user_but_not_the_address() -> None:
    clock = Clock()
    limiter = LoginLimiter(user_limit=3, address_limit=4, window=60, lockout=60, clock=clock)
    limiter.failure("budi", "10.0.0.1")
    limiter.failure("budi", "10.0.0.1")
    limiter.success("budi")
    limiter.failure("budi", "10.0.0.1")
    limiter.failure("budi", "10.0.0.1")
    limiter.check("budi", None)
    with pytest.raises(LockedOut):
        limiter.check("budi", "10.0.0.1")
