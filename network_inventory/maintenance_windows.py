"""Recurring maintenance windows (``maintenance_windows``): their table, their declarations
(``MaintenanceWindowInput`` what a client writes, ``MaintenanceWindow`` what the API answers:
the checks and the OpenAPI schemas), and the repository the REST API
(``web/maintenance_api.py``) edits them through.

Each change and its change-log entry (entity ``maintenance``) commit in one transaction, with
the caller's ``then`` (its audit record). The live sweep reads them all with
:func:`load_recurring` and asks :func:`network_inventory.maintenance.in_maintenance`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from network_inventory import changelog
from network_inventory import sites as sites_repo
from network_inventory.errors import NotFound, ValidationError
from network_inventory.maintenance import DAY_MIN, WEEKDAYS, RecurringWindow, clock
from network_inventory.model import Stamp
from network_inventory.records import Input
from pendopo.db import Component, Connection, Database, Row, Then, and_then
from pendopo.declared import checked_when_missing

ENTITY = "maintenance"
MAX_NOTES = 500
_CLOCK = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")

_V1 = """
CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    weekdays TEXT NOT NULL,
    start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
    notes TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX maintenance_windows_site ON maintenance_windows(site_id);
"""

COMPONENT = Component("maintenance_windows", [_V1])
"""After the inventory's component (its rows reference sites)."""


@dataclass(frozen=True)
class StoredWindow:
    """One row: the window and what the API shows of it."""

    id: int
    window: RecurringWindow
    notes: str | None
    created_at: float
    updated_at: float
    site_code: str | None = None
    site_name: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> StoredWindow:
        window = RecurringWindow(
            row["site_id"], tuple(json.loads(row["weekdays"])), row["start_min"], row["end_min"]
        )
        return cls(
            row["id"],
            window,
            row["notes"],
            row["created_at"],
            row["updated_at"],
            row["site_code"],
            row["site_name"],
        )

    def record(self) -> dict[str, Any]:
        """The stored fields as the change log keeps them."""
        return {
            "site_id": self.window.site_id,
            "weekdays": list(self.window.weekdays),
            "start": clock(self.window.start_min),
            "end": clock(self.window.end_min),
            "notes": self.notes,
        }

    def public(self, now: float) -> dict[str, Any]:
        answer = MaintenanceWindow(
            id=self.id,
            **self.record(),
            site_code=self.site_code,
            site_name=self.site_name,
            active_now=self.window.covers(now),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )
        data: dict[str, Any] = _ANSWER.dump_python(answer, mode="json")
        return data


# -- the declarations -------------------------------------------------------------------------
_CLOCK_SCHEMA = {"type": "string", "pattern": r"^([01]\d|2[0-4]):[0-5]\d$", "example": "22:00"}


def _minute(value: Any) -> int:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    minute = int(match[1]) * 60 + int(match[2]) if match else None
    if minute is None or minute > DAY_MIN:
        raise PydanticCustomError("invalid", "must be a time HH:MM from 00:00 to 24:00")
    return minute


def _start(value: Any) -> int:
    minute = _minute(value)
    if minute >= DAY_MIN:
        raise PydanticCustomError("invalid", "must be before 24:00")
    return minute


def _weekdays(value: Any) -> list[int]:
    if (
        not isinstance(value, list)
        or not value
        or any(isinstance(d, bool) or d not in WEEKDAYS for d in value)
    ):
        raise PydanticCustomError("invalid", "must list one or more days, 1 Monday to 7 Sunday")
    return sorted(set(value))


def _site(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isdigit() else text
    raise PydanticCustomError("invalid", "is required (a site id or code)")


def _notes(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_NOTES):
        raise PydanticCustomError("invalid", f"must be text of {MAX_NOTES} characters")
    return value.strip() or None if isinstance(value, str) else None


class MaintenanceWindowInput(Input):
    """A recurring window as a client writes it (POST a whole one; PATCH the fields it changes,
    checked together with the stored ones)."""

    ENTITY = "maintenance window"

    site: Annotated[
        int | str,
        BeforeValidator(_site),
        WithJsonSchema({"type": ["integer", "string"], "description": "site id or code"}),
    ] = checked_when_missing()
    site_id: Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1})] = None
    """The site's id, when no ``site`` is given."""
    weekdays: Annotated[
        list[Annotated[int, Field(ge=1, le=7)]],
        BeforeValidator(_weekdays),
        Field(min_length=1, description="ISO weekdays: 1 Monday ... 7 Sunday"),
    ] = checked_when_missing()
    start: Annotated[
        int,
        BeforeValidator(_start),
        WithJsonSchema({**_CLOCK_SCHEMA, "description": "HH:MM, WIB"}),
    ] = checked_when_missing()
    end: Annotated[
        int,
        BeforeValidator(_minute),
        WithJsonSchema(
            {
                **_CLOCK_SCHEMA,
                "description": "HH:MM, WIB; 24:00 is midnight; at or before the start the"
                " window crosses midnight",
            }
        ),
    ] = checked_when_missing()
    notes: Annotated[
        str | None,
        BeforeValidator(_notes),
        WithJsonSchema({"type": ["string", "null"], "maxLength": MAX_NOTES}),
    ] = None

    @classmethod
    def merged(
        cls, body: Mapping[str, Any], current: Mapping[str, Any] | None
    ) -> MaintenanceWindowInput:
        """The window a body makes (``current``: the stored record a PATCH changes), checked
        whole; raises :class:`ValidationError` listing every bad field."""
        data = {k: v for k, v in (current or {}).items() if k != "site_id"}
        if current is not None:
            data["site"] = current["site_id"]
        if "site" in body or "site_id" in body:
            data["site"] = body["site"] if "site" in body else body["site_id"]
        data.update({k: v for k, v in body.items() if k not in ("site", "site_id")})
        return cls.parse(data)

    def problems(self) -> list[tuple[str, str]]:
        return [("end", "must differ from the start")] if self.start == self.end else []

    def fields(self) -> dict[str, Any]:
        """The stored columns (``site`` still a reference: the repository resolves it)."""
        return {
            "site": self.site,
            "weekdays": self.weekdays,
            "start_min": self.start,
            "end_min": DAY_MIN if self.end == 0 else self.end,
            "notes": self.notes,
        }


