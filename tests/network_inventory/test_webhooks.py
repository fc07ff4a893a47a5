"""The alert receivers' repository (network_inventory/webhooks.py): what it accepts, and each
change committed together with the caller's audit step — or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from network_inventory.errors import NotFound, ValidationError
from network_inventory.webhooks import Webhooks, validate
from pendopo.db import Connection, Database


@pytest.mark.parametrize(
    ("body", "partial", "message"),
    [
        ({}, False, "url must be an http:// or https:// URL."),
        ({"url": "ftp://x.lan/"}, False, "url must be an http:// or https:// URL."),
        ({"url": "https://" + "a" * 2000}, False, "url is too long (2000 characters at most)."),
        ({"description": 5}, True, "description must be text (500 characters)."),
        ({"enabled": "yes"}, True, "enabled must be true or false."),
        ({"secret": "x"}, True, "Unknown field(s): secret."),
    ],
)
def test_what_a_webhook_body_may_not_be(
    body: dict[str, object], partial: bool, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        validate(body, partial=partial)
    assert info.value.message == message and info.value.code == "validation_failed"


def test_a_partial_body_keeps_only_what_is_given() -> None:
    assert validate({"enabled": False}, partial=True) == {"enabled": 0}
    assert validate({"url": "http://10.0.0.5/hook"}, partial=False) == {
        "url": "http://10.0.0.5/hook"
    }


async def test_changes_commit_with_their_audit_step(db: Database) -> None:
    hooks = Webhooks(db)
    seen: list[tuple[str, Any]] = []

    def then(action: str) -> Any:
        def step(conn: Connection, hook_id: Any) -> None:
            assert conn.in_transaction
            seen.append((action, hook_id))

        return step

    created = await hooks.create({"url": "http://10.0.0.5/hook"}, then("create"))
    assert created["url"] == "http://10.0.0.5/hook" and created["enabled"] is True
    updated = await hooks.update(created["id"], {"enabled": False}, then("update"))
    assert updated["enabled"] is False
    assert [h["id"] for h in await hooks.list()] == [created["id"]]
    await hooks.delete(created["id"], then("delete"))
    assert seen == [("create", created["id"]), ("update", created["id"]), ("delete", created["id"])]
    with pytest.raises(NotFound):
        await hooks.get(created["id"])


async def test_a_failing_audit_step_leaves_nothing_behind(db: Database) -> None:
    def broken(conn: Connection, hook_id: Any) -> None:
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError):
        await Webhooks(db).create({"url": "http://10.0.0.5/hook"}, broken)
    assert await Webhooks(db).list() == []
