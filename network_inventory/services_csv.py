"""CSV of the KPT service catalogue: export, and import with the inventory's rules.

Columns: ``id, name, kind, duration, delegated, kecamatan, notes``; ``kecamatan`` holds the
offering kecamatan's codes separated by ``;`` (commas or spaces also work), ``delegated`` is
``true``/``false`` (``ya``/``tidak``, ``yes``/``no``, ``y``/``n``, ``1``/``0`` too; blank:
false). The cells are checked by the same declaration as the REST input
(``services.ServiceInput``, in CSV mode). Every row is checked first; any bad row
rejects the whole file with one error per row and nothing is written. A row updates the service
its ``id`` names, else the one of the same name, else creates one; a column left out of the file
keeps the updated services' values; services missing from the file stay (delete them in the
admin page or over REST).
"""

from __future__ import annotations

import csv
import io

from network_inventory import services
from network_inventory.csvio import decode, read_rows
from network_inventory.errors import InventoryError, ValidationError
from network_inventory.names import name_key
from network_inventory.rows_import import RowsReport
from pendopo.db import Connection

COLUMNS = services.CSV_COLUMNS


def export_csv(conn: Connection) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in services.list_all(conn):
        cells = {
            "id": s.id,
            "name": s.name,
            "kind": s.kind.value,
            "duration": s.duration or "",
            "delegated": "true" if s.delegated else "false",
            "kecamatan": ";".join(o.code or str(o.site_id) for o in s.offices),
            "notes": s.notes or "",
        }
        writer.writerow([cells[c] for c in COLUMNS])
    return out.getvalue()


def _apply(conn: Connection, row: dict[str, str], user: str) -> str:
    """Create, or update with only the file's columns (a column left out keeps its value)."""
    given = services.ServiceInput.parse(row, text=True)
    fields = given.fields()
    if given.id is not None:
        services.get(conn, given.id)  # NotFound names the id
        found: int | None = given.id
    else:
        existing = services.by_name(conn, fields["name"])
        found = existing.id if existing else None
    if found is None:
        services.create(conn, fields, user=user)
        return "created"
    changes = services.check_fields(row, partial=True, text=True)
    _service, changed = services.update(conn, found, changes, user=user)
    return "updated" if changed else "unchanged"


def import_csv(conn: Connection, data: bytes | str, source: str, *, user: str) -> RowsReport:
    """Check and apply every row in the caller's transaction (raises on any bad row)."""
    rows = list(
        read_rows(decode(data, source), source, required=("name", "kind"), optional=COLUMNS)
    )
    report = RowsReport()
    errors: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        key = name_key(row.get("name", ""))
        if key and key in seen:
            errors.append({"row": where, "field": "name", "message": f"repeats {seen[key]}"})
            continue
        seen[key] = where
        try:
            outcome = _apply(conn, row, user)
        except InventoryError as exc:
            details = exc.details if isinstance(exc.details, list) else [{"message": exc.message}]
            errors += [{"row": where, **d} for d in details]
            continue
        report.rows += 1
        setattr(report, outcome, getattr(report, outcome) + 1)
    if errors:
        bad = len({e["row"] for e in errors})
        raise ValidationError(
            f"{source}: {bad} invalid row(s) of {len(rows)}; nothing was imported.",
            code="invalid_rows",
            details=errors,
        )
    return report


__all__ = ["COLUMNS", "export_csv", "import_csv"]
