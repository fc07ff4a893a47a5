"""Sites repository: SQL for the ``sites`` table. Functions take a connection, so a caller can
compose several of them in one transaction (``db.write``); mutations write the change log."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory.errors import Conflict, NotFound, ValidationError
from network_inventory.model import Site
from network_inventory.names import name_key
from network_inventory.table import Table
from pendopo.db import Connection

SELECT = """
SELECT s.*, p.code AS parent_code,
    (SELECT l.status FROM links l
      WHERE l.site_id = s.id AND l.status <> 'decommissioned'
      ORDER BY l.priority, l.id LIMIT 1) AS uplink_status
FROM sites s LEFT JOIN sites p ON p.id = s.parent_id
"""
ORDER = " ORDER BY s.code IS NULL, s.code, s.name_key, s.id"
COLUMNS = Site.COLUMNS


@dataclass(frozen=True)
class SiteFilter:
    kinds: Sequence[str] = ()
    parent_id: int | None = None
    uplink_status: Sequence[str] = ()
    q: str | None = None
    ids: Collection[int] | None = None
    """Only these sites (e.g. those the prober reports in a given state)."""


def get(conn: Connection, site_id: int) -> Site | None:
    row = conn.execute(SELECT + " WHERE s.id = ?", (site_id,)).fetchone()
    return Site.from_row(row) if row else None


TABLE = Table("sites", "site", "site", get)


def by_code(conn: Connection, code: str) -> Site | None:
    row = conn.execute(SELECT + " WHERE s.code = ?", (code,)).fetchone()
    return Site.from_row(row) if row else None


def resolve(conn: Connection, ref: int | str, *, what: str = "site") -> Site:
    """A site by id (int) or code (str), or :class:`NotFound`."""
    site = get(conn, ref) if isinstance(ref, int) else by_code(conn, ref)
    if site is None:
        raise NotFound(f"No {what} {ref!r}.", code="site_not_found")
    return site


def _where(filt: SiteFilter) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filt.kinds:
        where.append(f"s.kind IN ({','.join('?' * len(filt.kinds))})")
        params.extend(filt.kinds)
    if filt.parent_id is not None:
        where.append("s.parent_id = ?")
        params.append(filt.parent_id)
    if filt.uplink_status:
        where.append(
            "(SELECT l.status FROM links l WHERE l.site_id = s.id AND l.status <> 'decommissioned'"
            f" ORDER BY l.priority, l.id LIMIT 1) IN ({','.join('?' * len(filt.uplink_status))})"
        )
        params.extend(filt.uplink_status)
    if filt.q:
        key = name_key(filt.q)
        where.append("(s.name_key LIKE ? OR s.code LIKE ?)")
        params.extend([f"%{key}%", f"{filt.q.strip()}%"])
    if filt.ids is not None:
        where.append("s.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(filt.ids)))
    return (" WHERE " + " AND ".join(where)) if where else "", params


def list_sites(
    conn: Connection, filt: SiteFilter, *, limit: int | None, offset: int = 0
) -> tuple[list[Site], int]:
    clause, params = _where(filt)
    total = conn.execute(f"SELECT count(*) FROM sites s{clause}", params).fetchone()[0]
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    extra = [limit, offset] if limit is not None else []
    rows = conn.execute(SELECT + clause + ORDER + page, [*params, *extra]).fetchall()
    return [Site.from_row(r) for r in rows], int(total)


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM sites").fetchone()[0])


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: fields[k] for k in COLUMNS if k in fields}
    if "tags" in values:
        values["tags"] = json.dumps(list(values["tags"]), ensure_ascii=False)
    if "kind" in values:
        values["kind"] = str(values["kind"])
    return values


def _check_parent(conn: Connection, site_id: int | None, parent_id: int | None) -> None:
    """The parent exists and is not the site itself or one of its descendants."""
    seen: set[int] = set()
    current = parent_id
    while current is not None:
        if current == site_id:
            raise Conflict("A site cannot be its own ancestor.", code="parent_cycle")
        if current in seen:
            break
        seen.add(current)
        row = conn.execute("SELECT parent_id FROM sites WHERE id = ?", (current,)).fetchone()
        if row is None:
            raise NotFound(f"No parent site {current}.", code="site_not_found")
        current = row[0]


def _check_code_free(conn: Connection, code: str | None, site_id: int | None) -> None:
    if code is None:
        return
    row = conn.execute("SELECT id FROM sites WHERE code = ?", (code,)).fetchone()
    if row is not None and row[0] != site_id:
        raise Conflict(f"Code {code} is already used by site {row[0]}.", code="duplicate_code")


def create(conn: Connection, fields: dict[str, Any], *, user: str) -> Site:
    """Insert a site from checked fields (``parent_id`` resolved) and log it."""
    _check_code_free(conn, fields.get("code"), None)
    _check_parent(conn, None, fields.get("parent_id"))
    values = _values(fields)
    values["name_key"] = name_key(fields["name"])
    return TABLE.insert(conn, values, user=user)


def update(
    conn: Connection,
    site: Site,
    fields: dict[str, Any],
    *,
    user: str,
    action: str = "update",
) -> tuple[Site, bool]:
    """Apply the given fields; writes (and logs) only what differs. Returns (site, changed)."""
    before = site.record()
    after = {**before, **{k: v for k, v in fields.items() if k in COLUMNS}}
    after["tags"] = list(after["tags"])
    if "kind" in after:
        after["kind"] = str(after["kind"])
    old, new = changelog.diff(before, after)
    if not new:
        return site, False
    if "code" in new:
        _check_code_free(conn, new["code"], site.id)
    if "parent_id" in new:
        _check_parent(conn, site.id, new["parent_id"])
    values = _values(new)
    if "name" in new:
        values["name_key"] = name_key(new["name"])
    return TABLE.update(conn, site, values, user=user, before=old, after=new, action=action), True


def delete(conn: Connection, site: Site, *, user: str) -> None:
    children = conn.execute("SELECT count(*) FROM sites WHERE parent_id = ?", (site.id,))
    if children.fetchone()[0]:
        raise Conflict(
            f"Site {site.name} has child sites; move or delete them first.", code="has_children"
        )
    TABLE.delete(conn, site, user=user)


def resolve_parent(conn: Connection, ref: int | str | None) -> int | None:
    """``parent`` reference (id or code) to an id; a 400 naming the field when unknown."""
    if ref is None:
        return None
    try:
        return resolve(conn, ref, what="parent site").id
    except NotFound as exc:
        message = exc.message
        raise ValidationError(message, details=[{"field": "parent", "message": message}]) from exc
