"""Which layer each of a subscriber's video slots gets (pure: no I/O, injected time).

A publisher offers a *ladder* of rungs, cheapest first. With two streams (high + low, each
L1T3): still, low_base (low, TID 0), low, high. The high stream is not thinned to half its
frame rate between low and high: a camera's 20 fps halved is 10 fps, which the lurah at a
384 kbit/s site saw as jerky and froze more (every repair over a 600 ms round trip stalls a
sparser stream for longer), while the whole low stream (320x180, up to 20 fps) costs less. With
one layered stream, temporal layers are the only steps: still, high TID 0, high TID <= 1, high.
With one stream without layers: still, high.

:class:`LayerChoice` moves a subscriber's slots on their ladders against a video budget (the
downlink estimate minus what audio needs: audio comes first). Galène's hysteresis: step down
when the forwarded rate is above 1.5x the budget, once that lasted ``OVER_FOR`` — and then to
within the budget (the dearest slot first, several steps at once): stopping just under 1.5x
would leave a 256 kbit/s link carrying half again what it can and its queue dropping audio,
until the receiver's REMB forced another step, and another; step up one rung at a time when
the new total stays below 7/8 of the budget, never within ``hold_off`` seconds of a step down
and at most one step per ``up_interval`` — that is the careful probe near the limit; far below
it (the new total under ``FREE_BELOW`` of the budget) slots climb at once. New slots are placed
at once as high as the 7/8 rule allows (their start is not a probe). A publisher whose high
stream went silent (its page sends only the low layer) offers ``LOW_ONLY``.

A probe that fails — a step down within ``PROBE_FAILED_WITHIN`` seconds of a step up — doubles
the hold-off (up to ``HOLD_OFF_MAX``): on a 256 kbit/s link the full high layer does not fit,
and probing it every 14 s froze the picture and cost audio each time. Within that time the step
down comes as soon as the total is over the budget itself, not 1.5x it. A step up that holds for
``PROBE_HELD_AFTER`` seconds brings the hold-off back to its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["high", "low", "low_base", "still", "off"]
Reason = Literal["ok", "bandwidth", "ceiling", "no_source", "server_busy"]
LAYERS: tuple[Layer, ...] = ("off", "still", "low_base", "low", "high")  # by rank


def lower(a: Layer, b: Layer) -> Layer:
    """The lower of two layers."""
    return a if LAYERS.index(a) <= LAYERS.index(b) else b


STEP_DOWN_ABOVE = 1.5
STEP_UP_BELOW = 7 / 8
OVER_FOR = 1.0  # seconds the overload must last before a step down (one tick: not a blip)
FREE_BELOW = 0.5  # step-ups keeping the total under this share of the budget are not probes
HOLD_OFF = 10.0
HOLD_OFF_MAX = 80.0
PROBE_FAILED_WITHIN = 8.0
PROBE_HELD_AFTER = 30.0
UP_INTERVAL = 4.0
STILL_BPS = 16_000  # one keyframe of the low stream every ~5 s
AUDIO_BPS = 40_000  # reserved per forwarded audio stream before video is chosen
ALL_TIDS = 3  # forward every temporal layer
# Until a stream's rate is measured: what the page is asked to send (L1T3: TID 0 carries about
# half of the bits, TID 1 and TID 2 a quarter each).
NOMINAL_BPS: dict[str, list[float]] = {
    "high": [250_000, 125_000, 125_000, 0],
    "low": [75_000, 37_000, 38_000, 0],
}


@dataclass(frozen=True)
class Rung:
    layer: Layer  # what the subscriber is told
    stream: str  # "high" or "low"
    max_tid: int  # forward temporal layers 0..max_tid
    rank: int  # compared with a ceiling's rank (LAYERS index)
    still: bool = False


STILL_LOW = Rung("still", "low", ALL_TIDS, 1, still=True)
STILL_HIGH = Rung("still", "high", ALL_TIDS, 1, still=True)
TWO_STREAMS = (
    STILL_LOW,
    Rung("low_base", "low", 0, 2),
    Rung("low", "low", ALL_TIDS, 3),
    Rung("high", "high", ALL_TIDS, 4),
)
LOW_ONLY = TWO_STREAMS[:3]  # the high stream went silent (the page sends only its low layer)
SILENT_BPS = 8_000  # a measured stream under this carries nothing worth forwarding
ONE_LAYERED_STREAM = (
    STILL_HIGH,
    Rung("high", "high", 0, 2),
    Rung("high", "high", 1, 3),
    Rung("high", "high", ALL_TIDS, 4),
)
ONE_STREAM = (STILL_HIGH, Rung("high", "high", ALL_TIDS, 4))


def ladder(has_low: bool, layered: bool, high_silent: bool = False) -> tuple[Rung, ...]:
    """The rungs a publisher offers; ``high_silent``: its high stream stopped (``low_only``
    send limits, audio-only) and only the low one is left to forward."""
    if has_low and high_silent:
        return LOW_ONLY
    if has_low:
        return TWO_STREAMS
    return ONE_LAYERED_STREAM if layered else ONE_STREAM


def rung_rate(rung: Rung, rates: dict[str, list[float]]) -> int:
    """bits/s of a rung from a publisher's measured rates: stream -> bits/s by TID 0..3."""
    if rung.still:
        return STILL_BPS
    by_tid = rates.get(rung.stream)
    if not by_tid or sum(by_tid) <= 0:
        by_tid = NOMINAL_BPS[rung.stream]  # not measured yet
    return int(sum(by_tid[: rung.max_tid + 1]))


