"""Video shed when the SFU's process runs out of CPU: a session bigger than one event loop
carries (a town hall of hundreds of sites on a small server) gets a smaller picture, not lost
connections.

Without it, a server that forwards more than its one event loop can sends late: its sockets
back up, ICE consent checks wait behind the media in them, and about a minute later consent
expires for every connection at once (docs/performance.md, "Town hall"). The host's video to
every site is most of what a town hall forwards, so that is what gives way. Once a second
(:meth:`LoadGuard.tick`, from the SFU's layer tick) the guard reads the process's CPU time and
keeps a smoothed share of one core:

- **Down.** Above ``limit`` for ``DOWN_AFTER`` readings in a row, it lowers a ceiling every
  subscriber's video obeys from ``high`` to ``low``: the low stream carries a quarter of the
  high one's pixels and a third or less of its packets, at the full frame rate; audio is never
  touched. It goes no lower. Measured at 190 sites (docs/performance.md, "When the server is
  busy"): with every site on stills the server still used 0.80 of a core — audio to hundreds,
  their connections, what it receives — so lower rungs would cost every site its moving
  picture for little.
- **Up.** What the step freed (the share before it less the share ``SETTLE`` seconds after,
  per video slot) is what a raise would cost again. While the share stays over the limit the
  loop may still be working off what queued before the step, and the difference understates
  what the step freed (a saturated loop reads ~0.95 either way), so the gain is read at the
  first reading under the limit after ``SETTLE``. One rung up when the share now plus that
  gain, for the video slots there are now, stays under ``limit * RAISE_MARGIN``: a session
  that shrank gets its picture back, one that did not stays down instead of overloading again.
  A gain is trusted for ``TRUST`` seconds: the share before a step may have held work that has
  ended since (ICE and DTLS handshakes of a crowd joining), which would keep the picture low for
  good; after that, a share under ``limit * RAISE_MARGIN`` is enough to try. A raise waits
  ``RAISE_WAIT`` seconds after any step; a raise followed by a step down within
  ``FAILED_RAISE`` seconds doubles that wait (up to ``RAISE_WAIT_MAX``), so a wrong guess costs
  a few seconds of overload ever more rarely.

Receivers whose video is held by the guard are told so (``media:layer`` reason
``server_busy``). The share is ``time.process_time()``: every thread of the process, the event
loop's above all (the packet path has no other busy thread).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from media.layer_choice import Layer

logger = logging.getLogger(__name__)

STEPS: tuple[Layer, ...] = ("high", "low")
SMOOTHING = 0.5  # weight of the newest reading
DOWN_AFTER = 2  # readings in a row above the limit before a step down
SETTLE = 10.0  # seconds after a step before what it freed is read
RAISE_MARGIN = 0.8  # a raise must leave this share of the limit
RAISE_WAIT = 10.0  # seconds after any step before a raise
RAISE_WAIT_MAX = 300.0
FAILED_RAISE = 30.0  # a step down this soon after a raise: the raise was wrong
TRUST = 120.0  # seconds a step's gain is trusted to forbid a raise


@dataclass
class _Step:
    """One step down: what the guard saw just before it, and what it freed once settled."""

    share: float
    video_slots: int
    at: float
    gain: float | None = None  # of a core, read SETTLE seconds after the step


class LoadGuard:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.share: float | None = None  # smoothed CPU share of one core
        self.level = 0  # index into STEPS
        self.steps_down = 0
        self._above = 0
        self._cpu: float | None = None
        self._at: float | None = None
        self._changed = float("-inf")
        self._raised = float("-inf")
        self._raise_wait = RAISE_WAIT
        self._steps: list[_Step] = []  # one per rung below "high"

    @property
    def ceiling(self) -> Layer:
        return STEPS[self.level]

    def tick(self, now: float, cpu_seconds: float, video_slots: int) -> Layer | None:
        """A reading: the process's CPU seconds so far at monotonic ``now``, and how many video
        slots the SFU forwards. Returns the new ceiling when it changes, else None."""
        last_cpu, last_at = self._cpu, self._at
        self._cpu, self._at = cpu_seconds, now
        if self.limit <= 0 or last_cpu is None or last_at is None or now <= last_at:
            return None
        reading = (cpu_seconds - last_cpu) / (now - last_at)
        share = self.share = (
            reading if self.share is None else self.share + SMOOTHING * (reading - self.share)
        )
        self._above = self._above + 1 if share > self.limit else 0
        self._read_gain(now, share)
        if self._above >= DOWN_AFTER and self.level < len(STEPS) - 1:
            # the smoothed share lags a load that has just risen: what the step can free is
            # measured from the larger of the two
            return self._down(now, max(share, reading), video_slots)
        if self._may_raise(now, share, video_slots):
            return self._up(now, share)
        return None

    def _read_gain(self, now: float, share: float) -> None:
        step = self._steps[-1] if self._steps else None
        # a loop still over the limit was saturated before the step and after it: what the
        # step freed went to the backlog, and the gain is read once the share comes down
        if (
            step is not None
            and step.gain is None
            and now - step.at >= SETTLE
            and share <= self.limit
        ):
            step.gain = max(0.0, step.share - share)

    def _down(self, now: float, share: float, video_slots: int) -> Layer:
        if now - self._raised < FAILED_RAISE:
            self._raise_wait = min(RAISE_WAIT_MAX, self._raise_wait * 2)
        self._steps.append(_Step(share, video_slots, now))
        self.level += 1
        self.steps_down += 1
        self._changed, self._above = now, 0
        logger.warning(
            "server busy: %.2f of a core; video ceiling %s -> %s",
            share, STEPS[self.level - 1], self.ceiling,
        )  # fmt: skip
        return self.ceiling

    def _may_raise(self, now: float, share: float, video_slots: int) -> bool:
        if self.level == 0 or now - self._changed < self._raise_wait:
            return False
        room = self.limit * RAISE_MARGIN
        if share >= room:
            return False
        step = self._steps[-1]
        if step.gain is None:
            return False
        if now - step.at >= TRUST:
            return True
        expected = share + step.gain * video_slots / max(1, step.video_slots)
        return expected < room

    def _up(self, now: float, share: float) -> Layer:
        self._steps.pop()
        self.level -= 1
        self._changed = self._raised = now
        logger.warning(
            "server load down to %.2f of a core; video ceiling %s -> %s",
            share, STEPS[self.level + 1], self.ceiling,
        )  # fmt: skip
        return self.ceiling
