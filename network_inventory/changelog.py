"""The change log: who changed which inventory record, when, and how (before/after)."""

from __future__ import annotations

import json
import time
from typing import Any

from network_inventory.model import Change
from pendopo.db import Connection


def record(
    conn: Connection,
    *,
    user: str,
    entity: str,
    entity_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction (so it commits or rolls back with it)."""
    conn.execute(
        "INSERT INTO change_log (at, user, entity, entity_id, action, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            time.time(),
            user,
            entity,
            entity_id,
            action,
            json.dumps(before, ensure_ascii=False) if before is not None else None,
            json.dumps(after, ensure_ascii=False) if after is not None else None,
        ),
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def list_changes(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    user: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Change], int]:
    where, params = [], []
    for column, value in (("entity", entity), ("entity_id", entity_id), ("user", user)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(f"SELECT count(*) FROM change_log{clause}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM change_log{clause} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return [Change.from_row(r) for r in rows], int(total)
