"""The alert channels' store on SQLite and PostgreSQL: a delivery's result counts once."""

from __future__ import annotations

from network_inventory.channels import Channels
from pendopo.db import Database


async def test_a_delivery_counts_and_keeps_the_last_error(db: Database) -> None:
    channels = Channels(db)
    mail = {"kind": "email", "name": "Piket TI", "recipients": ["ti@sragenkab.go.id"]}
    created = await channels.create(mail, lambda conn, _: None)
    await channels.record(created["id"], at=100.0, error=None)
    await channels.record(created["id"], at=200.0, error="SMTP: connection refused")
    got = await channels.get(created["id"])
    assert (got["delivered"], got["failed"]) == (1, 1)
    assert got["last_error"] == "SMTP: connection refused"
    assert got["last_ok_at"] is not None and got["last_attempt_at"] is not None
    assert got["last_ok_at"] < got["last_attempt_at"]
