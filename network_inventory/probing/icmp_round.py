"""One round of echo requests to many addresses, driven the way fping drives it.

No task, sleep or timer per target or per packet. A round has:

- **slots**, preallocated: one per echo request (target *j*'s *k*-th request), holding its
  send time, its RTT and its state; the pinger's reader resolves a reply's sequence number to
  a slot and calls ``reply`` / ``fail``;
- **one sender loop** (``run``): admits targets in the given order at their start times (so
  parents go before children) while fewer than ``concurrency`` are in flight, and sends the due
  requests round-robin — request *k+1* of a target ``gap`` seconds after its request *k* —
  at most ``rate`` per second, yielding to the event loop every ``BURST`` sends so that the
  reader drains the socket;
- **one deadline sweep** in the same loop: when a target's last request is older than its
  timeout, its unanswered requests are lost and the target is finished.

The loop sleeps until the earliest of: the next admission, the next due request, the next
deadline — or until the reader finishes a target while admissions wait for a free place.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BURST = 64
"""Echo requests sent between two yields to the event loop (the reader runs in between)."""

MIN_SLEEP = 0.0005
"""Requests due within this many seconds are sent now rather than after another wake-up."""

UNSENT, IN_FLIGHT, ANSWERED, LOST = 0, 1, 2, 3


@dataclass(slots=True)
class EchoRequest:
    """What to ask of one host in a round (not frozen: thousands are made per sweep, and a
    frozen dataclass costs three times as much to create)."""

    host: str
    """An IPv4 address (a ``Round`` needs it resolved; ``IcmpPinger.round`` resolves names)."""
    count: int
    timeout_s: float
    start: float = 0.0
    """Seconds after the round's beginning before which this host is not started."""


Send = Callable[["Round", int, str], "int | None"]
"""The pinger's send: (round, slot, address) -> sequence number; None when all 65,536 are in
use; raises OSError when the kernel refused the packet."""

Release = Callable[[int], None]
"""The pinger's release of a sequence number that will not be answered any more."""


