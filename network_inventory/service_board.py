"""The public KPT service board: which service can be had at which kecamatan office now.

A delegated service is available at a kecamatan while that office's link is: its live state UP or
DEGRADED means available, DOWN or UNREACHABLE interrupted, MAINTENANCE interrupted for
maintenance ("pemeliharaan"), anything else (not yet measured, planned) unknown. ``since`` is when
the state began; ``availability_last_month`` the office's link availability over the previous
calendar month (:mod:`network_inventory.uptime`, maintenance left out).

What this builds is public (no sign-in): names, statuses, times and percentages only — never
site ids, codes of probe targets, addresses or measurements.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, TypeAdapter

from network_inventory.history import SiteStatus
from network_inventory.model import Moment, Stamp
from network_inventory.services import STRUCTURE, Office, Service, ServiceKind, Structure
from network_inventory.state import State
from network_inventory.uptime import AVAILABLE, INTERRUPTED, Period, Uptime


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    INTERRUPTED = "interrupted"
    MAINTENANCE = "maintenance"
    UNKNOWN = "unknown"


def availability(state: State | None) -> Availability:
    if state in AVAILABLE:
        return Availability.AVAILABLE
    if state in INTERRUPTED:
        return Availability.INTERRUPTED
    if state is State.MAINTENANCE:
        return Availability.MAINTENANCE
    return Availability.UNKNOWN


@dataclass(frozen=True, kw_only=True)
class OfficeNow:
    """A kecamatan office on the board: whether its delegated services can be had now."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    name: str
    status: Availability
    since: Moment
    """when the status began (null: unknown)"""
    availability_last_month: float | None
    """percent of last month its link was up, maintenance left out (null: nothing measured)"""


@dataclass(frozen=True, kw_only=True)
class BoardService:
    """A service on the board: delegated ones with each office offering it now."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    name: str
    kind: ServiceKind
    duration: str | None
    """promised duration as on the board, e.g. "5 menit\""""
    delegated: bool
    """delegated to the kecamatan offices"""
    offices: list[OfficeNow]
    available_at: int
    """offices where it can be had now"""


@dataclass(frozen=True, kw_only=True)
class BoardOffice(OfficeNow):
    """A kecamatan offering delegated services, with their names."""

    services: list[str]


@dataclass(frozen=True, kw_only=True)
class ServiceBoard:
    """The public board (``GET /api/public/services``): names, statuses, times and
    percentages only."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    generated_at: Stamp
    last_month: str
    """YYYY-MM (WIB) of availability_last_month"""
    structure: Structure
    """the regency's totals"""
    services: list[BoardService]
    kecamatan: list[BoardOffice]


_ANSWER = TypeAdapter(ServiceBoard)


def office_now(
    office: Office, statuses: Mapping[int, SiteStatus], uptimes: Mapping[int, Uptime]
) -> OfficeNow:
    status = statuses.get(office.site_id)
    state = status.track.shown if status else None
    kind = availability(state)
    since = status.track.since if status and kind is not Availability.UNKNOWN else None
    uptime = uptimes.get(office.site_id)
    return OfficeNow(
        name=office.name,
        status=kind,
        since=since or None,
        availability_last_month=uptime.percent if uptime else None,
    )


def board(
    catalogue: Sequence[Service],
    statuses: Mapping[int, SiteStatus],
    uptimes: Mapping[int, Uptime],
    period: Period,
    now: float,
) -> dict[str, Any]:
    """The public board: every service (delegated ones with their offices now) and every
    kecamatan offering a delegated service, with the services it offers."""
    offices: dict[int, OfficeNow] = {}
    offered: dict[int, list[str]] = {}
    out_services = []
    for service in catalogue:
        rows = []
        if service.delegated:
            for office in service.offices:
                now_ = offices.setdefault(office.site_id, office_now(office, statuses, uptimes))
                offered.setdefault(office.site_id, []).append(service.name)
                rows.append(now_)
        out_services.append(
            BoardService(
                name=service.name,
                kind=service.kind,
                duration=service.duration,
                delegated=service.delegated,
                offices=sorted(rows, key=lambda r: r.name),
                available_at=sum(1 for r in rows if r.status is Availability.AVAILABLE),
            )
        )
    kecamatan = [
        BoardOffice(**vars(o), services=offered[sid])
        for sid, o in sorted(offices.items(), key=lambda item: item[1].name)
    ]
    answer = ServiceBoard(
        generated_at=now,
        last_month=period.label,
        structure=STRUCTURE,
        services=out_services,
        kecamatan=kecamatan,
    )
    data: dict[str, Any] = _ANSWER.dump_python(answer, mode="json")
    return data


__all__ = [
    "Availability",
    "BoardOffice",
    "BoardService",
    "OfficeNow",
    "ServiceBoard",
    "availability",
    "board",
    "office_now",
]
