"""Links repository: each site's uplinks to its parent (primary priority 0, backups 1, 2, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory.model import Link
from network_inventory.table import Table
from pendopo.db import Connection

SELECT = """
SELECT l.*, s.code AS site_code, p.code AS parent_code, l.priority > 0 AS is_backup
FROM links l JOIN sites s ON s.id = l.site_id JOIN sites p ON p.id = l.parent_site_id
"""
ORDER = " ORDER BY s.code IS NULL, s.code, l.site_id, l.priority, l.id"
COLUMNS = Link.COLUMNS


@dataclass(frozen=True)
class LinkFilter:
    site_id: int | None = None
    parent_site_id: int | None = None
    statuses: Sequence[str] = ()
    media: Sequence[str] = ()


def get(conn: Connection, link_id: int) -> Link | None:
    row = conn.execute(SELECT + " WHERE l.id = ?", (link_id,)).fetchone()
    return Link.from_row(row) if row else None


TABLE = Table("links", "link", "link", get)


def list_links(
    conn: Connection, filt: LinkFilter, *, limit: int | None, offset: int = 0
) -> tuple[list[Link], int]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("l.site_id", filt.site_id), ("l.parent_site_id", filt.parent_site_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    for column, values in (("l.status", filt.statuses), ("l.medium", filt.media)):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(
        "SELECT count(*) FROM links l JOIN sites s ON s.id = l.site_id" + clause, params
    ).fetchone()[0]
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    extra = [limit, offset] if limit is not None else []
    rows = conn.execute(SELECT + clause + ORDER + page, [*params, *extra]).fetchall()
    return [Link.from_row(r) for r in rows], int(total)


def find(conn: Connection, site_id: int, parent_site_id: int, priority: int) -> list[Link]:
    rows = conn.execute(
        SELECT + " WHERE l.site_id = ? AND l.parent_site_id = ? AND l.priority = ? ORDER BY l.id",
        (site_id, parent_site_id, priority),
    ).fetchall()
    return [Link.from_row(r) for r in rows]


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: fields[k] for k in COLUMNS if k in fields}
    for key in ("medium", "status"):
        if key in values:
            values[key] = str(values[key])
    return values


def create(conn: Connection, fields: dict[str, Any], *, user: str | None) -> Link:
    """Insert a link (site ids resolved); ``user=None`` skips the change log (the seed)."""
    return TABLE.insert(conn, _values(fields), user=user)


def update(conn: Connection, link: Link, fields: dict[str, Any], *, user: str) -> tuple[Link, bool]:
    before = link.record()
    after = {**before, **{k: v for k, v in fields.items() if k in COLUMNS}}
    for key in ("medium", "status"):
        after[key] = str(after[key])
    old, new = changelog.diff(before, after)
    if not new:
        return link, False
    return TABLE.update(conn, link, _values(new), user=user, before=old, after=new), True
