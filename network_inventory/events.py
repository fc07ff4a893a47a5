"""Reading the live half's record: the state changes of sites (``inventory_events``, newest
first) and one site's history of round trips and loss (``history.site_history``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict

from network_inventory import history
from network_inventory.errors import NotFound, ValidationError
from network_inventory.model import Page, Stamp
from network_inventory.state import State
from pendopo.db import Connection, Database, Row
from pendopo.declared import as_json


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

    def run(conn: Connection) -> tuple[int, list[Row]]:
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


@dataclass(frozen=True, kw_only=True)
class StateEvent:
    """One change of a site's shown state (``GET /api/events``). Declared once: its fields are
    the JSON answer and its OpenAPI schema."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    at: Stamp
    """ISO 8601 UTC"""
    site_id: int
    code: str | None
    """the site's Kemendagri code (null: none, or the site is gone)"""
    name: str | None
    """the site's name (null: the site is gone)"""
    previous: State
    state: State
    rtt_ms: float | None
    """the round trip measured with the change"""
    loss: float | None
    """0..1"""
    method: str | None
    """the probe kind that measured it (icmp, tcp, http, ...)"""
    alert_id: int | None
    """the alert it raised"""
    suppressed: str | None
    """why it raised none (maintenance, flapping, a grouped parent, ...)"""


def _event(r: Row) -> dict[str, Any]:
    event = StateEvent(
        id=r["id"],
        at=r["at"],
        site_id=r["site_id"],
        code=r["code"],
        name=r["name"],
        previous=State(r["previous"]),
        state=State(r["state"]),
        rtt_ms=r["rtt_ms"],
        loss=r["loss"],
        method=r["method"],
        alert_id=r["alert_id"],
        suppressed=r["suppressed"],
    )
    return as_json(event)


async def site_history(db: Database, site_id: int, range_name: str, now: float) -> dict[str, Any]:
    """``history.site_history`` of a stored site over ``range_name`` (24h, 7d, 30d)."""
    if range_name not in history.RANGES:
        raise ValidationError("range must be one of: 24h, 7d, 30d.", code="invalid_query")
    exists = await db.fetchone("SELECT 1 FROM sites WHERE id = ?", (site_id,))
    if exists is None:
        raise NotFound(f"No site {site_id}.")
    return await db.read(lambda conn: history.site_history(conn, site_id, range_name, now))
