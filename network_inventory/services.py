"""The KPT service catalogue: what the board at the KPT entrance lists, and where.

A service has a name, a kind (perizinan = permit, non-perizinan), the duration promised on the
board ("5 menit"), whether it is delegated to the kecamatan offices and which kecamatan offer it.
Only the structure and the one example the regency gives are seeded (:data:`STRUCTURE`,
:data:`SEED`); the KPT enters the rest (admin page, REST, CSV).

Functions here take a connection and run inside the caller's transaction: a change and its
change-log entry (``change_log``, entity ``service``) commit together.
"""

from __future__ import annotations

import enum
import sqlite3
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from network_inventory import changelog
from network_inventory.errors import Conflict, NotFound, ValidationError
from network_inventory.model import SiteKind, iso
from network_inventory.names import name_key

ENTITY = "service"
"""The change log's entity of catalogue edits."""


class ServiceKind(enum.StrEnum):
    PERMIT = "perizinan"
    NON_PERMIT = "non-perizinan"


@dataclass(frozen=True)
class Structure:
    """What the regency says of its catalogue (the totals the KPT's list grows towards)."""

    perizinan: int = 52
    non_perizinan: int = 10
    delegated: int = 16
    """Of the perizinan services, delegated to the kecamatan offices."""

    def public(self) -> dict[str, int]:
        return {
            "perizinan": self.perizinan,
            "non_perizinan": self.non_perizinan,
            "delegated": self.delegated,
        }


STRUCTURE = Structure()

SEED: Mapping[str, Any] = {
    "name": "KTP",
    "kind": ServiceKind.PERMIT.value,
    "duration": "5 menit",
    "delegated": True,
}
"""The regency's one example: a KTP is issued at a kecamatan office in about five minutes
(delegated; offered at every kecamatan of the inventory when seeded)."""

NAME_MAX = 120
DURATION_MAX = 40
NOTES_MAX = 500
FIELDS = ("name", "kind", "duration", "delegated", "kecamatan", "notes")
_READ_ONLY = ("id", "created_at", "updated_at")
_COLUMNS = ("name", "kind", "duration", "delegated", "notes")


