"""The audit log: recording, filtering, redaction, CSV export."""

from __future__ import annotations

import csv
import io

from accounts import AccountRole, AccountStore
from accounts.audit import AuditLog
from pendopo.db import Database


async def test_record_filter_and_page(db: Database) -> None:
    store = AccountStore(db)
    host = await store.create_user("bupati", "rahasia-123", AccountRole.HOST)
    log = AuditLog(db)
    await log.record("auth.sign_in", actor=host, address="10.1.2.3")
    await log.record("host.admit", actor=host, address="10.1.2.3", target="room r1: Lurah Gondang")
    await log.record("host.mute", actor=host, target="room r1: Lurah Sine")
    await log.record("auth.sign_in_failed", actor="tamu", address="10.9.9.9")
    items, total = await log.entries()
    assert total == 4 and items[0].action == "auth.sign_in_failed"
    hosts, total = await log.entries(action="host.")
    assert total == 2 and {e.action for e in hosts} == {"host.admit", "host.mute"}
    assert hosts[0].actor == "bupati" and hosts[0].role == "host" and hosts[0].actor_id == host.id
    page, total = await log.entries(limit=1, offset=1)
    assert total == 4 and len(page) == 1 and page[0].action == "host.mute"
    guests, _ = await log.entries(actor="TAMU")
    assert [g.address for g in guests] == ["10.9.9.9"]


async def test_secrets_in_detail_are_redacted(db: Database) -> None:
    log = AuditLog(db)
    await log.record(
        "room.invite",
        actor="bupati",
        detail={"invite_token": "v1.abc.def", "nested": {"password": "x"}, "room": "r1"},
    )
    (entry,), _ = await log.entries()
    assert entry.detail == {
        "invite_token": "[redacted]",
        "nested": {"password": "[redacted]"},
        "room": "r1",
    }


async def test_csv_export_is_parseable_and_defuses_formulas(db: Database) -> None:
    log = AuditLog(db)
    await log.record("auth.sign_in_failed", actor='=HYPERLINK("http://x")', address="10.0.0.1")
    await log.record("host.end", actor="bupati", target='room "r1", rapat')
    text = await log.export_csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "at_utc", "actor", "role", "address", "action", "target", "detail"]
    assert rows[1][2].startswith("'=") and rows[1][5] == "auth.sign_in_failed"
    assert rows[2][6] == 'room "r1", rapat'
    only_host = list(csv.reader(io.StringIO(await log.export_csv(action="host."))))
    assert len(only_host) == 2
