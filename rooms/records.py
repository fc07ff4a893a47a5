"""Durable room records in SQLite: a room's title, state and creator survive a restart."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass

from pendopo.db import Connection, Database, Row
from rooms.model import Room, SessionState
from rooms.schedule import Schedule


@dataclass(frozen=True)
class RoomRecord:
    id: str
    title: str
    state: SessionState
    created_by: int | None
    created_at: float
    ended_at: float | None = None
    invited_sites: tuple[str, ...] = ()
    """Site codes the host invited (readiness: GET /api/rooms/{id}/readiness)."""
    schedule: Schedule | None = None
    """When it takes place (rooms.schedule); None: an unscheduled session, open at once."""

    def live(self) -> Room:
        starts_at = self.schedule.starts_at if self.schedule else None
        return Room(
            self.id, self.title, self.state, self.created_by, self.created_at, starts_at=starts_at
        )

    def invites(self, site_code: str) -> bool:
        """Whether the session invited this site, a site under it (a village of a kecamatan
        seat) or the site above it (the kecamatan of a village seat)."""
        return any(
            c == site_code or c.startswith(site_code + ".") or site_code.startswith(c + ".")
            for c in self.invited_sites
        )


def _record(row: Row) -> RoomRecord:
    return RoomRecord(
        id=row["id"],
        title=row["title"],
        state=SessionState(row["state"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        ended_at=row["ended_at"],
        invited_sites=tuple(json.loads(row["invited_sites"] or "[]")),
        schedule=(
            Schedule(row["starts_at"], row["duration_min"] or 0, row["agenda"] or "")
            if row["starts_at"] is not None
            else None
        ),
    )


class RoomRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, record: RoomRecord) -> None:
        await self.db.execute_write(
            "INSERT INTO rooms (id, title, state, created_by, created_at, ended_at, invited_sites,"
            " starts_at, duration_min, agenda) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.title,
                record.state.value,
                record.created_by,
                record.created_at,
                record.ended_at,
                json.dumps(list(record.invited_sites)),
                record.schedule.starts_at if record.schedule else None,
                record.schedule.duration_min if record.schedule else None,
                record.schedule.agenda if record.schedule else "",
            ),
        )

    async def get(self, room_id: str) -> RoomRecord | None:
        row = await self.db.fetchone("SELECT * FROM rooms WHERE id = ?", (room_id,))
        return _record(row) if row else None

    async def set_state(self, room_id: str, state: SessionState, at: float) -> None:
        await self.db.execute_write(
            "UPDATE rooms SET state = ?, ended_at = CASE WHEN ? = 'ended' THEN ? ELSE ended_at END"
            " WHERE id = ?",
            (state.value, state.value, at, room_id),
        )

    async def list(self, *, limit: int = 100, offset: int = 0) -> tuple[list[RoomRecord], int]:
        """Newest first, with the total count."""

        def query(conn: Connection) -> tuple[list[RoomRecord], int]:
            rows = conn.execute(
                "SELECT * FROM rooms ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            total = conn.execute("SELECT count(*) FROM rooms").fetchone()[0]
            return [_record(r) for r in rows], int(total)

        return await self.db.read(query)

    async def upcoming(self, now: float, *, limit: int = 200) -> builtins.list[RoomRecord]:
        """Sessions not ended whose schedule has not run out (or that have none), soonest
        first (unscheduled ones last, newest first)."""
        rows = await self.db.fetchall(
            "SELECT * FROM rooms WHERE state != 'ended'"
            " AND (starts_at IS NULL OR starts_at + coalesce(duration_min, 0) * 60 > ?)"
            " ORDER BY starts_at IS NULL, starts_at, created_at DESC LIMIT ?",
            (now, limit),
        )
        return [_record(r) for r in rows]
