"""The alert receivers (``inventory_webhooks``) as a repository: reading, validating and changing
them, each change committed with the caller's ``then`` (its audit record) in one transaction.
``alerts.WebhookDispatcher`` delivers to them; web/inventory_live_api.py is their HTTP edge."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from network_inventory.errors import NotFound, ValidationError
from network_inventory.model import iso
from pendopo.db import Database, Then

FIELDS = frozenset({"url", "description", "enabled"})
MAX_URL = 2000
MAX_DESCRIPTION = 500


def validate(body: Mapping[str, object], *, partial: bool) -> dict[str, Any]:
    """The storable values of a webhook body (``partial``: only the fields given, for PATCH)."""
    out: dict[str, Any] = {}
    unknown = set(body) - FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    if "url" in body or not partial:
        url = body.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("url must be an http:// or https:// URL.")
        if len(str(url)) > MAX_URL:
            raise ValidationError(f"url is too long ({MAX_URL} characters at most).")
        out["url"] = url
    if "description" in body:
        desc = body["description"]
        if not isinstance(desc, str) or len(desc) > MAX_DESCRIPTION:
            raise ValidationError(f"description must be text ({MAX_DESCRIPTION} characters).")
        out["description"] = desc
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ValidationError("enabled must be true or false.")
        out["enabled"] = int(body["enabled"])
    return out


def public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "last_attempt_at": iso(row["last_attempt_at"]),
        "last_status": row["last_status"],
        "last_error": row["last_error"],
        "delivered": row["delivered"],
        "failed": row["failed"],
    }


class Webhooks:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT * FROM inventory_webhooks ORDER BY id")
        return [public(r) for r in rows]

    async def get(self, hook_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT * FROM inventory_webhooks WHERE id = ?", (hook_id,))
        if row is None:
            raise NotFound(f"No webhook {hook_id}.")
        return public(row)

    async def create(self, body: Mapping[str, object], then: Then) -> dict[str, Any]:
        values = validate(body, partial=False)
        now = time.time()
        hook_id = await self._write(
            "INSERT INTO inventory_webhooks (url, description, enabled, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (values["url"], values.get("description", ""), values.get("enabled", 1), now, now),
            then,
        )
        return await self.get(hook_id)

    async def update(self, hook_id: int, body: Mapping[str, object], then: Then) -> dict[str, Any]:
        values = validate(body, partial=True)
        await self.get(hook_id)
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            await self._write(
                f"UPDATE inventory_webhooks SET {sets}, updated_at = ? WHERE id = ?",
                (*values.values(), time.time(), hook_id),
                then,
                hook_id,
            )
        return await self.get(hook_id)

    async def delete(self, hook_id: int, then: Then) -> None:
        await self.get(hook_id)
        await self._write("DELETE FROM inventory_webhooks WHERE id = ?", (hook_id,), then, hook_id)

    async def _write(
        self, sql: str, params: tuple[object, ...], then: Then, hook_id: int = 0
    ) -> int:
        """One statement and ``then(conn, webhook id)`` in one transaction; the webhook's id
        (``hook_id``, or the new row's)."""

        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(sql, params)
            row_id = hook_id or cursor.lastrowid or 0
            then(conn, row_id)
            return row_id

        return await self.db.write(run)
