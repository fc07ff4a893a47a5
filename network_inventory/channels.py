"""Alert channels (``alert_channels``) as a repository: e-mail recipients or a Telegram chat, the
kecamatan and alert kinds each one wants, and after how long an unacknowledged outage is sent
again. Each change is committed with the caller's ``then`` (its audit record) in one
transaction, as ``webhooks.py`` does. A Telegram bot token is written, never read back:
``public`` says only whether one is set. ``notify.ChannelDispatcher`` delivers to them;
web/alert_channels_api.py is their HTTP edge.
"""

from __future__ import annotations

import enum
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError

from network_inventory.errors import NotFound
from network_inventory.model import Moment, Stamp
from network_inventory.records import FLAG, INTEGER, REQUIRED_STRING, Input, refused
from pendopo.db import Connection, Database, Row, Then
from pendopo.declared import unset

KINDS = ("email", "telegram")
SEVERITIES = ("down", "degraded", "up")
"""The alert kinds a channel may want: an outage, a degraded link, a recovery."""
MAX_NAME = 100
MAX_RECIPIENTS = 20
MAX_ESCALATION_S = 7 * 24 * 3600
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_CHAT = re.compile(r"^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$")
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class Channel:
    """A stored channel as the dispatcher sees it (with its secret)."""

    id: int
    kind: str
    name: str
    recipients: tuple[str, ...]
    chat_id: str | None
    token: str | None
    kecamatan: frozenset[str]
    """Kecamatan codes; empty: every kecamatan."""
    severities: frozenset[str]
    escalate_after_s: int | None

    @classmethod
    def from_row(cls, row: Row) -> Channel:
        return cls(
            row["id"],
            row["kind"],
            row["name"],
            tuple(json.loads(row["recipients"])),
            row["chat_id"],
            row["token"],
            frozenset(json.loads(row["kecamatan"])),
            frozenset(json.loads(row["severities"])),
            row["escalate_after_s"],
        )

    def wants(self, kind: str, kecamatan: str | None) -> bool:
        """Whether an alert of ``kind`` about ``kecamatan`` (None: the whole regency, e.g. the
        regency office) goes to this channel."""
        if kind not in self.severities:
            return False
        return not self.kecamatan or kecamatan is None or kecamatan in self.kecamatan


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    TELEGRAM = "telegram"


class Severity(enum.StrEnum):
    """An alert kind a channel may want: an outage, a degraded link, a recovery."""

    DOWN = "down"
    DEGRADED = "degraded"
    UP = "up"


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PydanticCustomError("invalid", "must be a list of text values")
    return [v.strip() for v in value]


def _recipients(value: Any) -> list[str]:
    recipients = _texts(value)
    bad = [r for r in recipients if not _EMAIL.match(r)]
    if bad:
        raise PydanticCustomError(
            "invalid", "not an e-mail address: {bad}", {"bad": ", ".join(bad)}
        )
    return recipients


def _matching(pattern: re.Pattern[str], message: str) -> BeforeValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise PydanticCustomError("invalid", message)
        return value.strip()

    return BeforeValidator(check)


def _severities(value: Any) -> list[str]:
    chosen = set(_texts(value))
    if not chosen or not chosen <= set(SEVERITIES):
        raise PydanticCustomError("invalid", "must list some of: down, degraded, up")
    return [s for s in SEVERITIES if s in chosen]


_OWN = {ChannelKind.EMAIL: {"recipients"}, ChannelKind.TELEGRAM: {"chat_id", "token"}}
_AS_JSON = ("recipients", "severities", "kecamatan")


