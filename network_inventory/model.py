"""What the inventory stores: sites, their uplinks, probe targets and the change log.

Plain frozen dataclasses built from database rows; ``public()`` is the JSON shape of the REST API.
Times are Unix seconds (float) inside and ISO 8601 (UTC) in JSON; dates are ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from network_inventory.maintenance import RecurringWindow, in_maintenance


class SiteKind(enum.StrEnum):
    KABUPATEN = "kabupaten"
    """The regency (or city) office at the root of the hierarchy."""
    KECAMATAN = "kecamatan"
    DESA = "desa"
    KELURAHAN = "kelurahan"
    VILLAGE = "village"
    """A desa or kelurahan whose type is not known yet (the seed data does not say; the
    Kemendagri import sets it from the code)."""
    OTHER = "other"


VILLAGE_KINDS = frozenset({SiteKind.DESA, SiteKind.KELURAHAN, SiteKind.VILLAGE})


class Medium(enum.StrEnum):
    FIBER = "fiber"
    WIRELESS = "wireless"
    VSAT = "vsat"
    ADSL = "adsl"
    CELLULAR = "cellular"
    OTHER = "other"


class LinkStatus(enum.StrEnum):
    PLANNED = "planned"
    INSTALLING = "installing"
    ACTIVE = "active"
    FAULTY = "faulty"
    DECOMMISSIONED = "decommissioned"


class ProbeKind(enum.StrEnum):
    ICMP = "icmp"
    TCP = "tcp"
    HTTP = "http"


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC (``2026-01-31T08:00:00Z``), or None."""
    if ts is None:
        return None
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def _json(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


def _stored(value: Any) -> Any:
    """A field as stored and logged: an enum as its text, a tuple as a list."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


class _Record:
    """A record whose ``COLUMNS`` are the fields its table stores (and its repository writes)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def record(self) -> dict[str, Any]:
        """The stored columns (the change log's before/after)."""
        return {name: _stored(getattr(self, name)) for name in self.COLUMNS}


@dataclass(frozen=True)
class Site(_Record):
    COLUMNS = (
        "code",
        "name",
        "kind",
        "parent_id",
        "lat",
        "lon",
        "boundary",
        "address",
        "contact",
        "notes",
        "tags",
        "maintenance_from",
        "maintenance_until",
    )

    id: int
    code: str | None
    name: str
    kind: SiteKind
    parent_id: int | None
    lat: float | None = None
    lon: float | None = None
    boundary: str | None = None
    """GeoJSON geometry (Polygon/MultiPolygon) as compact JSON text."""
    address: str | None = None
    contact: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    maintenance_from: float | None = None
    maintenance_until: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    parent_code: str | None = None
    uplink_status: LinkStatus | None = None
    """Status of the primary (lowest priority number) non-decommissioned uplink, if any."""

    @property
    def is_village(self) -> bool:
        return self.kind in VILLAGE_KINDS

    def in_maintenance(self, now: float, recurring: Iterable[RecurringWindow] = ()) -> bool:
        """True while a maintenance window set by staff (this one-off window or one of the
        site's ``recurring`` windows) covers ``now``: :func:`maintenance.in_maintenance`."""
        return in_maintenance(self.maintenance_from, self.maintenance_until, recurring, now)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Site:
        keys = row.keys()
        uplink = row["uplink_status"] if "uplink_status" in keys else None
        return cls(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            kind=SiteKind(row["kind"]),
            parent_id=row["parent_id"],
            lat=row["lat"],
            lon=row["lon"],
            boundary=row["boundary"],
            address=row["address"],
            contact=row["contact"],
            notes=row["notes"],
            tags=tuple(_json(row["tags"], [])),
            maintenance_from=row["maintenance_from"],
            maintenance_until=row["maintenance_until"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            parent_code=row["parent_code"] if "parent_code" in keys else None,
            uplink_status=LinkStatus(uplink) if uplink else None,
        )

    def public(self, *, with_boundary: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "kind": self.kind.value,
            "parent_id": self.parent_id,
            "parent_code": self.parent_code,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "contact": self.contact,
            "notes": self.notes,
            "tags": list(self.tags),
            "maintenance_from": iso(self.maintenance_from),
            "maintenance_until": iso(self.maintenance_until),
            "uplink_status": self.uplink_status.value if self.uplink_status else None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
        if with_boundary:
            data["boundary"] = json.loads(self.boundary) if self.boundary else None
        return data


@dataclass(frozen=True)
class Link(_Record):
    COLUMNS = (
        "site_id",
        "parent_site_id",
        "medium",
        "provider",
        "capacity_kbps",
        "status",
        "target_date",
        "installed_date",
        "priority",
        "notes",
    )

    id: int
    site_id: int
    parent_site_id: int
    medium: Medium
    status: LinkStatus
    provider: str | None = None
    capacity_kbps: int | None = None
    target_date: str | None = None
    installed_date: str | None = None
    priority: int = 0
    """0 is the primary uplink; 1, 2, ... are backups."""
    notes: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    site_code: str | None = None
    parent_code: str | None = None

    @property
    def is_backup(self) -> bool:
        return self.priority > 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Link:
        keys = row.keys()
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            parent_site_id=row["parent_site_id"],
            medium=Medium(row["medium"]),
            status=LinkStatus(row["status"]),
            provider=row["provider"],
            capacity_kbps=row["capacity_kbps"],
            target_date=row["target_date"],
            installed_date=row["installed_date"],
            priority=row["priority"],
            notes=row["notes"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            site_code=row["site_code"] if "site_code" in keys else None,
            parent_code=row["parent_code"] if "parent_code" in keys else None,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site_id": self.site_id,
            "site_code": self.site_code,
            "parent_site_id": self.parent_site_id,
            "parent_code": self.parent_code,
            "medium": self.medium.value,
            "provider": self.provider,
            "capacity_kbps": self.capacity_kbps,
            "status": self.status.value,
            "target_date": self.target_date,
            "installed_date": self.installed_date,
            "priority": self.priority,
            "is_backup": self.is_backup,
            "notes": self.notes,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class ProbeTarget(_Record):
    COLUMNS = (
        "site_id",
        "link_id",
        "kind",
        "host",
        "port",
        "url",
        "expect_status",
        "interval_s",
        "timeout_s",
        "count",
        "enabled",
    )

    id: int
    site_id: int
    kind: ProbeKind
    host: str
    """IP address or hostname (for HTTP: the URL's host)."""
    link_id: int | None = None
    port: int | None = None
    url: str | None = None
    expect_status: int | None = None
    interval_s: float | None = None
    """None: the server's ``probe_interval`` setting."""
    timeout_s: float = 2.0
    count: int = 5
    """Echo requests (or connection attempts) per round."""
    enabled: bool = True
    created_at: float = 0.0
    updated_at: float = 0.0
    site_code: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ProbeTarget:
        keys = row.keys()
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            kind=ProbeKind(row["kind"]),
            host=row["host"],
            link_id=row["link_id"],
            port=row["port"],
            url=row["url"],
            expect_status=row["expect_status"],
            interval_s=row["interval_s"],
            timeout_s=row["timeout_s"],
            count=row["count"],
            enabled=bool(row["enabled"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            site_code=row["site_code"] if "site_code" in keys else None,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "site_id": self.site_id,
            "site_code": self.site_code,
            "link_id": self.link_id,
            "kind": self.kind.value,
            "host": self.host,
            "port": self.port,
            "url": self.url,
            "expect_status": self.expect_status,
            "interval_s": self.interval_s,
            "timeout_s": self.timeout_s,
            "count": self.count,
            "enabled": self.enabled,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class Change:
    id: int
    at: float
    user: str
    entity: str
    entity_id: int | None
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Change:
        return cls(
            id=row["id"],
            at=row["at"],
            user=row["user"],
            entity=row["entity"],
            entity_id=row["entity_id"],
            action=row["action"],
            before=_json(row["before"], None),
            after=_json(row["after"], None),
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "user": self.user,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class Page:
    """One page of a list: ``items`` plus the total count matching the filters."""

    items: list[Any]
    total: int
    limit: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)
