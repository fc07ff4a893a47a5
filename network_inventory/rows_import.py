"""CSV import of links and probe targets (how IT staff load their real addresses).

Every row is checked first; any bad row (malformed, unknown site code, invalid IP or port, ...)
rejects the whole file with one error per row, and nothing is written. Rows then update what
they identify (``id``, else the same site/parent/priority for links, the same
site/kind/host/port/url for probes) or create new records, all in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from network_inventory import links as links_repo
from network_inventory import probes as probes_repo
from network_inventory import sites as sites_repo
from network_inventory.csvio import decode, read_rows
from network_inventory.errors import InventoryError, ValidationError
from network_inventory.model import Link, ProbeTarget
from network_inventory.records import LinkInput, ProbeInput
from pendopo.db import Connection

LINK_COLUMNS = Link.CSV_COLUMNS
"""The export's columns, so an exported file, edited in a spreadsheet, imports again."""
PROBE_COLUMNS = ProbeTarget.CSV_COLUMNS


@dataclass
class RowsReport:
    """What an import did (``public()`` is its JSON answer, its fields the OpenAPI schema)."""

    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def public(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


Apply = Callable[[Connection, dict[str, str], str], str]
"""Checks and stores one row; returns "created", "updated" or "unchanged"."""


def _run(
    conn: Connection, data: bytes | str, source: str, columns: tuple[str, ...], apply: Apply
) -> RowsReport:
    rows = list(read_rows(decode(data, source), source, required=(), optional=columns))
    report = RowsReport(rows=len(rows))
    errors: list[dict[str, str]] = []
    for where, row in rows:
        try:
            outcome = apply(conn, row, where)
        except InventoryError as exc:
            details = exc.details if isinstance(exc.details, list) else None
            for item in details or [{"message": exc.message}]:
                errors.append({"row": where, **item})
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if errors:
        # Raising rolls the caller's transaction back: nothing of this file stays written.
        bad_rows = len({e["row"] for e in errors})  # a row may have several bad fields
        raise ValidationError(
            f"{source}: {bad_rows} invalid row(s) of {len(rows)}; nothing was imported.",
            code="invalid_rows",
            details=errors,
        )
    return report


def _site_id(conn: Connection, ref: int | str, field: str) -> int:
    try:
        return sites_repo.resolve(conn, ref).id
    except InventoryError as exc:
        message = exc.message
        raise ValidationError(message, details=[{"field": field, "message": message}]) from exc


def _row_id(row: dict[str, str]) -> int | None:
    text = row.get("id", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError("id must be a number", details=[{"field": "id", "message": text}])
    return int(text)


def _apply_link(conn: Connection, row: dict[str, str], user: str) -> str:
    cells = {k: v for k, v in row.items() if k != "id"}
    fields = LinkInput.parse(cells, text=True).fields(text=True)
    fields["site_id"] = _site_id(conn, fields.pop("site"), "site_code")
    fields["parent_site_id"] = _site_id(conn, fields.pop("parent"), "parent_code")
    link_id = _row_id(row)
    if link_id is not None:
        link = links_repo.get(conn, link_id)
        if link is None:
            raise ValidationError(
                f"no link {link_id}", details=[{"field": "id", "message": f"no link {link_id}"}]
            )
    else:
        same = links_repo.find(
            conn, fields["site_id"], fields["parent_site_id"], fields["priority"]
        )
        if len(same) > 1:
            message = "several links have this site, parent and priority: give the id"
            raise ValidationError(message, details=[{"field": "id", "message": message}])
        link = same[0] if same else None
    if link is None:
        links_repo.create(conn, fields, user=user)
        return "created"
    _, changed = links_repo.update(conn, link, fields, user=user)
    return "updated" if changed else "unchanged"


def _apply_probe(conn: Connection, row: dict[str, str], user: str) -> str:
    cells = {k: v for k, v in row.items() if k != "id"}
    fields = ProbeInput.parse(cells, text=True).fields(text=True)
    fields["site_id"] = _site_id(conn, fields.pop("site"), "site_code")
    probe_id = _row_id(row)
    if probe_id is not None:
        probe = probes_repo.get(conn, probe_id)
        if probe is None:
            message = f"no probe target {probe_id}"
            raise ValidationError(message, details=[{"field": "id", "message": message}])
    else:
        probe = probes_repo.find_same(conn, fields)
    if probe is None:
        probes_repo.create(conn, fields, user=user)
        return "created"
    _, changed = probes_repo.update(conn, probe, fields, user=user)
    return "updated" if changed else "unchanged"


def import_links(conn: Connection, data: bytes | str, source: str, *, user: str) -> RowsReport:
    return _run(conn, data, source, LINK_COLUMNS, lambda c, r, w: _apply_link(c, r, user))


def import_probes(conn: Connection, data: bytes | str, source: str, *, user: str) -> RowsReport:
    return _run(conn, data, source, PROBE_COLUMNS, lambda c, r, w: _apply_probe(c, r, user))
