"""The alert receivers (``inventory_webhooks``) as a repository: reading, validating and changing
them, each change committed with the caller's ``then`` (its audit record) in one transaction.
``alerts.WebhookDispatcher`` delivers to them; web/inventory_live_api.py is their HTTP edge."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any
from urllib.parse import urlsplit

import pydantic
from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, TypeAdapter
from pydantic.json_schema import WithJsonSchema

from network_inventory.errors import NotFound, ValidationError
from network_inventory.model import Moment, Stamp
from network_inventory.records import Input
from pendopo.db import Connection, Database, Row, Then
from pendopo.declared import unset

MAX_URL = 2000
MAX_DESCRIPTION = 500


def _http_url(value: Any) -> Any:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    return value


Url = Annotated[
    StrictStr,
    BeforeValidator(_http_url),
    Field(max_length=MAX_URL),
    WithJsonSchema(
        {
            "type": "string",
            "format": "uri",
            "maxLength": MAX_URL,
            "description": "http:// or https://",
        }
    ),
]
Description = Annotated[StrictStr, Field(max_length=MAX_DESCRIPTION)]


class WebhookChange(Input):
    """A webhook's fields as a client changes them (PATCH: the fields it gives)."""

    ENTITY = "webhook"

    url: Url = unset()
    description: Description = unset()
    enabled: StrictBool = unset()


class WebhookInput(WebhookChange):
    """A new webhook as a client writes it."""

    url: Url


FIELDS = frozenset(WebhookChange.model_fields)

_MESSAGES = {
    "url": "url must be an http:// or https:// URL.",
    "description": f"description must be text ({MAX_DESCRIPTION} characters).",
    "enabled": "enabled must be true or false.",
}
"""What the API has always said of a bad field (one message, the first bad field's)."""


def _refusal(exc: pydantic.ValidationError) -> ValidationError:
    errors = exc.errors(include_url=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return ValidationError(f"Unknown field(s): {', '.join(unknown)}.")
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else "url"
    if field == "url" and first["type"] in ("string_too_long", "too_long"):
        return ValidationError(f"url is too long ({MAX_URL} characters at most).")
    return ValidationError(_MESSAGES.get(field, f"{field} is not valid."))


def validate(body: Mapping[str, object], *, partial: bool) -> dict[str, Any]:
    """The storable values of a webhook body (``partial``: only the fields given, for PATCH),
    checked by its declaration (``WebhookInput``, ``WebhookChange``)."""
    model = WebhookChange if partial else WebhookInput
    try:
        record = model.model_validate(dict(body))
    except pydantic.ValidationError as exc:
        raise _refusal(exc) from None
    out: dict[str, Any] = record.model_dump(include=record.model_fields_set)
    if "enabled" in out:
        out["enabled"] = int(out["enabled"])
    return out


@dataclass(frozen=True, kw_only=True)
class Webhook:
    """An alert webhook as the API answers it."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    id: int
    url: str
    description: str
    enabled: bool
    created_at: Stamp
    updated_at: Stamp
    last_attempt_at: Moment
    last_status: int | None
    """HTTP status of the latest delivery attempt"""
    last_error: str | None
    delivered: int
    failed: int


_ANSWER = TypeAdapter(Webhook)


def public(row: Row) -> dict[str, Any]:
    """A stored webhook as the API answers it: the columns named by :class:`Webhook`'s fields."""
    values = {f.name: row[f.name] for f in fields(Webhook)}
    answer = Webhook(**(values | {"enabled": bool(row["enabled"])}))
    data: dict[str, Any] = _ANSWER.dump_python(answer, mode="json")
    return data


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

        def run(conn: Connection) -> int:
            cursor = conn.execute(sql, params)
            row_id = hook_id or cursor.lastrowid or 0
            then(conn, row_id)
            return row_id

        return await self.db.write(run)
