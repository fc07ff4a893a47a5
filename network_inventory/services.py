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
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationInfo
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema
from pydantic_core import PydanticCustomError

from network_inventory import changelog
from network_inventory.errors import Conflict, NotFound, ValidationError
from network_inventory.model import SiteKind, Stamp
from network_inventory.names import name_key
from network_inventory.records import FLAG, INTEGER, Input
from pendopo.db import Connection, Row
from pendopo.declared import checked_when_missing, unset

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
        """The REST shape (staff): with the offices' codes and names (:class:`ServiceAnswer`)."""
        data: dict[str, Any] = _ANSWER.dump_python(self.answer(), mode="json")
        return data

    def answer(self) -> ServiceAnswer:
        return ServiceAnswer(
            id=self.id,
            name=self.name,
            kind=self.kind,
            duration=self.duration,
            delegated=self.delegated,
            kecamatan=[OfficeName(o.code, o.name) for o in self.offices],
            notes=self.notes,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


# -- the declarations -------------------------------------------------------------------------
def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def _board_text(limit: int) -> BeforeValidator:
    """Text as the board shows it: spaces collapsed, at most ``limit`` characters, no control
    characters; blank is no value."""

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _bad("must be text")
        if any(unicodedata.category(c) == "Cc" for c in value if c not in "\t\n\r"):
            raise _bad("must not contain control characters")
        text = " ".join(value.split())
        if len(text) > limit:
            raise _bad(f"must be at most {limit} characters")
        return text or None

    return BeforeValidator(check)


def _name(value: Any) -> str:
    if value is None:
        raise _bad("is required")
    if not value[0].isalnum():
        raise _bad("must start with a letter or digit")
    return str(value)


def _kind(value: Any) -> ServiceKind:
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or text not in {k.value for k in ServiceKind}:
        raise _bad("must be perizinan or non-perizinan")
    return ServiceKind(text)


def _office_list(value: Any, info: ValidationInfo) -> list[Any]:
    if info.context and info.context.get("text") and isinstance(value, str):
        return [c for c in _SPLIT.split(value) if c]
    if not isinstance(value, list):
        raise _bad("must be a list of kecamatan codes")
    return value


def _office(value: Any) -> int | str:
    if isinstance(value, str) and value.strip() and len(value) <= 64:
        text = value.strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else text
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62:
        return value
    raise _bad(f"{str(value)[:40]!r} is not a code")


_SPLIT = re.compile(r"[;,\s]+")
Ignored = SkipJsonSchema[Any]
"""Read-only fields of an exported record: a client may send them back; they change nothing."""


ServiceName = Annotated[
    str,
    BeforeValidator(_name),
    _board_text(NAME_MAX),  # runs first (pydantic runs "before" validators last to first)
    Field(max_length=NAME_MAX, description="as on the board; starts with a letter or digit"),
]
"""A service's name, for a change and for a new service alike."""
KindField = Annotated[ServiceKind, BeforeValidator(_kind)]


class ServiceChange(Input):
    """A service's fields as a client changes them (PATCH: the fields it gives; a CSV row: its
    file's columns). ``id``, ``created_at`` and ``updated_at`` are ignored over REST (an
    exported record can be sent back); in CSV the ``id`` names the service a row updates."""

    ENTITY = "service"

    id: Annotated[
        Annotated[int, Field(ge=1, le=2**62)] | None,
        INTEGER,
        Field(description="ignored over REST; in CSV, the service the row updates"),
    ] = None
    name: ServiceName = unset()
    kind: KindField = unset()
    duration: Annotated[
        str | None,
        _board_text(DURATION_MAX),
        WithJsonSchema({"type": ["string", "null"], "maxLength": DURATION_MAX}),
        Field(description='promised duration as on the board, e.g. "5 menit"'),
    ] = None
    delegated: Annotated[
        bool | None, FLAG, Field(description="delegated to the kecamatan offices")
    ] = unset()
    kecamatan: Annotated[
        list[Annotated[int | str, BeforeValidator(_office)]],
        BeforeValidator(_office_list),
        Field(description="codes (or ids) of the kecamatan offering it; delegated only"),
    ] = unset()
    notes: Annotated[
        str | None,
        _board_text(NOTES_MAX),
        WithJsonSchema({"type": ["string", "null"], "maxLength": NOTES_MAX}),
    ] = None
    created_at: Ignored = Field(None, exclude=True)
    updated_at: Ignored = Field(None, exclude=True)

    def fields(self) -> dict[str, Any]:
        """The given editable fields (``delegated`` left blank in CSV: false)."""
        out = self.model_dump(mode="json", include=self.model_fields_set & set(FIELDS))
        if "delegated" in out:
            out["delegated"] = out["delegated"] is True
        return out


class ServiceInput(ServiceChange):
    """A new service as a client writes it (POST; a CSV row of a service not stored yet)."""

    name: ServiceName = checked_when_missing()
    kind: KindField = checked_when_missing()

    model_config = ConfigDict(json_schema_extra={"required": ["name", "kind"]})

    def fields(self) -> dict[str, Any]:
        return {"delegated": False, **super().fields()}


CSV_COLUMNS = tuple(n for n in ServiceChange.model_fields if n not in ("created_at", "updated_at"))
"""The catalogue's CSV columns: the id and the editable fields, in declaration order."""


def check_fields(data: Mapping[str, Any], *, partial: bool, text: bool = False) -> dict[str, Any]:
    """Clean input fields (every problem at once, as a 400 with ``details``): a new service's
    (``partial`` False) or a change's; ``text``: a CSV row's cells."""
    return (ServiceChange if partial else ServiceInput).parse(data, text=text).fields()


@dataclass(frozen=True)
class OfficeName:
    """A kecamatan offering a service, as the API names it."""

    code: str | None
    name: str


@dataclass(frozen=True, kw_only=True)
class ServiceAnswer:
    """A service as the API answers it (staff)."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    name: str
    kind: ServiceKind
    duration: str | None
    """promised duration as on the board, e.g. "5 menit\""""
    delegated: bool
    """delegated to the kecamatan offices"""
    kecamatan: list[OfficeName]
    notes: str | None
    created_at: Stamp
    updated_at: Stamp


@dataclass(frozen=True, kw_only=True)
class ServiceList:
    """The whole catalogue (``GET /api/services``), permits first, with the regency's totals."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    items: list[ServiceAnswer]
    total: int
    limit: int
    offset: int
    structure: Structure
    """the regency's totals: perizinan, non_perizinan, delegated"""

    @classmethod
    def of(cls, services: Sequence[Service]) -> ServiceList:
        items = [s.answer() for s in services]
        return cls(items=items, total=len(items), limit=len(items), offset=0, structure=STRUCTURE)


_ANSWER = TypeAdapter(ServiceAnswer)


# -- storage ----------------------------------------------------------------------------------
def _offices(conn: Connection, service_ids: Sequence[int]) -> dict[int, list[Office]]:
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


def _from_rows(conn: Connection, rows: Sequence[Row]) -> list[Service]:
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


def list_all(conn: Connection) -> list[Service]:
    """Every service: permits first, then by name."""
    rows = conn.execute(
        "SELECT * FROM kpt_services ORDER BY kind = 'non-perizinan', name_key"
    ).fetchall()
    return _from_rows(conn, rows)


def get(conn: Connection, service_id: int) -> Service:
    rows = conn.execute("SELECT * FROM kpt_services WHERE id = ?", (service_id,)).fetchall()
    if not rows:
        raise NotFound(f"No service {service_id}.", code="service_not_found")
    return _from_rows(conn, rows)[0]


def by_name(conn: Connection, name: str) -> Service | None:
    rows = conn.execute(
        "SELECT * FROM kpt_services WHERE name_key = ?", (name_key(name),)
    ).fetchall()
    return _from_rows(conn, rows)[0] if rows else None


def _resolve_offices(conn: Connection, refs: Sequence[int | str]) -> list[int]:
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


def _check_whole(conn: Connection, merged: Mapping[str, Any], service_id: int | None) -> None:
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


def _store(conn: Connection, merged: Mapping[str, Any], service_id: int | None) -> int:
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
    conn: Connection, fields: Mapping[str, Any], *, user: str, action: str = "create"
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
    conn: Connection, service_id: int, fields: Mapping[str, Any], *, user: str
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


def delete(conn: Connection, service_id: int, *, user: str) -> Service:
    service = get(conn, service_id)
    conn.execute("DELETE FROM kpt_services WHERE id = ?", (service_id,))
    changelog.record(
        conn, user=user, entity=ENTITY, entity_id=service_id, action="delete",
        before=service.record(),
    )  # fmt: skip
    return service


def seed(conn: Connection, *, user: str) -> Service | None:
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
    "CSV_COLUMNS",
    "ENTITY",
    "FIELDS",
    "SEED",
    "STRUCTURE",
    "Office",
    "Service",
    "ServiceAnswer",
    "ServiceChange",
    "ServiceInput",
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