@dataclass(frozen=True)
class Office:
    """A kecamatan offering a service."""

    site_id: int
    code: str | None
    name: str


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    kind: ServiceKind
    duration: str | None
    delegated: bool
    offices: tuple[Office, ...]
    notes: str | None
    created_at: float
    updated_at: float

    def record(self) -> dict[str, Any]:
        """The editable fields, as the change log keeps them."""
        return {
            "name": self.name,
            "kind": self.kind.value,
            "duration": self.duration,
            "delegated": self.delegated,
            "kecamatan": [o.code or str(o.site_id) for o in self.offices],
            "notes": self.notes,
        }

    def public(self) -> dict[str, Any]:
        """The REST shape (staff): with the offices' codes and names."""
        return {
            "id": self.id,
            **self.record(),
            "kecamatan": [{"code": o.code, "name": o.name} for o in self.offices],
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


# -- validation -------------------------------------------------------------------------------
def _text(value: Any, field: str, limit: int, problems: list[dict[str, str]]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append({"field": field, "message": "must be text"})
        return None
    text = " ".join(value.split())
    if len(text) > limit:
        problems.append({"field": field, "message": f"must be at most {limit} characters"})
    if any(unicodedata.category(c) == "Cc" for c in value if c not in "\t\n\r"):
        problems.append({"field": field, "message": "must not contain control characters"})
    return text or None


def _office_refs(value: Any, problems: list[dict[str, str]]) -> list[int | str]:
    if not isinstance(value, list):
        problems.append({"field": "kecamatan", "message": "must be a list of kecamatan codes"})
        return []
    refs: list[int | str] = []
    for item in value:
        if isinstance(item, str) and item.strip() and len(item) <= 64:
            text = item.strip()
            refs.append(int(text) if text.isascii() and text.isdigit() and len(text) < 18 else text)
        elif isinstance(item, int) and not isinstance(item, bool) and 0 < item < 2**62:
            refs.append(item)
        else:
            problems.append({"field": "kecamatan", "message": f"{str(item)[:40]!r} is not a code"})
    return refs


def check_fields(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Clean input fields (every problem at once, as a 400 with ``details``). Unknown fields are
    refused; ``id``, ``created_at`` and ``updated_at`` are ignored (an exported record can be
    sent back)."""
    problems: list[dict[str, str]] = []
    unknown = sorted(set(data) - set(FIELDS) - set(_READ_ONLY))
    problems += [{"field": k, "message": "is not a field of a service"} for k in unknown]
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = _text(data.get("name"), "name", NAME_MAX, problems)
        if name is None:
            problems.append({"field": "name", "message": "is required"})
        elif not name[0].isalnum():
            problems.append({"field": "name", "message": "must start with a letter or digit"})
        out["name"] = name
    if "kind" in data or not partial:
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in {k.value for k in ServiceKind}:
            problems.append({"field": "kind", "message": "must be perizinan or non-perizinan"})
        out["kind"] = kind
    if "duration" in data:
        out["duration"] = _text(data["duration"], "duration", DURATION_MAX, problems)
    if "notes" in data:
        out["notes"] = _text(data["notes"], "notes", NOTES_MAX, problems)
    if "delegated" in data or not partial:
        delegated = data.get("delegated", False)
        if not isinstance(delegated, bool):
            problems.append({"field": "delegated", "message": "must be true or false"})
        out["delegated"] = delegated is True
    if "kecamatan" in data:
        out["kecamatan"] = _office_refs(data["kecamatan"], problems)
    if problems:
        raise ValidationError("The service is not valid.", details=problems)
    return out


# -- storage ----------------------------------------------------------------------------------
def _offices(conn: sqlite3.Connection, service_ids: Sequence[int]) -> dict[int, list[Office]]:
    out: dict[int, list[Office]] = {sid: [] for sid in service_ids}
    if not service_ids:
        return out
    marks = ",".join("?" * len(service_ids))
    rows = conn.execute(
        "SELECT ss.service_id, s.id, s.code, s.name FROM kpt_service_sites ss"
        f" JOIN sites s ON s.id = ss.site_id WHERE ss.service_id IN ({marks})"
        " ORDER BY s.code IS NULL, s.code, s.name_key",
        list(service_ids),
    ).fetchall()
    for r in rows:
        out[r[0]].append(Office(r[1], r[2], r[3]))
    return out


def _from_rows(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Service]:
    offices = _offices(conn, [r["id"] for r in rows])
    return [
        Service(
            id=r["id"],
            name=r["name"],
            kind=ServiceKind(r["kind"]),
            duration=r["duration"],
            delegated=bool(r["delegated"]),
            offices=tuple(offices[r["id"]]),
            notes=r["notes"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


def list_all(conn: sqlite3.Connection) -> list[Service]:
    """Every service: permits first, then by name."""
    rows = conn.execute(
        "SELECT * FROM kpt_services ORDER BY kind = 'non-perizinan', name_key"
    ).fetchall()
    return _from_rows(conn, rows)


def get(conn: sqlite3.Connection, service_id: int) -> Service:
    rows = conn.execute("SELECT * FROM kpt_services WHERE id = ?", (service_id,)).fetchall()
    if not rows:
        raise NotFound(f"No service {service_id}.", code="service_not_found")
    return _from_rows(conn, rows)[0]


def by_name(conn: sqlite3.Connection, name: str) -> Service | None:
    rows = conn.execute(
        "SELECT * FROM kpt_services WHERE name_key = ?", (name_key(name),)
    ).fetchall()
    return _from_rows(conn, rows)[0] if rows else None


def _resolve_offices(conn: sqlite3.Connection, refs: Sequence[int | str]) -> list[int]:
    """Kecamatan references (code or id) to site ids; anything else is a 400 naming it."""
    ids: list[int] = []
    problems = []
    for ref in refs:
        column = "id" if isinstance(ref, int) else "code"
        row = conn.execute(f"SELECT id, kind FROM sites WHERE {column} = ?", (ref,)).fetchone()
        if row is None:
            problems.append({"field": "kecamatan", "message": f"no kecamatan {ref}"})
        elif row["kind"] != SiteKind.KECAMATAN.value:
            problems.append({"field": "kecamatan", "message": f"{ref} is not a kecamatan"})
        elif row["id"] not in ids:
            ids.append(row["id"])
    if problems:
        raise ValidationError("Unknown kecamatan.", details=problems)
    return ids


def _check_whole(
    conn: sqlite3.Connection, merged: Mapping[str, Any], service_id: int | None
) -> None:
    if merged["kecamatan"] and not merged["delegated"]:
        message = "only a delegated service is offered at kecamatan offices"
        raise ValidationError(
            "Only a delegated service is offered at kecamatan offices.",
            details=[{"field": "kecamatan", "message": message}],
        )
    row = conn.execute(
        "SELECT id FROM kpt_services WHERE name_key = ? AND id IS NOT ?",
        (name_key(merged["name"]), service_id),
    ).fetchone()
    if row is not None:
        raise Conflict(f"A service named {merged['name']!r} exists.", code="duplicate_name")


def _store(conn: sqlite3.Connection, merged: Mapping[str, Any], service_id: int | None) -> int:
    now = time.time()
    values = (
        merged["name"],
        name_key(merged["name"]),
        merged["kind"],
        merged.get("duration"),
        int(bool(merged["delegated"])),
        merged.get("notes"),
    )
    if service_id is None:
        cur = conn.execute(
            "INSERT INTO kpt_services (name, name_key, kind, duration, delegated, notes,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, now, now),
        )
        service_id = int(cur.lastrowid or 0)
    else:
        conn.execute(
            "UPDATE kpt_services SET name = ?, name_key = ?, kind = ?, duration = ?,"
            " delegated = ?, notes = ?, updated_at = ? WHERE id = ?",
            (*values, now, service_id),
        )
        conn.execute("DELETE FROM kpt_service_sites WHERE service_id = ?", (service_id,))
    conn.executemany(
        "INSERT INTO kpt_service_sites (service_id, site_id) VALUES (?, ?)",
        [(service_id, site_id) for site_id in merged["kecamatan"]],
    )
    return service_id


def create(
    conn: sqlite3.Connection, fields: Mapping[str, Any], *, user: str, action: str = "create"
) -> Service:
    """A new service from checked fields (:func:`check_fields`, not partial)."""
    merged = {"duration": None, "notes": None, "kecamatan": [], **fields}
    merged["kecamatan"] = _resolve_offices(conn, merged["kecamatan"])
    _check_whole(conn, merged, None)
    service = get(conn, _store(conn, merged, None))
    changelog.record(
        conn, user=user, entity=ENTITY, entity_id=service.id, action=action, after=service.record()
    )
    return service


def update(
    conn: sqlite3.Connection, service_id: int, fields: Mapping[str, Any], *, user: str
) -> tuple[Service, bool]:
    """Apply checked (partial) fields; returns the service and whether anything changed."""
    current = get(conn, service_id)
    merged: dict[str, Any] = {
        **current.record(),
        "kecamatan": [o.site_id for o in current.offices],
        **fields,
    }
    if "kecamatan" in fields:
        merged["kecamatan"] = _resolve_offices(conn, fields["kecamatan"])
    if "delegated" in fields and not fields["delegated"] and "kecamatan" not in fields:
        merged["kecamatan"] = []  # no longer delegated: no longer at the kecamatan offices
    _check_whole(conn, merged, service_id)
    was = current.record()
    if all(merged[k] == was[k] for k in _COLUMNS) and sorted(merged["kecamatan"]) == sorted(
        o.site_id for o in current.offices
    ):
        return current, False
    _store(conn, merged, service_id)
    service = get(conn, service_id)
    before, after = changelog.diff(was, service.record())
    changelog.record(
        conn, user=user, entity=ENTITY, entity_id=service_id, action="update",
        before=before, after=after,
    )  # fmt: skip
    return service, True


def delete(conn: sqlite3.Connection, service_id: int, *, user: str) -> Service:
    service = get(conn, service_id)
    conn.execute("DELETE FROM kpt_services WHERE id = ?", (service_id,))
    changelog.record(
        conn, user=user, entity=ENTITY, entity_id=service_id, action="delete",
        before=service.record(),
    )  # fmt: skip
    return service


def seed(conn: sqlite3.Connection, *, user: str) -> Service | None:
    """Once per database: the regency's example (:data:`SEED`) at every kecamatan there is.
    Returns None when the catalogue was seeded before (even if the KPT deleted it since) or
    when a service of that name exists."""
    if conn.execute("SELECT 1 FROM kpt_catalogue WHERE id = 1").fetchone() is not None:
        return None
    conn.execute("INSERT INTO kpt_catalogue (id, seeded_at) VALUES (1, ?)", (time.time(),))
    if by_name(conn, SEED["name"]) is not None:
        return None
    offices = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM sites WHERE kind = ? ORDER BY code", (SiteKind.KECAMATAN.value,)
        )
    ]
    return create(conn, {**SEED, "kecamatan": offices}, user=user, action="seed")


__all__ = [
    "ENTITY",
    "FIELDS",
    "SEED",
    "STRUCTURE",
    "Office",
    "Service",
    "ServiceKind",
    "Structure",
    "by_name",
    "check_fields",
    "create",
    "delete",
    "get",
    "list_all",
    "seed",
    "update",
]
