"""CSV of the KPT service catalogue: export, and import with the inventory's rules.

Columns: ``id, name, kind, duration, delegated, kecamatan, notes``; ``kecamatan`` holds the
offering kecamatan's codes separated by ``;`` (commas or spaces also work), ``delegated`` is
``true``/``false`` (``ya``/``tidak``, ``1``/``0`` too). Every row is checked first; any bad row
rejects the whole file with one error per row and nothing is written. A row updates the service
its ``id`` names, else the one of the same name, else creates one; a column left out of the file
keeps the updated services' values; services missing from the file stay (delete them in the
admin page or over REST).
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from typing import Any

from network_inventory import services
from network_inventory.csvio import decode, read_rows
from network_inventory.errors import InventoryError, ValidationError
from network_inventory.names import name_key
from network_inventory.rows_import import RowsReport

COLUMNS = ("id", "name", "kind", "duration", "delegated", "kecamatan", "notes")
_TRUE, _FALSE = {"true", "1", "yes", "ya", "y"}, {"false", "0", "no", "tidak", "t", "n", ""}
_SPLIT = re.compile(r"[;,\s]+")


def export_csv(conn: sqlite3.Connection) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in services.list_all(conn):
        writer.writerow(
            [
                s.id,
                s.name,
                s.kind.value,
                s.duration or "",
                "true" if s.delegated else "false",
                ";".join(o.code or str(o.site_id) for o in s.offices),
                s.notes or "",
            ]
        )
    return out.getvalue()


def _row_data(row: dict[str, str]) -> tuple[int | None, dict[str, Any]]:
    """A CSV row as the REST input (strings to their types); the id, if given."""
    problems = []
    raw_id = row.get("id", "").strip()
    service_id = None
    if raw_id:
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 18:
            service_id = int(raw_id)
        else:
            problems.append({"field": "id", "message": "must be a whole number"})
    data: dict[str, Any] = {"name": row.get("name", ""), "kind": row.get("kind", "").strip()}
    for key in ("duration", "notes"):
        if key in row:
            data[key] = row[key]
    if "delegated" in row:
        flag = row["delegated"].strip().lower()
        if flag not in _TRUE | _FALSE:
            problems.append({"field": "delegated", "message": "must be true or false"})
        data["delegated"] = flag in _TRUE
    if "kecamatan" in row:
        data["kecamatan"] = [c for c in _SPLIT.split(row["kecamatan"]) if c]
    if problems:
        raise ValidationError("The row is not valid.", details=problems)
    return service_id, data


def _apply(
    conn: sqlite3.Connection, service_id: int | None, data: dict[str, Any], user: str
) -> str:
    """Create, or update with only the file's columns (a column left out keeps its value)."""
    fields = services.check_fields(data, partial=False)
    if service_id is not None:
        services.get(conn, service_id)  # NotFound names the id
        found: int | None = service_id
    else:
        existing = services.by_name(conn, fields["name"])
        found = existing.id if existing else None
    if found is None:
        services.create(conn, fields, user=user)
        return "created"
    changes = services.check_fields(data, partial=True)
    _service, changed = services.update(conn, found, changes, user=user)
    return "updated" if changed else "unchanged"


def import_csv(
    conn: sqlite3.Connection, data: bytes | str, source: str, *, user: str
) -> RowsReport:
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
            service_id, parsed = _row_data(row)
            outcome = _apply(conn, service_id, parsed, user)
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
