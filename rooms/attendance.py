"""The attendance list (daftar hadir) of a session: who was in it, from where, and for how long.

``signaling.meeting.Meeting`` decides when someone enters, drops, comes back and leaves, and tells
an :class:`AttendanceLog` (handed in by pendopo/app.py). One row per participant (a person who
leaves and joins again is a second row), written to SQLite as it happens, so the list survives a
restart of the server. Only admitted participants are listed: waiting in the lobby is not
attendance.

:func:`report` turns the rows into the form a regency files: per invited site who came and who
did not, grouped by kecamatan (``GET /api/rooms/{id}/attendance``, its CSV and printable page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, TypeAdapter, computed_field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from pendopo.db import Component, Database, Row
from rooms.model import Participant, SessionState
from rooms.records import RoomRecord
from rooms.schedule import WIB
from rooms.sites import SiteDirectory, site_and_parent

COMPONENT = Component(
    "attendance",
    [
        """
        CREATE TABLE attendance (
            room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
            participant_id TEXT NOT NULL,
            name TEXT NOT NULL,
            site_code TEXT,
            role TEXT NOT NULL,
            joined_at REAL NOT NULL,
            left_at REAL,
            present_s REAL NOT NULL DEFAULT 0,
            since REAL,
            reconnects INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (room_id, participant_id)
        );
        """,
    ],
)
"""``since``: start of the stretch the participant is connected now (NULL while away)."""


@dataclass(frozen=True)
class Attendee:
    participant_id: str
    name: str
    site_code: str | None
    role: str
    joined_at: float
    left_at: float | None
    present_s: float
    """Seconds connected so far (closed stretches; see :meth:`present_until`)."""
    since: float | None
    reconnects: int

    def present_until(self, now: float) -> float:
        """Seconds present, counting the open stretch up to ``now``."""
        return self.present_s + (max(0.0, now - self.since) if self.since is not None else 0.0)


def _attendee(row: Row) -> Attendee:
    return Attendee(
        participant_id=row["participant_id"],
        name=row["name"],
        site_code=row["site_code"],
        role=row["role"],
        joined_at=row["joined_at"],
        left_at=row["left_at"],
        present_s=row["present_s"],
        since=row["since"],
        reconnects=row["reconnects"],
    )


_CLOSE = "present_s = present_s + CASE WHEN since IS NULL THEN 0 ELSE max(0, ? - since) END"
"""Add the open stretch (up to the given time) to the time present."""


class AttendanceLog:
    """Durable attendance rows, written by the meeting as people enter, drop, return, leave."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def admitted(self, p: Participant, at: float) -> None:
        """``p`` entered the session (admitted from the lobby, or straight in)."""
        await self.db.execute_write(
            "INSERT OR IGNORE INTO attendance (room_id, participant_id, name, site_code, role,"
            " joined_at, since) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (p.room_id, p.id, p.name, p.site_code, p.role.value, at, at),
        )

    async def dropped(self, p: Participant, at: float) -> None:
        """``p``'s connection dropped; it may come back within the grace period."""
        await self.db.execute_write(
            f"UPDATE attendance SET {_CLOSE}, since = NULL"
            " WHERE room_id = ? AND participant_id = ? AND left_at IS NULL",
            (at, p.room_id, p.id),
        )

    async def reconnected(self, p: Participant, at: float) -> None:
        """``p`` came back with its resume token (a reload, a network outage)."""
        await self.db.execute_write(
            "UPDATE attendance SET reconnects = reconnects + 1, since = coalesce(since, ?)"
            " WHERE room_id = ? AND participant_id = ? AND left_at IS NULL",
            (at, p.room_id, p.id),
        )

    async def left(self, p: Participant, at: float) -> None:
        """``p`` left, was removed, or its grace period ran out (``at``: when it went)."""
        await self.db.execute_write(
            f"UPDATE attendance SET {_CLOSE}, since = NULL, left_at = ?"
            " WHERE room_id = ? AND participant_id = ? AND left_at IS NULL",
            (at, at, p.room_id, p.id),
        )

    async def ended(self, room_id: str, at: float) -> None:
        """The session ended: everyone still in it leaves now."""
        await self.db.execute_write(
            f"UPDATE attendance SET {_CLOSE}, since = NULL, left_at = coalesce(left_at, ?)"
            " WHERE room_id = ? AND left_at IS NULL",
            (at, at, room_id),
        )

    async def attendees(self, room_id: str) -> list[Attendee]:
        rows = await self.db.fetchall(
            "SELECT * FROM attendance WHERE room_id = ? ORDER BY joined_at, participant_id",
            (room_id,),
        )
        return [_attendee(r) for r in rows]


# -- the report --------------------------------------------------------------------------------
def wib_stamp(at: float | None) -> str:
    """Epoch seconds as a WIB date and time (``2026-12-03 09:00:00``); "" for none."""
    return "" if at is None else dt.datetime.fromtimestamp(at, WIB).strftime("%Y-%m-%d %H:%M:%S")


