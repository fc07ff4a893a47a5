"""A session as the REST API answers it (``POST/GET /api/rooms``, ``/api/rooms/upcoming``,
``GET /api/rooms/{id}``): declared once, as dataclasses whose fields are the JSON answer and
its OpenAPI schema (``web.openapi.declared``). Times are epoch seconds.

Fields that only some answers carry (``invited_sites``, ``present``, ``waiting``; a summary's
``starts_at`` and ``opens_at``) are None in the others and left out of the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from rooms.model import SessionState
from rooms.schedule import Schedule

_CONFIG = ConfigDict(use_attribute_docstrings=True)


@dataclass(frozen=True, kw_only=True)
class ScheduleAnswer:
    """When a scheduled session takes place; null: unscheduled (open at once)."""

    __pydantic_config__ = _CONFIG

    starts_at: float
    duration_min: int
    ends_at: float
    opens_at: float
    """when the join link opens"""
    agenda: str

    @classmethod
    def of(cls, schedule: Schedule, join_early: float) -> ScheduleAnswer:
        return cls(
            starts_at=schedule.starts_at,
            duration_min=schedule.duration_min,
            ends_at=schedule.ends_at,
            opens_at=schedule.opens_at(join_early),
            agenda=schedule.agenda,
        )


@dataclass(frozen=True, kw_only=True)
class SessionAnswer:
    """A session (room) in the host's answers."""

    __pydantic_config__ = _CONFIG

    id: str
    title: str
    state: SessionState
    join_url: str
    created_by: int | None
    created_at: float
    schedule: ScheduleAnswer | None
    invited_sites: list[str] | None = None
    """the sites the host invited (not in /api/rooms/upcoming)"""
    present: int | None = None
    """people in the session now (/api/rooms only)"""
    waiting: int | None = None
    """people in its lobby now (/api/rooms only)"""

    def public(self) -> dict[str, Any]:
        return _without_unused(_SESSION.dump_python(self, mode="json"), _OPTIONAL)


@dataclass(frozen=True, kw_only=True)
class SessionSummary:
    """What anyone with the join link may see of a session."""

    __pydantic_config__ = _CONFIG

    id: str
    title: str
    state: SessionState
    starts_at: float | None = None
    """scheduled sessions only"""
    opens_at: float | None = None
    """scheduled sessions only: when the join link opens"""

    def public(self) -> dict[str, Any]:
        return _without_unused(_SUMMARY.dump_python(self, mode="json"), ("starts_at", "opens_at"))


_OPTIONAL = ("invited_sites", "present", "waiting")
_SESSION: TypeAdapter[SessionAnswer] = TypeAdapter(SessionAnswer)
_SUMMARY: TypeAdapter[SessionSummary] = TypeAdapter(SessionSummary)


def _without_unused(data: dict[str, Any], optional: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not (k in optional and v is None)}


__all__ = ["ScheduleAnswer", "SessionAnswer", "SessionSummary"]
