"""Flapping: a site whose state keeps changing is told about once, not at every change.

A site *flaps* when its measured state changed between UP, DEGRADED and DOWN ``changes`` times
within ``window_s`` (the third change within two minutes, by default: down, up, down again).
From that change on it is *flapping*: its states stay true (the dashboard, the event log and the
monthly report see every outage), but its changes are not alerted one by one — the change that
made it flapping is one alert saying so, and once no change has come for ``hold_s`` it is
*stable* again: one more alert with the state it settled in (recovered, or still down).

Pure: :func:`step` takes the previous :class:`Flap`, whether the state changed, and the time.
Stored with the site's state (``network_inventory.flapping_store``): a restart neither forgets
a flapping site nor sends its alerts again. The rule's values are settings
(``probe_flap_window``, ``probe_flap_changes``, ``probe_flap_hold``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Phase(enum.Enum):
    """What a pass did to a site's flapping."""

    STEADY = "steady"
    """Not flapping before or after."""
    STARTED = "started"
    """This change made the site flapping: its alert says so."""
    HELD = "held"
    """Flapping before and after: a change here is recorded, not alerted."""
    ENDED = "ended"
    """Stable for the hold time: one alert with the state the site settled in."""


@dataclass(frozen=True)
class Rule:
    window_s: float = 120.0
    """Changes this close together (to the latest) count towards flapping."""
    changes: int = 3
    """Changes within ``window_s`` that make a site flapping."""
    hold_s: float = 120.0
    """A flapping site is stable again after this long without a change."""


@dataclass(frozen=True)
class Flap:
    changes: tuple[float, ...] = ()
    """When the recent changes happened (those within the window of the latest)."""
    flapping: bool = False

    @property
    def last_change(self) -> float | None:
        return self.changes[-1] if self.changes else None


def step(flap: Flap, changed_at: float | None, now: float, rule: Rule) -> Flap:
    """The flapping after one pass: ``changed_at``, when the site's measured state changed in it
    (None: it did not); ``now``, the pass's time (a flapping site with no change for
    ``hold_s`` by then is stable again)."""
    if changed_at is not None:
        recent = tuple(t for t in flap.changes if changed_at - t < rule.window_s)
        changes = (*recent, changed_at)
        return Flap(changes, flap.flapping or len(changes) >= rule.changes)
    last = flap.last_change
    if flap.flapping and last is not None and now - last >= rule.hold_s:
        return Flap()
    return flap


def phase(before: Flap, after: Flap) -> Phase:
    if after.flapping:
        return Phase.HELD if before.flapping else Phase.STARTED
    return Phase.ENDED if before.flapping else Phase.STEADY