@pydantic_dataclass(frozen=True, config=ConfigDict(use_attribute_docstrings=True))
class AttendanceLine:
    """One line of the list: a person who came, or an invited site nobody came from. Declared
    once: its fields are the JSON answer and its OpenAPI schema; :data:`CSV_COLUMNS` and
    :meth:`csv_cells` are its CSV (Indonesian headers, times in WIB)."""

    kecamatan: str
    """Name of the kecamatan the site lies in ("" for the regency office / no site)."""
    site: str
    """"Village, Kecamatan", the kecamatan's own name, or "" (no site given)."""
    site_code: str | None
    name: str
    """The person's name; "" for an absent site."""
    role: str
    joined_at: float | None
    """epoch seconds"""
    left_at: float | None
    """epoch seconds"""
    present_s: float
    reconnects: int
    invited: bool
    """Whether the site was invited (or lies under / above an invited one)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def absent(self) -> bool:
        """An invited site nobody came from."""
        return not self.name

    def csv_cells(self) -> list[object]:
        """The line under :data:`CSV_COLUMNS`."""
        return [
            self.kecamatan,
            self.site,
            self.site_code or "",
            self.name,
            self.role,
            wib_stamp(self.joined_at),
            wib_stamp(self.left_at),
            f"{self.present_s / 60:.1f}" if not self.absent else "",
            self.reconnects if not self.absent else "",
            "tidak hadir" if self.absent else "hadir",
        ]


CSV_COLUMNS = (
    "kecamatan",  # kecamatan
    "lokasi",  # site
    "kode_lokasi",  # site_code
    "nama",  # name
    "peran",  # role
    "bergabung_wib",  # joined_at
    "keluar_wib",  # left_at
    "hadir_menit",  # present_s
    "sambung_ulang",  # reconnects
    "keterangan",  # absent: "hadir" / "tidak hadir"
)


@pydantic_dataclass(frozen=True, config=ConfigDict(use_attribute_docstrings=True))
class AttendanceRoom:
    """The session an attendance list is of."""

    id: str
    title: str
    state: SessionState
    """now (the live state when the session is running)"""
    created_at: float
    ended_at: float | None
    starts_at: float | None
    """scheduled sessions only"""
    duration_min: int | None
    agenda: str
    invited_sites: list[str]

    @classmethod
    def of(cls, record: RoomRecord, state: SessionState) -> AttendanceRoom:
        schedule = record.schedule
        return cls(
            id=record.id,
            title=record.title,
            state=state,
            created_at=record.created_at,
            ended_at=record.ended_at,
            starts_at=schedule.starts_at if schedule else None,
            duration_min=schedule.duration_min if schedule else None,
            agenda=schedule.agenda if schedule else "",
            invited_sites=list(record.invited_sites),
        )


@pydantic_dataclass(frozen=True, config=ConfigDict(use_attribute_docstrings=True))
class Attendance:
    """A session's attendance list as the API answers it."""

    region: str
    room: AttendanceRoom
    lines: list[AttendanceLine]
    absent_sites: list[str]
    """Codes of invited sites nobody joined from."""

    def public(self) -> dict[str, Any]:
        data: dict[str, Any] = _ATTENDANCE.dump_python(self, mode="json")
        return data


_ATTENDANCE: TypeAdapter[Attendance] = TypeAdapter(Attendance)


@dataclass(frozen=True)
class Report:
    room: RoomRecord
    lines: list[AttendanceLine]
    """Present people and absent invited sites, by kecamatan, then site, then join time."""
    absent_sites: list[str]
    """Codes of invited sites nobody joined from."""


def _related(a: str, b: str) -> bool:
    """The same site, or one lies under the other (a village of a kecamatan)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


async def site_label(directory: SiteDirectory, code: str | None) -> tuple[str, str]:
    """(kecamatan name, ``DirectorySite.label``) of a site code; ("", "") without one."""
    if code is None:
        return "", ""
    site, parent = await site_and_parent(directory, code)
    if site is None:
        return "", code
    if site.kind == "kecamatan":
        return site.name, site.label(parent)
    kecamatan = parent.name if parent is not None and parent.kind == "kecamatan" else ""
    return kecamatan, site.label(parent)


async def report(
    record: RoomRecord, attendees: Iterable[Attendee], directory: SiteDirectory, now: float
) -> Report:
    people = list(attendees)
    lines = []
    for a in people:
        kecamatan, label = await site_label(directory, a.site_code)
        invited = a.site_code is not None and any(
            _related(a.site_code, c) for c in record.invited_sites
        )
        lines.append(
            AttendanceLine(
                kecamatan=kecamatan,
                site=label,
                site_code=a.site_code,
                name=a.name,
                role=a.role,
                joined_at=a.joined_at,
                left_at=a.left_at,
                present_s=round(a.present_until(a.left_at if a.left_at is not None else now), 1),
                reconnects=a.reconnects,
                invited=invited,
            )
        )
    came = [a.site_code for a in people if a.site_code is not None]
    absent = [c for c in record.invited_sites if not any(_related(s, c) for s in came)]
    for code in absent:
        kecamatan, label = await site_label(directory, code)
        lines.append(
            AttendanceLine(kecamatan, label, code, "", "", None, None, 0.0, 0, invited=True),
        )
    # The regency office (no kecamatan) first, then kecamatan by name; absent sites last in each.
    lines.sort(key=lambda x: (x.kecamatan != "", x.kecamatan, x.site, x.absent, x.joined_at or 0))
    return Report(record, lines, absent)


__all__ = [
    "COMPONENT",
    "CSV_COLUMNS",
    "Attendance",
    "AttendanceLine",
    "AttendanceLog",
    "AttendanceRoom",
    "Attendee",
    "Report",
    "report",
    "site_label",
    "wib_stamp",
]
