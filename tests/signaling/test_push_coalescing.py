"""When ``Fanout.state_changed`` pushes: the first change after a quiet window at once, a burst
coalesced into one push at the end of the window (signaling/fanout.py)."""

from __future__ import annotations

import asyncio

import pytest

from signaling import fanout
from signaling.fanout import COALESCE_SECONDS, Fanout


def recording_fanout() -> tuple[Fanout, list[float]]:
    pushes: list[float] = []
    f = Fanout(sio=None, service=None, sites=lambda: None, connections=None)  # type: ignore[arg-type]

    async def send_state(room_id: str) -> None:
        pushes.append(asyncio.get_running_loop().time())
        f._pushed.setdefault(room_id, fanout.Pushed())  # an active room

    f.send_state = send_state  # type: ignore[method-assign]
    return f, pushes


async def settle() -> None:
    await asyncio.sleep(3 * COALESCE_SECONDS)


async def test_a_change_after_a_quiet_window_goes_out_at_once() -> None:
    f, pushes = recording_fanout()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    f.state_changed("r")
    await settle()
    assert len(pushes) == 1
    assert pushes[0] - t0 < COALESCE_SECONDS / 2  # not after the window: at the next turns
    # quiet again: the next change goes out at once too
    t1 = loop.time()
    f.state_changed("r")
    await settle()
    assert len(pushes) == 2 and pushes[1] - t1 < COALESCE_SECONDS / 2


async def test_a_burst_is_one_push_at_the_end_of_the_window() -> None:
    f, pushes = recording_fanout()
    f.state_changed("r")
    await asyncio.sleep(0.002)  # the first push is out
    assert len(pushes) == 1
    for _ in range(10):  # ten changes within the window
        f.state_changed("r")
        await asyncio.sleep(0.001)
    await settle()
    assert len(pushes) == 2  # coalesced into one
    assert pushes[1] - pushes[0] >= COALESCE_SECONDS * 0.95  # at most one push per window


async def test_the_earlier_rule_waits_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "LEADING_EDGE", False)
    f, pushes = recording_fanout()
    t0 = asyncio.get_running_loop().time()
    f.state_changed("r")
    await settle()
    assert len(pushes) == 1 and pushes[0] - t0 >= COALESCE_SECONDS * 0.95