@dataclass(frozen=True, kw_only=True)
class MaintenanceWindow:
    """A recurring window as the API answers it."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    site_id: int
    weekdays: list[int]
    """ISO weekdays: 1 Monday ... 7 Sunday"""
    start: str
    """HH:MM, WIB"""
    end: str
    """HH:MM, WIB (24:00 is midnight)"""
    notes: str | None
    site_code: str | None
    site_name: str | None
    timezone: Literal["WIB"] = "WIB"
    active_now: bool
    """The window covers the time of the answer."""
    created_at: Stamp
    updated_at: Stamp


_ANSWER = TypeAdapter(MaintenanceWindow)


# -- storage ----------------------------------------------------------------------------------
_SELECT = (
    "SELECT w.*, s.code AS site_code, s.name AS site_name FROM maintenance_windows w"
    " JOIN sites s ON s.id = w.site_id"
)


def load_recurring(conn: Connection) -> dict[int, tuple[RecurringWindow, ...]]:
    """Every site's recurring windows (what the live sweep reads each round)."""
    out: dict[int, list[RecurringWindow]] = {}
    for row in conn.execute(f"{_SELECT} ORDER BY w.id"):
        stored = StoredWindow.from_row(row)
        out.setdefault(stored.window.site_id, []).append(stored.window)
    return {site: tuple(windows) for site, windows in out.items()}


def _get(conn: Connection, window_id: int) -> StoredWindow:
    row = conn.execute(f"{_SELECT} WHERE w.id = ?", (window_id,)).fetchone()
    if row is None:
        raise NotFound(f"No maintenance window {window_id}.")
    return StoredWindow.from_row(row)


def _site_id(conn: Connection, ref: int | str) -> int:
    try:
        return sites_repo.resolve(conn, ref).id
    except NotFound as exc:
        raise ValidationError(
            exc.message, details=[{"field": "site", "message": exc.message}]
        ) from exc


class MaintenanceWindows:
    """The recurring windows of one :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, site: int | str | None = None) -> list[StoredWindow]:
        def run(conn: Connection) -> list[StoredWindow]:
            if site is None:
                rows = conn.execute(f"{_SELECT} ORDER BY s.code, s.name, w.id").fetchall()
            else:
                site_id = sites_repo.resolve(conn, site).id
                rows = conn.execute(
                    f"{_SELECT} WHERE w.site_id = ? ORDER BY w.id", (site_id,)
                ).fetchall()
            return [StoredWindow.from_row(r) for r in rows]

        return await self.db.read(run)

    async def get(self, window_id: int) -> StoredWindow:
        return await self.db.read(lambda conn: _get(conn, window_id))

    async def create(self, body: Mapping[str, Any], *, user: str, then: Then) -> StoredWindow:
        values = MaintenanceWindowInput.merged(body, None).fields()

        def run(conn: Connection) -> StoredWindow:
            site_id = _site_id(conn, values["site"])
            now = time.time()
            cursor = conn.execute(
                "INSERT INTO maintenance_windows"
                " (site_id, weekdays, start_min, end_min, notes, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (site_id, json.dumps(values["weekdays"]), values["start_min"],
                 values["end_min"], values["notes"], now, now),
            )  # fmt: skip
            stored = _get(conn, int(cursor.lastrowid or 0))
            changelog.record(
                conn, user=user, entity=ENTITY, entity_id=stored.id, action="create",
                after=stored.record(),
            )  # fmt: skip
            return stored

        return await self.db.write(and_then(run, then))

    async def update(
        self, window_id: int, body: Mapping[str, Any], *, user: str, then: Then
    ) -> StoredWindow:
        def run(conn: Connection) -> StoredWindow:
            current = _get(conn, window_id)
            values = MaintenanceWindowInput.merged(body, current.record()).fields()
            site_id = _site_id(conn, values["site"])
            conn.execute(
                "UPDATE maintenance_windows SET site_id = ?, weekdays = ?, start_min = ?,"
                " end_min = ?, notes = ?, updated_at = ? WHERE id = ?",
                (site_id, json.dumps(values["weekdays"]), values["start_min"],
                 values["end_min"], values["notes"], time.time(), window_id),
            )  # fmt: skip
            stored = _get(conn, window_id)
            before, after = changelog.diff(current.record(), stored.record())
            if after:
                changelog.record(
                    conn, user=user, entity=ENTITY, entity_id=window_id, action="update",
                    before=before, after=after,
                )  # fmt: skip
            return stored

        return await self.db.write(and_then(run, then))

    async def delete(self, window_id: int, *, user: str, then: Then) -> None:
        def run(conn: Connection) -> StoredWindow:
            current = _get(conn, window_id)
            conn.execute("DELETE FROM maintenance_windows WHERE id = ?", (window_id,))
            changelog.record(
                conn, user=user, entity=ENTITY, entity_id=window_id, action="delete",
                before=current.record(),
            )  # fmt: skip
            return current

        await self.db.write(and_then(run, then))


__all__ = [
    "COMPONENT",
    "ENTITY",
    "MaintenanceWindow",
    "MaintenanceWindowInput",
    "MaintenanceWindows",
    "StoredWindow",
    "load_recurring",
]
