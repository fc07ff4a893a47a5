"""Alert channels (``alert_channels``) as a repository: e-mail recipients or a Telegram chat, the
kecamatan and alert kinds each one wants, and after how long an unacknowledged outage is sent
again. Each change is committed with the caller's ``then`` (its audit record) in one
transaction, as ``webhooks.py`` does. A Telegram bot token is written, never read back:
``public`` says only whether one is set. ``notify.ChannelDispatcher`` delivers to them;
web/alert_channels_api.py is their HTTP edge.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from network_inventory.errors import NotFound, ValidationError
from network_inventory.model import iso
from pendopo.db import Database, Then

KINDS = ("email", "telegram")
SEVERITIES = ("down", "degraded", "up")
"""The alert kinds a channel may want: an outage, a degraded link, a recovery."""
FIELDS = frozenset(
    {"kind", "name", "recipients", "chat_id", "token", "kecamatan", "severities",
     "escalate_after_s", "enabled"}
)  # fmt: skip
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
    def from_row(cls, row: sqlite3.Row) -> Channel:
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


def _text(body: Mapping[str, object], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(f"{name} must be text of 1 to {limit} characters.")
    return value.strip()


def _list(body: Mapping[str, object], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{name} must be a list of text values.")
    return [v.strip() for v in value]


def validate(body: Mapping[str, object], *, kind: str | None, partial: bool) -> dict[str, Any]:
    """The storable values of a channel body. ``kind``: the stored channel's (PATCH), None on
    create (then ``kind`` is required and fields of the other kind are refused)."""
    unknown = set(body) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    out: dict[str, Any] = {}
    if kind is None:
        if body.get("kind") not in KINDS:
            raise ValidationError("kind must be one of: email, telegram.")
        kind = out["kind"] = str(body["kind"])
    elif "kind" in body and body["kind"] != kind:
        raise ValidationError("kind cannot be changed: make a new channel.")
    own = {"email": {"recipients"}, "telegram": {"chat_id", "token"}}
    foreign = set(body) & (own["email"] | own["telegram"]) - own[kind]
    if foreign:
        raise ValidationError(f"A {kind} channel has no {', '.join(sorted(foreign))}.")
    if "name" in body or not partial:
        out["name"] = _text(body, "name", MAX_NAME)
    if kind == "email" and ("recipients" in body or not partial):
        recipients = _list(body, "recipients")
        if not 1 <= len(recipients) <= MAX_RECIPIENTS:
            raise ValidationError(f"recipients must list 1 to {MAX_RECIPIENTS} addresses.")
        bad = [r for r in recipients if not _EMAIL.match(r)]
        if bad:
            raise ValidationError(f"Not an e-mail address: {', '.join(bad)}.")
        out["recipients"] = json.dumps(recipients)
    if kind == "telegram":
        if "chat_id" in body or not partial:
            chat = body.get("chat_id")
            if not isinstance(chat, str) or not _CHAT.match(chat.strip()):
                raise ValidationError("chat_id must be a Telegram chat id (-100123…) or @name.")
            out["chat_id"] = chat.strip()
        if "token" in body or not partial:
            token = body.get("token")
            if not isinstance(token, str) or not _TOKEN.match(token.strip()):
                raise ValidationError("token must be a bot token as BotFather gives it.")
            out["token"] = token.strip()
    if "kecamatan" in body:
        out["kecamatan"] = json.dumps(sorted(set(_list(body, "kecamatan"))))
    if "severities" in body:
        chosen = set(_list(body, "severities"))
        if not chosen or not chosen <= set(SEVERITIES):
            raise ValidationError("severities must list some of: down, degraded, up.")
        out["severities"] = json.dumps([s for s in SEVERITIES if s in chosen])
    if "escalate_after_s" in body:
        after = body["escalate_after_s"]
        if after is not None and (
            isinstance(after, bool) or not isinstance(after, int)
            or not 1 <= after <= MAX_ESCALATION_S
        ):  # fmt: skip
            raise ValidationError(
                f"escalate_after_s must be null or whole seconds, 1..{MAX_ESCALATION_S}."
            )
        out["escalate_after_s"] = after
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ValidationError("enabled must be true or false.")
        out["enabled"] = int(body["enabled"])
    return out


def _check_kecamatan(conn: sqlite3.Connection, values: Mapping[str, Any]) -> None:
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
        raise ValidationError(f"Not a kecamatan code: {', '.join(missing)}.")


def public(row: sqlite3.Row) -> dict[str, Any]:
    """What the API shows of a channel: never its token."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "recipients": json.loads(row["recipients"]) if row["kind"] == "email" else None,
        "chat_id": row["chat_id"],
        "token_set": bool(row["token"]),
        "kecamatan": json.loads(row["kecamatan"]),
        "severities": json.loads(row["severities"]),
        "escalate_after_s": row["escalate_after_s"],
        "enabled": bool(row["enabled"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "last_attempt_at": iso(row["last_attempt_at"]),
        "last_ok_at": iso(row["last_ok_at"]),
        "last_error": row["last_error"],
        "delivered": row["delivered"],
        "failed": row["failed"],
    }


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
        values = validate(body, kind=None, partial=False)
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
        values = validate(body, kind=(await self._row(channel_id))["kind"], partial=True)
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
        await self.db.execute_write(
            "UPDATE alert_channels SET last_attempt_at = ?, last_error = ?,"
            " last_ok_at = CASE WHEN ? IS NULL THEN ? ELSE last_ok_at END,"
            " delivered = delivered + ?, failed = failed + ? WHERE id = ?",
            (at, error, error, at, int(error is None), int(error is not None), channel_id),
        )

    async def note_failure(self, channel_id: int, *, at: float, error: str) -> None:
        """A failed try (more may follow): shown at once as the channel's last error."""
        await self.db.execute_write(
            "UPDATE alert_channels SET last_attempt_at = ?, last_error = ? WHERE id = ?",
            (at, error, channel_id),
        )

    async def _row(self, channel_id: int) -> sqlite3.Row:
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
        def run(conn: sqlite3.Connection) -> int:
            _check_kecamatan(conn, values)
            cursor = conn.execute(sql, params)
            row_id = channel_id or cursor.lastrowid or 0
            then(conn, row_id)
            return row_id

        return await self.db.write(run)
