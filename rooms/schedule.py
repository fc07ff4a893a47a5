"""When a scheduled session takes place, and from when its join link opens.

A session may carry a schedule (start, length, agenda; stored with its room record). Its join
link opens ``join_early`` seconds before the start (setting ``session_join_early_minutes``):
before then, only a host may enter (to prepare); everyone else is told when it opens
(``not_yet_open``). A session without a schedule is open from its creation.

Times are epoch seconds; the regency's clock is WIB (UTC+7), which the pages and the calendar
file show (:data:`WIB`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
"""Waktu Indonesia Barat: Sragen's clock (no daylight saving)."""

MAX_DURATION_MIN = 24 * 60
MAX_AGENDA = 2000


@dataclass(frozen=True)
class Schedule:
    starts_at: float
    """Epoch seconds."""
    duration_min: int
    agenda: str = ""

    @property
    def ends_at(self) -> float:
        return self.starts_at + self.duration_min * 60

    def opens_at(self, join_early: float) -> float:
        """When the join link opens for people who are not hosts."""
        return self.starts_at - join_early


def wib_clock(at: float) -> str:
    """ "09.00": the time of day in WIB as Indonesian writes it."""
    return dt.datetime.fromtimestamp(at, WIB).strftime("%H.%M")


def join_window_open(starts_at: float | None, join_early: float, now: float) -> bool:
    """Whether a participant (not a host) may enter a session starting at ``starts_at``."""
    return starts_at is None or now >= starts_at - join_early


__all__ = ["MAX_AGENDA", "MAX_DURATION_MIN", "WIB", "Schedule", "join_window_open", "wib_clock"]
