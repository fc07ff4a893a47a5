"""The server sheds video when its CPU is full (media/load_guard.py): the rule on readings, then
real aiortc peers through the SFU with the process's CPU clock replaced."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

import media.sfu
from media import MediaSettings
from media.load_guard import FAILED_RAISE, RAISE_WAIT, TRUST, LoadGuard
from media.testing import LOOPBACK, connect

from .conftest import Harness
from .test_layers import BOTH, HIGH, LOW, host_with_layers, wait_resolution

Loads = dict[str, float]  # the process's share of a core with the ceiling at each rung


class Clock:
    """Readings of a process, one a second: its share of a core depends on the ceiling (what
    shedding video frees) and on what else it does."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0

    def run(self, guard: LoadGuard, loads: Loads | float, seconds: int, slots: int) -> list[str]:
        changes = []
        for _ in range(seconds):
            self.now += 1.0
            self.cpu += loads if isinstance(loads, float) else loads[guard.ceiling]
            layer = guard.tick(self.now, self.cpu, slots)
            if layer is not None:
                changes.append(layer)
        return changes


def test_a_full_core_gives_everyone_the_low_stream_and_no_less() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    assert clock.run(guard, 0.5, 30, 200) == []  # under the limit: nothing
    assert guard.ceiling == "high"
    # over it: the low stream after two readings ...
    assert clock.run(guard, {"high": 1.0, "low": 0.93}, 3, 200) == ["low"]
    # ... and no lower however long it stays over (stills would cost the picture for little)
    assert clock.run(guard, {"high": 1.0, "low": 0.93}, 120, 200) == []
    assert guard.steps_down == 1 and guard.ceiling == "low"


def test_a_short_burst_does_not_step_down() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    clock.run(guard, 0.5, 10, 200)
    assert clock.run(guard, 1.2, 1, 200) == []  # one reading: smoothed and not twice in a row
    assert clock.run(guard, 0.5, 10, 200) == []


def test_it_stays_down_while_the_session_is_as_big_and_rises_when_it_shrinks() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    clock.run(guard, 0.5, 5, 228)
    assert clock.run(guard, {"high": 1.0, "low": 0.6}, 20, 228) == ["low"]
    # the low stream fits at 0.6 of a core; "high" would cost what the step freed again
    assert clock.run(guard, {"high": 1.0, "low": 0.6}, 60, 228) == []
    # a third of the sites left: 0.3 now, plus the step's gain for 120 slots, fits
    assert clock.run(guard, {"high": 0.55, "low": 0.3}, int(RAISE_WAIT) + 2, 120) == ["high"]
    assert clock.run(guard, {"high": 0.55, "low": 0.3}, 60, 120) == []  # and stays


def test_a_step_the_saturated_loop_hides_is_read_once_the_backlog_is_gone() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    clock.run(guard, 0.5, 5, 228)
    assert clock.run(guard, {"high": 1.0, "low": 0.95}, 3, 228) == ["low"]
    # still saturated well past SETTLE: the loop works off what queued while it was high
    assert clock.run(guard, {"high": 1.0, "low": 0.95}, 20, 228) == []
    # the backlog gone, the low stream costs 0.6: the step freed 0.4, "high" would not fit
    assert clock.run(guard, {"high": 1.0, "low": 0.6}, int(TRUST) - 40, 228) == []
    assert guard.ceiling == "low"


def test_a_step_down_during_set_up_is_not_held_against_the_session_forever() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    # 5 connections' video, and 35 more being set up (DTLS, ICE), fill the core ...
    assert clock.run(guard, 1.0, 3, 5) == ["low"]
    # ... then the set-up work ends: the step seems to have freed 0.7 for 5 slots, which for
    # 40 slots forbids a raise
    assert clock.run(guard, 0.3, int(TRUST) - 10, 40) == []
    # once that reading is old and the share is far under the limit, the picture comes back
    assert clock.run(guard, 0.3, 20, 40) == ["high"]


def test_a_raise_that_overloads_again_waits_twice_as_long_next_time() -> None:
    guard, clock = LoadGuard(0.85), Clock()
    clock.run(guard, {"high": 1.0, "low": 0.5}, 3, 200)
    assert guard.ceiling == "low"
    assert clock.run(guard, 0.3, int(TRUST) + 5, 200) == ["high"]  # trusted no more: tried
    assert clock.run(guard, {"high": 1.0, "low": 0.5}, 5, 200) == ["low"]  # wrong: down again
    # the next raise waits 2 x RAISE_WAIT (and its gain is trusted again: 200 slots, no raise)
    assert clock.run(guard, 0.3, 2 * int(RAISE_WAIT) + 2, 40) == ["high"]
    assert clock.now - FAILED_RAISE > 0


def test_limit_zero_never_sheds() -> None:
    guard, clock = LoadGuard(0.0), Clock()
    assert clock.run(guard, 1.0, 30, 500) == []
    assert guard.ceiling == "high" and guard.share is None


def busy_clock(share: list[float]) -> Callable[[], float]:
    """A process CPU clock that runs at ``share[0]`` of a core of wall time."""
    start, last_wall, cpu = time.monotonic(), [time.monotonic()], [0.0]

    def process_time() -> float:
        now = time.monotonic()
        cpu[0] += (now - last_wall[0]) * share[0]
        last_wall[0] = now
        return start + cpu[0]

    return process_time


async def test_a_busy_server_gives_everyone_the_low_stream_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    share = [0.2]
    monkeypatch.setattr(media.sfu.time, "process_time", busy_clock(share))
    harness = Harness(MediaSettings(host_addresses=LOOPBACK, forwarding="packet", cpu_limit=0.85))
    try:
        await host_with_layers(harness)
        cam = harness.client("cam")  # a publisher sending one video stream
        cam.publish(audio=False, video=True, width=320, height=240, fps=10)
        await connect(harness.sfu, "cam", cam)
        lurah = harness.client("lurah")
        await connect(harness.sfu, "lurah", lurah)
        await harness.sfu.subscribe("lurah", "host", BOTH)
        await harness.sfu.subscribe("lurah", "cam", frozenset({"video"}))
        await wait_resolution(lurah, HIGH)
        await lurah.wait_frames("cam", "video", 5)
        assert harness.events.last_layer("lurah", "host") == ("high", "ok")

        share[0] = 1.0  # the process's CPU is full
        await wait_resolution(lurah, LOW, within=15)
        assert harness.events.last_layer("lurah", "host") == ("low", "server_busy")
        stats = harness.sfu.stats()
        assert stats.load_ceiling == "low" and stats.load_steps_down == 1
        assert stats.cpu_share is not None and stats.cpu_share > 0.85
        rec = await lurah.wait_frames("host", "video", 10)  # a moving picture, smaller
        assert (rec.width, rec.height) == LOW
        audio = await lurah.wait_frames("host", "audio", 25)  # audio untouched
        assert audio.frames > 0
        # the one-stream publisher keeps its only moving picture: stills would freeze it
        assert harness.events.last_layer("lurah", "cam") == ("high", "ok")
        cam_video = await lurah.wait_frames("cam", "video", 10)
        assert (cam_video.width, cam_video.height) == (320, 240)
        assert not harness.events.errors
    finally:
        await harness.close()