class Round:
    """Slots and schedule of one round. ``run`` it once; read ``rtts``/``errors`` after."""

    def __init__(self, targets: Sequence[EchoRequest]) -> None:
        self.targets = targets
        n = len(targets)
        self.first_slot = [0] * (n + 1)
        for j, t in enumerate(targets):
            self.first_slot[j + 1] = self.first_slot[j] + t.count
        total = self.first_slot[n]
        self.slot_target = [j for j, t in enumerate(targets) for _ in range(t.count)]
        self.address = [t.host for t in targets]
        self.timeout = [t.timeout_s for t in targets]
        self.state = [UNSENT] * total
        self.sent_at = [0.0] * total
        self.rtt_ms = [0.0] * total
        self.seq = [-1] * total
        self.unsettled = [t.count for t in targets]
        self.error: list[str | None] = [None] * n
        self.started_at = [0.0] * n
        """Unix time when each target's first request went out (0 when none did)."""
        self.finished = 0
        self.active = 0
        self._concurrency = 1
        self._wake: asyncio.Future[None] | None = None
        self._waiting_for_place = False

    # -- fed by the pinger's reader ----------------------------------------------------------
    def reply(self, slot: int, source: str, now: float) -> bool:
        """An echo reply for ``slot`` came from ``source`` at ``now`` (monotonic).

        Returns False when it is not ours (another address): the sequence stays claimed.
        A reply after the request's timeout is counted lost, as if it never came.
        """
        j = self.slot_target[slot]
        if source != self.address[j]:
            return False
        if self.state[slot] != IN_FLIGHT:
            return True
        elapsed = now - self.sent_at[slot]
        if elapsed > self.timeout[j]:
            self.state[slot] = LOST
        else:
            self.state[slot] = ANSWERED
            self.rtt_ms[slot] = elapsed * 1000.0
        self._settle(j)
        return True

    def fail(self, slot: int, reason: str) -> None:
        """A router reported our request undeliverable (destination unreachable, TTL)."""
        if self.state[slot] != IN_FLIGHT:
            return
        self.state[slot] = LOST
        j = self.slot_target[slot]
        self.error[j] = reason
        self._settle(j)

    def abort(self, reason: str) -> None:
        """The socket is gone: every unfinished target ends now."""
        for j in range(len(self.targets)):
            if self.unsettled[j]:
                self.error[j] = self.error[j] or reason
                self._expire(j, None)
        self._poke()

    # -- results -----------------------------------------------------------------------------
    def rtts(self, j: int) -> tuple[float, ...]:
        lo, hi = self.first_slot[j], self.first_slot[j + 1]
        states = self.state[lo:hi]
        if states.count(ANSWERED) == hi - lo:
            return tuple(self.rtt_ms[lo:hi])
        return tuple(r for r, st in zip(self.rtt_ms[lo:hi], states, strict=True) if st == ANSWERED)

    # -- the sender loop ---------------------------------------------------------------------
    async def run(
        self, send: Send, release: Release, *, gap: float, concurrency: int, rate: float | None
    ) -> None:
        """Send every request, wait for every reply or deadline. Returns when all are done."""
        n = len(self.targets)
        targets = self.targets
        self._concurrency = max(1, concurrency)
        clock = time.monotonic
        begin = clock()
        depth = max((t.count for t in targets), default=0)
        # due[k]: (time, target) whose k-th request is next, in the order they were started.
        due: list[deque[tuple[float, int]]] = [deque() for _ in range(depth)]
        deadlines: list[tuple[float, int]] = []
        admitted = 0
        bucket = max(1.0, min(float(BURST), rate * 0.01)) if rate is not None else 0.0
        tokens = bucket
        refilled = begin
        while self.finished < n:
            now = clock()
            # Deadlines: a target whose last request timed out is finished.
            while deadlines and deadlines[0][0] <= now:
                j = heapq.heappop(deadlines)[1]
                if self.unsettled[j]:
                    self._expire(j, release)
            # Admissions, in order, while there is a place.
            while (
                admitted < n
                and self.active < self._concurrency
                and begin + targets[admitted].start <= now + MIN_SLEEP
            ):
                j = admitted
                admitted += 1
                self.active += 1
                if targets[j].count:
                    due[0].append((now, j))
                else:
                    self._finish(j)
            # Due requests, earliest first: request k of every started target, k+1 a gap later.
            if rate is not None:
                tokens = min(bucket, tokens + (now - refilled) * rate)
                refilled = now
            sent = 0
            horizon = now + MIN_SLEEP
            while sent < BURST and (rate is None or tokens >= 1.0):
                k = _earliest(due)
                if k < 0 or due[k][0][0] > horizon:
                    break
                j = due[k].popleft()[1]
                self._send(send, self.first_slot[j] + k, j)
                sent += 1
                tokens -= 1.0
                if k + 1 < targets[j].count:
                    due[k + 1].append((clock() + gap, j))
                else:
                    heapq.heappush(deadlines, (clock() + self.timeout[j], j))
            if sent >= BURST:
                await asyncio.sleep(0)  # let the reader drain replies, then carry on
                continue
            # Sleep until the earliest next thing; a finished target may open a place sooner.
            wake: list[float] = []
            k = _earliest(due)
            if k >= 0:
                next_send = due[k][0][0]
                if rate is not None and tokens < 1.0:
                    next_send = max(next_send, now + (1.0 - tokens) / rate)
                wake.append(next_send)
            if deadlines:
                wake.append(deadlines[0][0])
            if admitted < n:
                if self.active < self._concurrency:
                    wake.append(begin + targets[admitted].start)
                else:
                    self._waiting_for_place = True
            if not wake and not self._waiting_for_place:
                break  # nothing left to wait for (aborted)
            await self._sleep(min(wake) if wake else None)
            self._waiting_for_place = False

    def _send(self, send: Send, slot: int, j: int) -> None:
        if slot == self.first_slot[j]:
            self.started_at[j] = time.time()
        self.state[slot] = IN_FLIGHT
        self.sent_at[slot] = time.monotonic()
        try:
            seq = send(self, slot, self.address[j])
        except OSError as exc:
            seq, self.error[j] = None, f"send failed: {exc.strerror or exc}"
        if seq is None:
            self.state[slot] = LOST
            self.error[j] = self.error[j] or "send failed: no free sequence number"
            self._settle(j)
        else:
            self.seq[slot] = seq

    def _settle(self, j: int) -> None:
        self.unsettled[j] -= 1
        if self.unsettled[j] == 0:
            self._finish(j)

    def _expire(self, j: int, release: Release | None) -> None:
        for slot in range(self.first_slot[j], self.first_slot[j + 1]):
            if self.state[slot] in (IN_FLIGHT, UNSENT):
                self.state[slot] = LOST
                if release is not None and self.seq[slot] >= 0:
                    release(self.seq[slot])
        self.unsettled[j] = 0
        self._finish(j)

    def _finish(self, j: int) -> None:
        self.finished += 1
        self.active -= 1
        if self._waiting_for_place or self.finished == len(self.targets):
            self._poke()

    async def _sleep(self, until: float | None) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._wake = fut
        handle = None
        if until is not None:
            handle = loop.call_later(max(0.0, until - time.monotonic()), _resolve, fut)
        try:
            await fut
        finally:
            self._wake = None
            if handle is not None:
                handle.cancel()

    def _poke(self) -> None:
        if self._wake is not None:
            _resolve(self._wake)


def _earliest(due: list[deque[tuple[float, int]]]) -> int:
    """Index of the queue whose head is due first, -1 when all are empty."""
    best, best_at = -1, 0.0
    for k, queue in enumerate(due):
        if queue and (best < 0 or queue[0][0] < best_at):
            best, best_at = k, queue[0][0]
    return best


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
