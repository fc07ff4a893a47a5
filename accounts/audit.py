"""The audit log: who did what, when, from where.

Every package records its own actions through one call::

    await audit.record("host.admit", actor=user, address=addr, target="room 7: Lurah Gondang")

and a change of stored data records itself in the change's own transaction (:func:`write`
inside ``db.write``), so a crash can never keep the change and lose its record.

Actions are dotted names; ``docs/security.md`` lists the ones in use (sign-in, host actions,
inventory edits, user management). ``detail`` is a small JSON object; keys that look like
secrets (password, token, secret, credential) are replaced by ``"[redacted]"`` before storing,
so an invite token or a password can never end up in the log by accident.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ConfigDict

from accounts.model import User
from pendopo.db import Connection, Database, Row
from pendopo.declared import as_json

_SECRET_WORDS = ("password", "token", "secret", "credential", "invite")
MAX_TEXT = 500
"""Longest actor/target/address text kept (longer input is cut)."""


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the security audit log. Declared once: its fields are the JSON answer of
    ``GET /api/admin/audit`` and its OpenAPI schema."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    at: float
    """epoch seconds"""
    actor: str | None
    """who did it (user name; null: the system or an anonymous client)"""
    actor_id: int | None
    role: str | None
    address: str | None
    """the client's address"""
    action: str
    """e.g. user.create, host.kick, inventory.site_update"""
    target: str | None
    detail: dict[str, object]
    """what changed, secrets redacted"""

    def public(self) -> dict[str, object]:
        return as_json(self)


CSV_COLUMNS = ("id", "at_utc", "actor", "role", "address", "action", "target", "detail")


def redact(detail: Mapping[str, object] | None) -> dict[str, object]:
    """A copy of ``detail`` with secret-looking keys blanked (recursively)."""
    out: dict[str, object] = {}
    for key, value in (detail or {}).items():
        if any(word in key.lower() for word in _SECRET_WORDS):
            out[key] = "[redacted]"
        elif isinstance(value, Mapping):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def _cut(text: str | None) -> str | None:
    return None if text is None else str(text)[:MAX_TEXT]


def _entry(row: Row) -> AuditEntry:
    try:
        detail = json.loads(row["detail"]) if row["detail"] else {}
    except ValueError:
        detail = {}
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        actor_id=row["actor_id"],
        role=row["role"],
        address=row["address"],
        action=row["action"],
        target=row["target"],
        detail=detail if isinstance(detail, dict) else {},
    )


def _csv_cell(value: object) -> str:
    """Text for a CSV cell; a leading = + - @ is escaped so spreadsheets do not run it."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def write(
    conn: Connection,
    action: str,
    *,
    actor: User | str | None = None,
    address: str | None = None,
    target: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Append one entry inside the caller's transaction: it commits or rolls back with the
    change it records."""
    actor_name: str | None
    actor_id: int | None
    role: str | None
    if isinstance(actor, User):
        actor_name, actor_id, role = actor.username, actor.id, actor.role.value
    else:
        actor_name, actor_id, role = actor, None, None
    payload = json.dumps(redact(detail), default=str, ensure_ascii=False)[:4000]
    conn.execute(
        "INSERT INTO audit_log (at, actor, actor_id, role, address, action, target, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            time.time(),
            _cut(actor_name),
            actor_id,
            role,
            _cut(address),
            action[:100],
            _cut(target),
            payload,
        ),
    )


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        action: str,
        *,
        actor: User | str | None = None,
        address: str | None = None,
        target: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> None:
        """Append one entry in a transaction of its own. ``actor`` is the signed-in user, or a
        label (a guest's name). For a change of stored data use :func:`write` in the change's
        own transaction instead, so that neither commits without the other."""
        await self.db.write(
            lambda conn: write(
                conn, action, actor=actor, address=address, target=target, detail=detail
            )
        )

    async def entries(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        action: str | None = None,
        actor: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> tuple[list[AuditEntry], int]:
        """Newest first; ``action`` matches a prefix (``host.`` gives every host action)."""
        where, params = self._filter(action, actor, since, until)

        def run(conn: Connection) -> tuple[list[AuditEntry], int]:
            total = conn.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            return [_entry(r) for r in rows], int(total)

        return await self.db.read(run)

    async def export_csv(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> str:
        """The whole (filtered) log as CSV, oldest first."""
        where, params = self._filter(action, actor, since, until)

        def run(conn: Connection) -> str:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            for row in conn.execute(f"SELECT * FROM audit_log{where} ORDER BY id", params):
                e = _entry(row)
                at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e.at))
                detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
                cells = (e.id, at, e.actor, e.role, e.address, e.action, e.target, detail)
                writer.writerow([_csv_cell(c) for c in cells])
            return buf.getvalue()

        return await self.db.read(run)

    @staticmethod
    def _filter(
        action: str | None, actor: str | None, since: float | None, until: float | None
    ) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if action:
            clauses.append("action >= ? AND action < ?")
            params += [action, action + "\U0010ffff"]
        if actor:
            clauses.append("LOWER(actor) = LOWER(?)")  # any case, on either database
            params.append(actor)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("at < ?")
            params.append(until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