class ChannelChange(Input):
    """An alert channel's fields as a client changes them (PATCH: the fields it gives)."""

    ENTITY = "alert channel"

    kind: ChannelKind = unset()
    name: Annotated[str, Field(max_length=MAX_NAME), REQUIRED_STRING] = unset()
    recipients: Annotated[
        list[Annotated[str, Field(json_schema_extra={"format": "email"})]],
        BeforeValidator(_recipients),
        Field(min_length=1, max_length=MAX_RECIPIENTS, description="e-mail channels"),
    ] = unset()
    chat_id: Annotated[
        str,
        _matching(_CHAT, "must be a Telegram chat id (-100123…) or @name"),
        Field(description="Telegram chat id (-100…) or @channelname"),
    ] = unset()
    token: Annotated[
        str,
        _matching(_TOKEN, "must be a bot token as BotFather gives it"),
        WithJsonSchema(
            {"type": "string", "writeOnly": True, "description": "bot token (write-only)"}
        ),
    ] = unset()
    kecamatan: Annotated[
        list[str],
        BeforeValidator(lambda v: sorted(set(_texts(v)))),
        Field(description="kecamatan codes; [] all"),
    ] = unset()
    severities: Annotated[list[Severity], BeforeValidator(_severities), Field(min_length=1)] = (
        unset()
    )
    escalate_after_s: Annotated[
        Annotated[int, Field(ge=1, le=MAX_ESCALATION_S)] | None,
        INTEGER,
        Field(description="send an unacknowledged outage again after this long; null: never"),
    ] = unset()
    enabled: Annotated[bool, FLAG] = unset()

    def values(self, kind: str | None) -> dict[str, Any]:
        """The storable columns. ``kind``: the stored channel's (PATCH), None on create (then
        the fields a channel of its kind needs are required). Raises ValidationError."""
        given = self.model_fields_set
        own = ChannelKind(kind) if kind is not None else self.kind
        problems: list[tuple[str, str]] = []
        if kind is not None and "kind" in given and self.kind != own:
            problems.append(("kind", "cannot be changed: make a new channel"))
        others = set().union(*_OWN.values()) - _OWN[own]
        problems += [(f, f"a {own} channel has no {f}") for f in sorted(given & others)]
        if kind is None:
            problems += [(f, "is required") for f in sorted(_OWN[own] - given)]
        if problems:
            raise refused([{"field": f, "message": m} for f, m in problems])
        out = self.model_dump(mode="json", include=given - {"kind"})
        for name in _AS_JSON:
            if name in out:
                out[name] = json.dumps(out[name])
        if "enabled" in out:
            out["enabled"] = int(out["enabled"])
        if kind is None:
            out["kind"] = str(own)
        return out


class ChannelInput(ChannelChange):
    """A new alert channel as a client writes it."""

    kind: ChannelKind
    name: Annotated[str, Field(max_length=MAX_NAME), REQUIRED_STRING]


@dataclass(frozen=True, kw_only=True)
class AlertChannel:
    """An alert channel as the API answers it: never its token."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    kind: ChannelKind
    name: str
    recipients: list[str] | None
    """e-mail channels' recipients (null for Telegram)"""
    chat_id: str | None
    token_set: bool
    """whether a bot token is set (it is never read back)"""
    kecamatan: list[str]
    """kecamatan codes; [] all"""
    severities: list[Severity]
    escalate_after_s: int | None
    enabled: bool
    created_at: Stamp
    updated_at: Stamp
    last_attempt_at: Moment = None
    last_ok_at: Moment = None
    last_error: str | None = None
    delivered: int
    failed: int


_ANSWER = TypeAdapter(AlertChannel)


def _check_kecamatan(conn: Connection, values: Mapping[str, Any]) -> None:
    """Every code in ``kecamatan`` is a stored kecamatan (checked in the write transaction)."""
    if "kecamatan" not in values:
        return
    codes: list[str] = json.loads(values["kecamatan"])
    found = {
        r[0]
        for r in conn.execute(
            "SELECT code FROM sites WHERE kind = 'kecamatan' AND code IN"
            f" ({', '.join('?' for _ in codes)})",
            codes,
        )
    } if codes else set()  # fmt: skip
    missing = [c for c in codes if c not in found]
    if missing:
        message = f"not a kecamatan code: {', '.join(missing)}"
        raise refused([{"field": "kecamatan", "message": message}])


