"""The alerts people are told about (``inventory_alerts``) and their acknowledgements
(``alert_acks``): the recent ones with who acknowledged them, when and with which note; whether
an outage is still open (its sites are still in the alerted state and no later alert about the
same place followed); acknowledging one, committed with the caller's audit ``then``.

An open outage nobody acknowledged is what ``notify.ChannelDispatcher`` sends again."""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from network_inventory.errors import Conflict, NotFound
from network_inventory.model import Stamp
from network_inventory.records import Input
from pendopo.db import Connection, Database, IntegrityError, Row, Then

MAX_NOTE = 1000
OPEN_KINDS = ("down", "degraded")
LATEST = (
    "NOT EXISTS (SELECT 1 FROM inventory_alerts n WHERE n.id > a.id"
    " AND json_extract(n.payload, '$.site.id') = json_extract(a.payload, '$.site.id'))"
)
"""SQL: no later alert about the same place (``a`` is the alert)."""


def _note(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("invalid", "must be text")
    return value.strip()


class AckInput(Input):
    """An acknowledgement as a client writes it."""

    ENTITY = "acknowledgement"

    note: Annotated[
        str, BeforeValidator(_note), Field(max_length=MAX_NOTE, description="what is being done")
    ] = ""


class AlertKind(enum.StrEnum):
    """What an alert announces (``alerts.AlertPlan.kind``)."""

    DOWN = "down"
    DEGRADED = "degraded"
    UP = "up"


@dataclass(frozen=True, kw_only=True)
class AlertSite:
    """The place an alert is about (a grouped alert: the first of its sites)."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    code: str | None
    """Kemendagri code (null: none yet)"""
    name: str
    kind: str
    """site kind: kabupaten, kecamatan, desa, ..."""


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    """Who acknowledged an alert, when, and their note."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    by: str
    """the user's name (and user name)"""
    at: Stamp
    note: str


@dataclass(frozen=True, kw_only=True)
class Alert:
    """An alert as ``GET /api/alerts`` lists it, with its acknowledgement."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    at: Stamp
    kind: AlertKind
    grouped: bool
    """one alert for siblings that changed together"""
    site: AlertSite
    affected_count: int
    """sites behind it (or grouped with it) that changed with it"""
    text: str | None
    """the message as sent, in Indonesian"""
    open: bool
    """an outage (or degradation) still going on: its sites are still in that state and no
    later alert about the same place followed"""
    acknowledged: Acknowledgement | None


_ANSWER = TypeAdapter(Alert)


def shown_states(conn: Connection) -> dict[int, str]:
    """Every site's shown state as the last sweep stored it."""
    return {r[0]: r[1] for r in conn.execute("SELECT site_id, shown FROM inventory_site_state")}


def still_open(payload: Mapping[str, Any], states: Mapping[int, str]) -> bool:
    """An outage (or degradation) whose sites are still in the state it announced."""
    kind = payload.get("kind")
    if kind not in OPEN_KINDS:
        return False
    if payload.get("grouped"):
        return any(states.get(int(a["id"])) == kind for a in payload.get("affected") or ())
    return states.get(int(payload["site"]["id"])) == kind


def _public(row: Row, states: Mapping[int, str]) -> dict[str, Any]:
    payload = json.loads(row["payload"])
    site = payload["site"]
    answer = Alert(
        id=row["id"],
        at=row["at"],
        kind=AlertKind(row["kind"]),
        grouped=bool(payload.get("grouped")),
        site=AlertSite(id=site["id"], code=site.get("code"), name=site["name"], kind=site["kind"]),
        affected_count=payload.get("affected_count", 0),
        text=payload.get("text"),
        open=bool(row["latest"]) and still_open(payload, states),
        acknowledged=(
            Acknowledgement(by=row["ack_user"], at=row["ack_at"], note=row["ack_note"])
            if row["ack_at"] is not None
            else None
        ),
    )
    data: dict[str, Any] = _ANSWER.dump_python(answer, mode="json")
    return data


class AlertLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def recent(self, *, limit: int, open_only: bool) -> list[dict[str, Any]]:
        """The newest alerts first (with ``open_only``: the outages still open)."""

        def run(conn: Connection) -> list[dict[str, Any]]:
            states = shown_states(conn)
            rows = conn.execute(
                f"SELECT a.*, {LATEST} AS latest, k.at AS ack_at, k.user AS ack_user,"
                " k.note AS ack_note FROM inventory_alerts a"
                " LEFT JOIN alert_acks k ON k.alert_id = a.id"
                + (" WHERE a.kind IN ('down', 'degraded')" if open_only else "")
                + " ORDER BY a.id DESC LIMIT ?",
                (limit * 5 if open_only else limit,),
            ).fetchall()
            items = [_public(r, states) for r in rows]
            return [i for i in items if i["open"]][:limit] if open_only else items

        return await self.db.read(run)

    async def get(self, alert_id: int) -> dict[str, Any]:
        items = await self.db.read(
            lambda conn: [
                _public(r, shown_states(conn))
                for r in conn.execute(
                    f"SELECT a.*, {LATEST} AS latest, k.at AS ack_at, k.user AS ack_user,"
                    " k.note AS ack_note FROM inventory_alerts a"
                    " LEFT JOIN alert_acks k ON k.alert_id = a.id WHERE a.id = ?",
                    (alert_id,),
                )
            ]
        )
        if not items:
            raise NotFound(f"No alert {alert_id}.")
        return items[0]

    async def acknowledge(
        self, alert_id: int, user: str, body: Mapping[str, object], then: Then
    ) -> dict[str, Any]:
        """Record who acknowledged the alert and their note: it is not sent again."""
        note = AckInput.parse(body).note

        def run(conn: Connection) -> None:
            if conn.execute("SELECT 1 FROM inventory_alerts WHERE id = ?", (alert_id,)).fetchone():
                try:
                    conn.execute(
                        "INSERT INTO alert_acks (alert_id, at, user, note) VALUES (?, ?, ?, ?)",
                        (alert_id, time.time(), user, note),
                    )
                except IntegrityError as exc:
                    raise Conflict(
                        f"Alert {alert_id} is already acknowledged.", code="already_acknowledged"
                    ) from exc
                then(conn, alert_id)
            else:
                raise NotFound(f"No alert {alert_id}.")

        await self.db.write(run)
        return await self.get(alert_id)
