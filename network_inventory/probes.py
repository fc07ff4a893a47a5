"""Probe targets repository: what the prober measures for each site (and optionally which link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory.errors import ValidationError
from network_inventory.model import ProbeTarget
from network_inventory.table import Table
from pendopo.db import Connection

SELECT = """
SELECT t.*, s.code AS site_code FROM probe_targets t JOIN sites s ON s.id = t.site_id
"""
ORDER = " ORDER BY s.code IS NULL, s.code, t.site_id, t.id"
COLUMNS = ProbeTarget.COLUMNS


@dataclass(frozen=True)
class ProbeFilter:
    site_id: int | None = None
    kind: str | None = None
    enabled: bool | None = None


def get(conn: Connection, probe_id: int) -> ProbeTarget | None:
    row = conn.execute(SELECT + " WHERE t.id = ?", (probe_id,)).fetchone()
    return ProbeTarget.from_row(row) if row else None


TABLE = Table("probe_targets", "probe", "probe target", get)


def list_probes(
    conn: Connection, filt: ProbeFilter, *, limit: int | None, offset: int = 0
) -> tuple[list[ProbeTarget], int]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("t.site_id", filt.site_id), ("t.kind", filt.kind)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if filt.enabled is not None:
        where.append("t.enabled = ?")
        params.append(int(filt.enabled))
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(
        "SELECT count(*) FROM probe_targets t JOIN sites s ON s.id = t.site_id" + clause, params
    ).fetchone()[0]
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    extra = [limit, offset] if limit is not None else []
    rows = conn.execute(SELECT + clause + ORDER + page, [*params, *extra]).fetchall()
    return [ProbeTarget.from_row(r) for r in rows], int(total)


def find_same(conn: Connection, fields: dict[str, Any]) -> ProbeTarget | None:
    """The existing target of the same site measuring the same thing (kind, host, port, url)."""
    row = conn.execute(
        SELECT + " WHERE t.site_id = ? AND t.kind = ? AND t.host = ?"
        " AND t.port IS ? AND t.url IS ? ORDER BY t.id LIMIT 1",
        (fields["site_id"], str(fields["kind"]), fields["host"], fields["port"], fields["url"]),
    ).fetchone()
    return ProbeTarget.from_row(row) if row else None


def check_link(conn: Connection, site_id: int, link_id: int | None) -> None:
    if link_id is None:
        return
    row = conn.execute("SELECT site_id FROM links WHERE id = ?", (link_id,)).fetchone()
    if row is None or row[0] != site_id:
        message = f"Link {link_id} is not an uplink of this site."
        raise ValidationError(message, details=[{"field": "link_id", "message": message}])


def _values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: fields[k] for k in COLUMNS if k in fields}
    if "kind" in values:
        values["kind"] = str(values["kind"])
    if "enabled" in values:
        values["enabled"] = int(bool(values["enabled"]))
    return values


def create(conn: Connection, fields: dict[str, Any], *, user: str) -> ProbeTarget:
    check_link(conn, fields["site_id"], fields.get("link_id"))
    return TABLE.insert(conn, _values(fields), user=user)


def update(
    conn: Connection, probe: ProbeTarget, fields: dict[str, Any], *, user: str
) -> tuple[ProbeTarget, bool]:
    before = probe.record()
    after = {**before, **{k: v for k, v in fields.items() if k in COLUMNS}}
    after["kind"] = str(after["kind"])
    after["enabled"] = bool(after["enabled"])
    old, new = changelog.diff(before, after)
    if not new:
        return probe, False
    check_link(conn, after["site_id"], after["link_id"])
    return TABLE.update(conn, probe, _values(new), user=user, before=old, after=new), True
