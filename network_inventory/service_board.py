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

from network_inventory.history import SiteStatus
from network_inventory.model import iso
from network_inventory.services import STRUCTURE, Office, Service
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


@dataclass(frozen=True)
class OfficeNow:
    name: str
    status: Availability
    since: float | None
    last_month: float | None
    """Percent, or None when nothing was measured."""

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "since": iso(self.since),
            "availability_last_month": self.last_month,
        }


def office_now(
    office: Office, statuses: Mapping[int, SiteStatus], uptimes: Mapping[int, Uptime]
) -> OfficeNow:
    status = statuses.get(office.site_id)
    state = status.track.shown if status else None
    kind = availability(state)
    since = status.track.since if status and kind is not Availability.UNKNOWN else None
    uptime = uptimes.get(office.site_id)
    return OfficeNow(office.name, kind, since or None, uptime.percent if uptime else None)


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
            {
                "name": service.name,
                "kind": service.kind.value,
                "duration": service.duration,
                "delegated": service.delegated,
                "offices": [r.public() for r in sorted(rows, key=lambda r: r.name)],
                "available_at": sum(1 for r in rows if r.status is Availability.AVAILABLE),
            }
        )
    kecamatan = [
        {**o.public(), "services": offered[sid]}
        for sid, o in sorted(offices.items(), key=lambda item: item[1].name)
    ]
    return {
        "generated_at": iso(now),
        "last_month": period.label,
        "structure": STRUCTURE.public(),
        "services": out_services,
        "kecamatan": kecamatan,
    }


__all__ = ["Availability", "OfficeNow", "availability", "board", "office_now"]
