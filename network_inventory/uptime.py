"""Availability over a period from the state-change log (``inventory_events``).

A site's time is split by the state it was shown in: UP and DEGRADED count as available, DOWN
and UNREACHABLE as interrupted; MAINTENANCE, PLANNED and UNKNOWN (not yet measured) are left
out of the period altogether. Availability = available / (available + interrupted), or None when
nothing was measured. The state at the period's start and the changes in it are read as for
the monthly report (``availability.timelines``); the report counts differently (UNREACHABLE is
its parent's outage there), the board counts what a citizen sees: the office reachable or not.

Months are calendar months of the regency's clock (WIB, UTC+7).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from network_inventory.availability import WIB, timelines
from network_inventory.state import State
from pendopo.db import Connection

AVAILABLE = frozenset({State.UP, State.DEGRADED})
INTERRUPTED = frozenset({State.DOWN, State.UNREACHABLE})


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    label: str
    """``YYYY-MM`` for a month."""


def previous_month(now: float, tz: timezone = WIB) -> Period:
    """The calendar month before the one ``now`` falls in (regency time)."""
    here = datetime.fromtimestamp(now, UTC).astimezone(tz)
    this_month = here.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = (this_month - timedelta(days=1)).replace(day=1)
    return Period(last.timestamp(), this_month.timestamp(), f"{last.year:04d}-{last.month:02d}")


@dataclass(frozen=True)
class Uptime:
    available_s: float = 0.0
    interrupted_s: float = 0.0

    @property
    def ratio(self) -> float | None:
        counted = self.available_s + self.interrupted_s
        return self.available_s / counted if counted > 0 else None

    @property
    def percent(self) -> float | None:
        ratio = self.ratio
        return None if ratio is None else round(100 * ratio, 2)


def time_in_states(
    initial: State | None, changes: Iterable[tuple[float, State]], start: float, end: float
) -> Uptime:
    """Seconds available and interrupted between ``start`` and ``end``, given the state at
    ``start`` (None: unknown) and the ordered changes ``(at, new state)`` inside the period."""
    available = interrupted = 0.0
    state, since = initial, start
    for at, new in [*changes, (end, None)]:
        at = min(max(at, start), end)
        if state in AVAILABLE:
            available += at - since
        elif state in INTERRUPTED:
            interrupted += at - since
        state, since = new, at
    return Uptime(available, interrupted)


def uptimes(conn: Connection, site_ids: Iterable[int], period: Period) -> dict[int, Uptime]:
    """Each site's uptime over ``period``, from the same timelines as the monthly report
    (``availability.timelines``); a site with no recorded state counts nothing."""
    lines = timelines(conn, period.start, period.end)
    out = {}
    for sid in site_ids:
        line = lines.get(sid)
        out[sid] = (
            Uptime()
            if line is None
            else time_in_states(line.initial, line.changes, period.start, period.end)
        )
    return out


def site_uptime(conn: Connection, site_id: int, period: Period) -> Uptime:
    return uptimes(conn, (site_id,), period)[site_id]


__all__ = [
    "AVAILABLE",
    "INTERRUPTED",
    "WIB",
    "Period",
    "Uptime",
    "previous_month",
    "site_uptime",
    "time_in_states",
    "uptimes",
]
