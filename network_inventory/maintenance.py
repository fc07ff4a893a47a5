"""When is a site in maintenance: the one rule the live sweep (and through its MAINTENANCE state,
the alerts, the service board and the monthly report) follows.

A site is in maintenance while its one-off window (the site's ``maintenance_from`` /
``maintenance_until``) covers the moment, or any of its recurring windows does. A recurring
window is a span of the day on some weekdays, in Western Indonesian Time (WIB, UTC+7): "every
Sunday 22:00-24:00". An end at or before the start crosses midnight: "Saturday 23:00-02:00"
runs from Saturday 23:00 to Sunday 02:00. Nothing here does I/O; the windows are stored by
:mod:`network_inventory.maintenance_windows`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from network_inventory.availability import WIB

DAY_MIN = 24 * 60
WEEKDAYS = range(1, 8)
"""ISO weekdays: 1 Monday ... 7 Sunday."""


def clock(minute: int) -> str:
    """Minutes after midnight as ``HH:MM`` (1440 is ``24:00``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class RecurringWindow:
    """Every ``weekdays`` from ``start_min`` to ``end_min`` (minutes after midnight, WIB)."""

    site_id: int
    weekdays: tuple[int, ...]
    start_min: int
    end_min: int

    def covers(self, now: float) -> bool:
        moment = datetime.fromtimestamp(now, WIB)
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        today = moment.isoweekday()
        yesterday = 7 if today == 1 else today - 1
        if self.start_min < self.end_min:
            return today in self.weekdays and self.start_min <= minute < self.end_min
        # Crosses midnight: the evening of a listed day, or the early hours after one.
        return (today in self.weekdays and minute >= self.start_min) or (
            yesterday in self.weekdays and minute < self.end_min
        )


def in_maintenance(
    one_off_from: float | None,
    one_off_until: float | None,
    recurring: Iterable[RecurringWindow],
    now: float,
) -> bool:
    """True while a maintenance window set by staff covers ``now``: the site's one-off window
    (no start: from any time; no end: none) or one of its recurring windows."""
    if one_off_until is not None and now < one_off_until:
        if one_off_from is None or now >= one_off_from:
            return True
    return any(window.covers(now) for window in recurring)


__all__ = ["DAY_MIN", "WEEKDAYS", "RecurringWindow", "clock", "in_maintenance"]
