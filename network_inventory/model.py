"""What the inventory stores: sites, their uplinks, probe targets and the change log.

Plain frozen dataclasses built from database rows; ``public()`` is the JSON shape of the REST API.
Times are Unix seconds (float) inside and ISO 8601 (UTC) in JSON; dates are ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

import enum
import inspect
import json
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BeforeValidator, ConfigDict, PlainSerializer, TypeAdapter

from network_inventory.maintenance import RecurringWindow, in_maintenance
from pendopo.db import Row


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


def _from_json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


Stamp = Annotated[float, PlainSerializer(iso, return_type=str)]
"""Unix seconds inside; ISO 8601 (UTC) text in JSON."""
Moment = Annotated[float | None, PlainSerializer(iso, return_type=str | None)]
Tags = Annotated[tuple[str, ...], BeforeValidator(lambda v: _from_json_text(v) or ())]
"""Stored as a JSON list."""
Geometry = Annotated[
    str | None,
    PlainSerializer(lambda v: json.loads(v) if v else None, return_type=dict[str, Any] | None),
]
"""GeoJSON geometry (Polygon/MultiPolygon) stored as compact JSON text; an object in JSON."""

R = TypeVar("R", bound="_Record")


class _Record:
    """A stored record, declared once as a dataclass: its fields are its JSON answer
    (``public()``, also the OpenAPI response schema) in declaration order, and its CSV columns
    (all of them but ``NOT_IN_CSV``). ``COLUMNS`` are the fields its table stores and its
    repository writes: all but the id, the time stamps and the ``JOINED`` ones."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    JOINED: ClassVar[tuple[str, ...]] = ()
    """Read from other tables with the record (the parent's code, ...), never written."""
    NOT_IN_CSV: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    CSV_COLUMNS: ClassVar[tuple[str, ...]] = ()
    _ADAPTER: ClassVar[TypeAdapter[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = tuple(n for n, t in inspect.get_annotations(cls).items() if t != "KW_ONLY")
        kept = ("id", "created_at", "updated_at", *cls.JOINED)
        if "COLUMNS" not in cls.__dict__:
            cls.COLUMNS = tuple(name for name in declared if name not in kept)
        cls.CSV_COLUMNS = tuple(name for name in declared if name not in cls.NOT_IN_CSV)
        cls._ADAPTER = _LazyAdapter(cls)  # type: ignore[assignment]

    @classmethod
    def from_row(cls: type[R], row: Row) -> R:
        record: R = cls._ADAPTER.validate_python(dict(zip(row.keys(), row, strict=True)))
        return record

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The JSON schema of ``public()``."""
        return cls._ADAPTER.json_schema(mode="serialization")

    def record(self) -> dict[str, Any]:
        """The stored columns (the change log's before/after)."""
        return {name: _stored(getattr(self, name)) for name in self.COLUMNS}

    def public(self) -> dict[str, Any]:
        data: dict[str, Any] = self._ADAPTER.dump_python(self, mode="json")
        return data


class _LazyAdapter:
    """A record's TypeAdapter, built on first use (after the dataclass decorator ran)."""

    def __init__(self, cls: type) -> None:
        self._cls = cls
        self._adapter: TypeAdapter[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._adapter is None:
            self._adapter = TypeAdapter(self._cls)
        return getattr(self._adapter, name)


@dataclass(frozen=True, kw_only=True)
class Site(_Record):
    JOINED = ("parent_code", "uplink_status")
    NOT_IN_CSV = ("boundary", "created_at", "updated_at")

    id: int
    code: str | None = None
    parent_id: int | None = None
    parent_code: str | None = None
    name: str
    kind: SiteKind
    lat: float | None = None
    lon: float | None = None
    uplink_status: LinkStatus | None = None
    """Status of the primary (lowest priority number) non-decommissioned uplink, if any."""
    address: str | None = None
    contact: str | None = None
    notes: str | None = None
    tags: Tags = ()
    maintenance_from: Moment = None
    maintenance_until: Moment = None
    boundary: Geometry = None
    created_at: Stamp = 0.0
    updated_at: Stamp = 0.0

    @property
    def is_village(self) -> bool:
        return self.kind in VILLAGE_KINDS

    def in_maintenance(self, now: float, recurring: Iterable[RecurringWindow] = ()) -> bool:
        """True while a maintenance window set by staff (this one-off window or one of the
        site's ``recurring`` windows) covers ``now``: :func:`maintenance.in_maintenance`."""
        return in_maintenance(self.maintenance_from, self.maintenance_until, recurring, now)

    def public(self, *, with_boundary: bool = True) -> dict[str, Any]:
        data = super().public()
        if not with_boundary:
            del data["boundary"]
        return data


@dataclass(frozen=True, kw_only=True)
class Link(_Record):
    JOINED = ("site_code", "parent_code", "is_backup")
    NOT_IN_CSV = ("is_backup", "created_at", "updated_at")

    id: int
    site_id: int
    site_code: str | None = None
    parent_site_id: int
    parent_code: str | None = None
    medium: Medium
    provider: str | None = None
    capacity_kbps: int | None = None
    status: LinkStatus
    target_date: str | None = None
    installed_date: str | None = None
    priority: int = 0
    """0 is the primary uplink; 1, 2, ... are backups."""
    is_backup: bool = False
    """``priority > 0`` (the repository reads it with the link)."""
    notes: str | None = None
    created_at: Stamp = 0.0
    updated_at: Stamp = 0.0


@dataclass(frozen=True)
class ProbeTarget(_Record):
    JOINED = ("site_code",)

    id: int
    site_id: int
    kind: ProbeKind
    host: str
    """IP address or hostname (for HTTP: the URL's host)."""
    _: KW_ONLY
    site_code: str | None = None
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
    created_at: Stamp = 0.0
    updated_at: Stamp = 0.0


JsonObject = Annotated[dict[str, Any] | None, BeforeValidator(_from_json_text)]
"""Stored as JSON text."""


@dataclass(frozen=True)
class Change(_Record):
    """An entry of the change log: who changed which record how, with its stored columns
    before and after."""

    id: int
    at: Stamp
    user: str
    entity: str
    entity_id: int | None
    action: str
    """create, update, delete, import, seed"""
    before: JsonObject = None
    after: JsonObject = None


@dataclass
class Page:
    """One page of a list: ``items`` plus the total count matching the filters."""

    items: list[Any]
    total: int
    limit: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)
