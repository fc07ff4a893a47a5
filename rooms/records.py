"""Durable room records in SQLite: a room's title, state and creator survive a restart."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from pendopo.db import Database
from rooms.model import Room, SessionState


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

    def live(self) -> Room:
        return Room(self.id, self.title, self.state, self.created_by, self.created_at)


def _record(row: sqlite3.Row) -> RoomRecord:
    return RoomRecord(
        id=row["id"],
        title=row["title"],
        state=SessionState(row["state"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        ended_at=row["ended_at"],
        invited_sites=tuple(json.loads(row["invited_sites"] or "[]")),
    )


class RoomRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, record: RoomRecord) -> None:
        await self.db.execute_write(
            "INSERT INTO rooms (id, title, state, created_by, created_at, ended_at, invited_sites)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.title,
                record.state.value,
                record.created_by,
                record.created_at,
                record.ended_at,
                json.dumps(list(record.invited_sites)),
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

        def query(conn: sqlite3.Connection) -> tuple[list[RoomRecord], int]:
            rows = conn.execute(
                "SELECT * FROM rooms ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            total = conn.execute("SELECT count(*) FROM rooms").fetchone()[0]
            return [_record(r) for r in rows], int(total)

        return await self.db.read(query)
