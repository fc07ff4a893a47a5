"""Recurring maintenance windows (``maintenance_windows``): their table, checking, and the
repository the REST API (``web/maintenance_api.py``) edits them through.

Each change and its change-log entry (entity ``maintenance``) commit in one transaction, with
the caller's ``then`` (its audit record). The live sweep reads them all with
:func:`load_recurring` and asks :func:`network_inventory.maintenance.in_maintenance`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory import sites as sites_repo
from network_inventory.errors import NotFound, ValidationError
from network_inventory.maintenance import DAY_MIN, WEEKDAYS, RecurringWindow, clock
from network_inventory.model import iso
from pendopo.db import Component, Database, Then, and_then

ENTITY = "maintenance"
MAX_NOTES = 500
FIELDS = frozenset({"site", "site_id", "weekdays", "start", "end", "notes"})
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
    def from_row(cls, row: sqlite3.Row) -> StoredWindow:
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
        return {
            "id": self.id,
            **self.record(),
            "site_code": self.site_code,
            "site_name": self.site_name,
            "timezone": "WIB",
            "active_now": self.window.covers(now),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


# -- checking ---------------------------------------------------------------------------------
def _minute(value: object, name: str, errors: list[dict[str, str]]) -> int | None:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    minute = int(match[1]) * 60 + int(match[2]) if match else None
    if minute is None or minute > DAY_MIN:
        errors.append({"field": name, "message": "must be a time HH:MM from 00:00 to 24:00"})
        return None
    return minute


def validate(body: Mapping[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """A window's stored fields from a body (``current``: the stored record a PATCH changes).
    Raises :class:`ValidationError` listing every bad field."""
    errors: list[dict[str, str]] = []
    unknown = sorted(set(body) - FIELDS)
    for name in unknown:
        errors.append({"field": name, "message": "is not a field of a maintenance window"})
    merged: dict[str, Any] = dict(current or {})
    if "site" in body or "site_id" in body:
        merged["site"] = body["site"] if "site" in body else body["site_id"]
    for name in ("weekdays", "start", "end", "notes"):
        if name in body:
            merged[name] = body[name]
    out: dict[str, Any] = {"notes": None}
    site = merged.get("site", merged.get("site_id"))
    if isinstance(site, int) and not isinstance(site, bool) and site > 0:
        out["site"] = site
    elif isinstance(site, str) and site.strip():
        text = site.strip()
        out["site"] = int(text) if text.isdigit() else text
    else:
        errors.append({"field": "site", "message": "is required (a site id or code)"})
    days = merged.get("weekdays")
    if (
        not isinstance(days, list)
        or not days
        or any(isinstance(d, bool) or d not in WEEKDAYS for d in days)
    ):
        errors.append(
            {"field": "weekdays", "message": "must list one or more days, 1 Monday to 7 Sunday"}
        )
    else:
        out["weekdays"] = sorted(set(days))
    start = _minute(merged.get("start"), "start", errors)
    end = _minute(merged.get("end"), "end", errors)
    if start is not None and start >= DAY_MIN:
        errors.append({"field": "start", "message": "must be before 24:00"})
    if start is not None and end is not None and start == end:
        errors.append({"field": "end", "message": "must differ from the start"})
    out["start_min"], out["end_min"] = start, (DAY_MIN if end == 0 else end)
    notes = merged.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        errors.append({"field": "notes", "message": f"must be text of {MAX_NOTES} characters"})
    elif isinstance(notes, str):
        out["notes"] = notes.strip() or None
    if errors:
        raise ValidationError("The maintenance window is not valid.", details=errors)
    return out


# -- storage ----------------------------------------------------------------------------------
_SELECT = (
    "SELECT w.*, s.code AS site_code, s.name AS site_name FROM maintenance_windows w"
    " JOIN sites s ON s.id = w.site_id"
)


def load_recurring(conn: sqlite3.Connection) -> dict[int, tuple[RecurringWindow, ...]]:
    """Every site's recurring windows (what the live sweep reads each round)."""
    out: dict[int, list[RecurringWindow]] = {}
    for row in conn.execute(f"{_SELECT} ORDER BY w.id"):
        stored = StoredWindow.from_row(row)
        out.setdefault(stored.window.site_id, []).append(stored.window)
    return {site: tuple(windows) for site, windows in out.items()}


def _get(conn: sqlite3.Connection, window_id: int) -> StoredWindow:
    row = conn.execute(f"{_SELECT} WHERE w.id = ?", (window_id,)).fetchone()
    if row is None:
        raise NotFound(f"No maintenance window {window_id}.")
    return StoredWindow.from_row(row)


def _site_id(conn: sqlite3.Connection, ref: int | str) -> int:
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
        def run(conn: sqlite3.Connection) -> list[StoredWindow]:
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
        values = validate(body, None)

        def run(conn: sqlite3.Connection) -> StoredWindow:
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
        def run(conn: sqlite3.Connection) -> StoredWindow:
            current = _get(conn, window_id)
            values = validate(body, current.record())
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
        def run(conn: sqlite3.Connection) -> StoredWindow:
            current = _get(conn, window_id)
            conn.execute("DELETE FROM maintenance_windows WHERE id = ?", (window_id,))
            changelog.record(
                conn, user=user, entity=ENTITY, entity_id=window_id, action="delete",
                before=current.record(),
            )  # fmt: skip
            return current

        await self.db.write(and_then(run, then))


__all__ = ["COMPONENT", "ENTITY", "MaintenanceWindows", "StoredWindow", "load_recurring"]