def public(row: Row) -> dict[str, Any]:
    """What the API shows of a channel: never its token."""
    answer = AlertChannel(
        id=row["id"],
        kind=ChannelKind(row["kind"]),
        name=row["name"],
        recipients=json.loads(row["recipients"]) if row["kind"] == "email" else None,
        chat_id=row["chat_id"],
        token_set=bool(row["token"]),
        kecamatan=json.loads(row["kecamatan"]),
        severities=[Severity(s) for s in json.loads(row["severities"])],
        escalate_after_s=row["escalate_after_s"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_attempt_at=row["last_attempt_at"],
        last_ok_at=row["last_ok_at"],
        last_error=row["last_error"],
        delivered=row["delivered"],
        failed=row["failed"],
    )
    data: dict[str, Any] = _ANSWER.dump_python(answer, mode="json")
    return data


class Channels:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM alert_channels ORDER BY id")
        return [public(r) for r in rows]

    async def get(self, channel_id: int) -> dict[str, Any]:
        return public(await self._row(channel_id))

    async def enabled(self) -> list[Channel]:
        rows = await self.db.fetchall("SELECT * FROM alert_channels WHERE enabled = 1 ORDER BY id")
        return [Channel.from_row(r) for r in rows]

    async def create(self, body: Mapping[str, object], then: Then) -> dict[str, Any]:
        values = ChannelInput.parse(body).values(None)
        now = time.time()
        values.update(created_at=now, updated_at=now)
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        channel_id = await self._write(
            f"INSERT INTO alert_channels ({cols}) VALUES ({marks})", tuple(values.values()),
            values, then,
        )  # fmt: skip
        return await self.get(channel_id)

    async def update(
        self, channel_id: int, body: Mapping[str, object], then: Then
    ) -> dict[str, Any]:
        kind = (await self._row(channel_id))["kind"]
        values = ChannelChange.parse(body).values(kind)
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            await self._write(
                f"UPDATE alert_channels SET {sets}, updated_at = ? WHERE id = ?",
                (*values.values(), time.time(), channel_id), values, then, channel_id,
            )  # fmt: skip
        return await self.get(channel_id)

    async def delete(self, channel_id: int, then: Then) -> None:
        await self._row(channel_id)
        await self._write(
            "DELETE FROM alert_channels WHERE id = ?", (channel_id,), {}, then, channel_id
        )

    async def record(self, channel_id: int, *, at: float, error: str | None) -> None:
        """One delivery's result (after its retries): counters, last error, last success."""
        ok = error is None
        await self.db.execute_write(
            "UPDATE alert_channels SET last_attempt_at = ?, last_error = ?,"
            " last_ok_at = CASE WHEN ? = 1 THEN ? ELSE last_ok_at END,"
            " delivered = delivered + ?, failed = failed + ? WHERE id = ?",
            (at, error, int(ok), at, int(ok), int(not ok), channel_id),
        )

    async def note_failure(self, channel_id: int, *, at: float, error: str) -> None:
        """A failed try (more may follow): shown at once as the channel's last error."""
        await self.db.execute_write(
            "UPDATE alert_channels SET last_attempt_at = ?, last_error = ? WHERE id = ?",
            (at, error, channel_id),
        )

    async def _row(self, channel_id: int) -> Row:
        row = await self.db.fetchone("SELECT * FROM alert_channels WHERE id = ?", (channel_id,))
        if row is None:
            raise NotFound(f"No alert channel {channel_id}.")
        return row

    async def _write(
        self,
        sql: str,
        params: Sequence[object],
        values: Mapping[str, Any],
        then: Then,
        channel_id: int = 0,
    ) -> int:
        def run(conn: Connection) -> int:
            _check_kecamatan(conn, values)
            cursor = conn.execute(sql, params)
            row_id = channel_id or cursor.lastrowid or 0
            then(conn, row_id)
            return row_id

        return await self.db.write(run)
