"""Reading the live half's record: the state changes of sites (``inventory_events``, newest
first) and one site's history of round trips and loss (``history.site_history``)."""

from __future__ import annotations

import sqlite3
from typing import Any

from network_inventory import history
from network_inventory.errors import NotFound, ValidationError
from network_inventory.model import Page, iso
from network_inventory.state import State
from pendopo.db import Database


async def list_events(
    db: Database, *, site_id: int | None, state: State | None, limit: int, offset: int
) -> Page:
    """One page of state changes, newest first, of one site and/or into one state."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if site_id is not None:
        where.append("e.site_id = ?")
        params.append(site_id)
    if state is not None:
        where.append("e.state = ?")
        params.append(state.value)
    clause = " AND ".join(where)

    def run(conn: sqlite3.Connection) -> tuple[int, list[sqlite3.Row]]:
        total = conn.execute(
            f"SELECT count(*) FROM inventory_events e WHERE {clause}", params
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT e.*, s.code, s.name FROM inventory_events e"
            f" LEFT JOIN sites s ON s.id = e.site_id WHERE {clause}"
            " ORDER BY e.at DESC, e.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return total, rows

    total, rows = await db.read(run)
    return Page([_event(r) for r in rows], total, limit, offset)


def _event(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "at": iso(r["at"]),
        "site_id": r["site_id"],
        "code": r["code"],
        "name": r["name"],
        "previous": r["previous"],
        "state": r["state"],
        "rtt_ms": r["rtt_ms"],
        "loss": r["loss"],
        "method": r["method"],
        "alert_id": r["alert_id"],
        "suppressed": r["suppressed"],
    }


async def site_history(db: Database, site_id: int, range_name: str, now: float) -> dict[str, Any]:
    """``history.site_history`` of a stored site over ``range_name`` (24h, 7d, 30d)."""
    if range_name not in history.RANGES:
        raise ValidationError("range must be one of: 24h, 7d, 30d.", code="invalid_query")
    exists = await db.fetchone("SELECT 1 FROM sites WHERE id = ?", (site_id,))
    if exists is None:
        raise NotFound(f"No site {site_id}.")
    return await db.read(lambda conn: history.site_history(conn, site_id, range_name, now))