def ceiling_index(rungs: tuple[Rung, ...], ceiling: Layer) -> int:
    """The highest rung a ceiling allows; -1 when it allows none ("off")."""
    rank = LAYERS.index(ceiling)
    allowed = [i for i, r in enumerate(rungs) if r.rank <= rank]
    return allowed[-1] if allowed else -1


@dataclass
class SlotView:
    """One slot as the chooser sees it: its rung rates (cheapest first), the highest rung the
    ceiling allows (-1: off) and its current rung (None: new slot)."""

    rates: list[int]
    cap: int
    current: int | None = None


class LayerChoice:
    """Per-subscriber state: when the last step down and step up happened."""

    def __init__(self, hold_off: float = HOLD_OFF, up_interval: float = UP_INTERVAL) -> None:
        self.base_hold_off = hold_off
        self.hold_off = hold_off
        self.up_interval = up_interval
        self.last_down = float("-inf")
        self.last_up = float("-inf")
        self.steps_down = 0
        self.steps_up = 0
        self._over_since: float | None = None  # when the total went over the threshold

    def choose(self, slots: list[SlotView], budget: int, now: float) -> list[int]:
        """New rung per slot (-1 = off)."""
        idx: list[int] = []
        fresh: list[int] = []
        for i, s in enumerate(slots):
            if s.cap < 0:
                idx.append(-1)
            elif s.current is None or s.current < 0:  # new, or its ceiling was "off"
                idx.append(0)
                fresh.append(i)
            else:
                idx.append(min(s.current, s.cap))
        self._place(slots, idx, fresh, budget)
        total = self._total(slots, idx)
        # a probe that the link refuses goes back at once: over a 600 ms round trip its loss
        # shows seconds late, and waiting for 1.5x the shrinking budget kept a 256 kbit/s
        # link on the high layer, losing 15-19 %, audio too, for twelve seconds
        probing = self.last_up > self.last_down and now - self.last_up < PROBE_FAILED_WITHIN
        over = total > (1.0 if probing else STEP_DOWN_ABOVE) * budget
        if not over:
            self._over_since = None
        elif self._over_since is None:
            self._over_since = now
        if self._over_since is not None and now - self._over_since >= OVER_FOR:
            while total > budget:
                on = [i for i in range(len(slots)) if idx[i] > 0]
                if not on:
                    break
                dearest = max(on, key=lambda i: slots[i].rates[idx[i]])
                idx[dearest] -= 1
                total = self._total(slots, idx)
            if now - self.last_up < PROBE_FAILED_WITHIN:
                self.hold_off = min(HOLD_OFF_MAX, self.hold_off * 2)
            self.last_down = now
            self.steps_down += 1
            self._over_since = None
        elif not over and now - self.last_down >= self.hold_off:
            if self.last_up > self.last_down and now - self.last_up >= PROBE_HELD_AFTER:
                self.hold_off = self.base_hold_off
            while self._step_up(slots, idx, budget, share=FREE_BELOW):
                self.steps_up += 1
            if now - self.last_up >= self.up_interval and self._step_up(slots, idx, budget):
                self.last_up = now
                self.steps_up += 1
        return idx

    def _place(self, slots: list[SlotView], idx: list[int], fresh: list[int], budget: int) -> None:
        while fresh and self._step_up(slots, idx, budget, among=fresh):
            pass

    def _step_up(
        self,
        slots: list[SlotView],
        idx: list[int],
        budget: int,
        among: list[int] | None = None,
        share: float = STEP_UP_BELOW,
    ) -> bool:
        """One rung up for the cheapest slot that can take it within ``share`` of the budget."""
        total = self._total(slots, idx)
        candidates = [
            i
            for i in (among if among is not None else range(len(slots)))
            if 0 <= idx[i] < slots[i].cap
        ]
        candidates.sort(key=lambda i: slots[i].rates[idx[i]])
        for i in candidates:
            after = total - slots[i].rates[idx[i]] + slots[i].rates[idx[i] + 1]
            if after < share * budget:
                idx[i] += 1
                return True
        return False

    @staticmethod
    def _total(slots: list[SlotView], idx: list[int]) -> int:
        return sum(s.rates[i] for s, i in zip(slots, idx, strict=True) if i >= 0)


def reason_for(rungs: tuple[Rung, ...], index: int, cap: int, has_low: bool) -> Reason:
    """Why a slot is at ``index``: best available, held by its ceiling, or by bandwidth."""
    if index >= len(rungs) - 1:
        return "ok"
    if index == cap:
        return "ceiling"
    if not has_low and index > 0:
        return "no_source"  # would have had the low stream, the publisher sends only one
    return "bandwidth"
