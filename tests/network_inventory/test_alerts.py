"""Alert grouping (pure) and webhook delivery to a real aiohttp receiver on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from network_inventory import history
from network_inventory.alert_log import AlertSite
from network_inventory.alerts import (
    Backoff,
    Transition,
    WebhookDispatcher,
    alert_payload,
    plan_alerts,
)
from network_inventory.state import State
from pendopo.db import Database
from tests.conftest import free_port

S = State
ANCESTORS = {1: [], 2: [1], 3: [2, 1], 4: [2, 1], 5: [1], 6: [5, 1]}


def test_one_alert_per_kecamatan_outage_listing_its_villages() -> None:
    changes = [
        Transition(2, S.UP, S.DOWN),
        Transition(3, S.UP, S.UNREACHABLE),
        Transition(4, S.DEGRADED, S.UNREACHABLE),
    ]
    plans, suppressed = plan_alerts(changes, ANCESTORS)
    assert len(plans) == 1
    assert plans[0].kind == "down"
    assert plans[0].lead.site_id == 2
    assert [m.site_id for m in plans[0].members] == [3, 4]
    assert suppressed == {}


def test_two_kecamatan_two_alerts_and_the_recovery_groups_too() -> None:
    changes = [
        Transition(2, S.DOWN, S.UP),
        Transition(3, S.UNREACHABLE, S.UP),
        Transition(5, S.UP, S.DOWN),
        Transition(6, S.UP, S.UNREACHABLE),
    ]
    plans, _ = plan_alerts(changes, ANCESTORS)
    assert {(p.lead.site_id, p.kind, tuple(m.site_id for m in p.members)) for p in plans} == {
        (2, "up", (3,)),
        (5, "down", (6,)),
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (Transition(3, S.UP, S.UNREACHABLE), "parent_down"),  # parent went down earlier
        (Transition(3, S.UP, S.MAINTENANCE), "maintenance"),
        (Transition(3, S.MAINTENANCE, S.UP), "maintenance"),
        (Transition(3, S.UNKNOWN, S.PLANNED), "planned"),
        (Transition(3, S.UNKNOWN, S.UP), "first_measurement"),
    ],
)
def test_suppressed_changes_say_why(change: Transition, reason: str) -> None:
    plans, suppressed = plan_alerts([change], ANCESTORS)
    assert plans == []
    assert suppressed == {3: reason}


def test_payload_names_the_sites() -> None:
    plans, _ = plan_alerts(
        [Transition(2, S.UP, S.DOWN), Transition(3, S.UP, S.UNREACHABLE)], ANCESTORS
    )
    sites = {
        2: AlertSite(id=2, code="33.14.11", name="Tangen", kind="kecamatan"),
        3: AlertSite(id=3, code="33.14.11.2001", name="Dukuh", kind="desa"),
    }
    body = alert_payload(plans[0], sites, at=0.0, measurements={2: {"loss": 1.0}})
    assert body["site"]["code"] == "33.14.11"
    assert body["site"]["loss"] == 1.0
    assert body["affected"][0]["name"] == "Dukuh"
    assert body["affected_count"] == 1
    assert (
        body["text"]
        == "DOWN: Kecamatan Tangen (33.14.11); 1 lokasi di belakangnya tidak terjangkau"
    )


@pytest.fixture
async def db(new_database: Callable[[str], Database]) -> AsyncIterator[Database]:
    database = new_database("a.sqlite3")
    database.open([history.COMPONENT])
    try:
        yield database
    finally:
        database.close()


class Receiver:
    """A webhook receiver on loopback that fails the first ``fail`` requests with 500."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.bodies: list[dict[str, Any]] = []
        self.attempts: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.fail:
            return web.Response(status=500)
        self.bodies.append(await request.json())
        return web.Response(status=204)


async def _serve(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/hook"


async def _add_hook(db: Database, url: str) -> int:
    return await db.execute_write(
        "INSERT INTO inventory_webhooks (url, created_at, updated_at) VALUES (?, 0, 0)", (url,)
    )


async def _wait(predicate: Any, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_webhook_retries_with_backoff_then_delivers(db: Database) -> None:
    receiver = Receiver(fail=2)
    runner, url = await _serve(receiver)
    hook = await _add_hook(db, url)
    dispatcher = WebhookDispatcher(db, backoff=Backoff(attempts=4, base_s=0.2, timeout_s=5))
    dispatcher.start()
    try:
        dispatcher.submit({"kind": "down", "site": {"id": 2}})
        await _wait(lambda: dispatcher.delivered == 1)
    finally:
        await dispatcher.stop()
        await runner.cleanup()
    assert receiver.bodies == [{"kind": "down", "site": {"id": 2}}]
    gaps = [b - a for a, b in zip(receiver.attempts, receiver.attempts[1:], strict=False)]
    assert len(gaps) == 2
    assert gaps[1] > gaps[0]  # 0.2 s then 0.4 s (±20 %): the wait doubles
    row = await db.fetchone("SELECT delivered, failed, last_status FROM inventory_webhooks")
    assert row is not None and tuple(row) == (1, 0, 204)
    assert hook == 1


async def test_webhook_gives_up_and_records_the_failure(db: Database) -> None:
    receiver = Receiver(fail=100)
    runner, url = await _serve(receiver)
    await _add_hook(db, url)
    dispatcher = WebhookDispatcher(db, backoff=Backoff(attempts=3, base_s=0.05, timeout_s=5))
    dispatcher.start()
    try:
        dispatcher.submit({"kind": "down"})
        await _wait(lambda: dispatcher.failed == 1)
    finally:
        await dispatcher.stop()
        await runner.cleanup()
    assert len(receiver.attempts) == 3
    row = await db.fetchone(
        "SELECT delivered, failed, last_status, last_error FROM inventory_webhooks"
    )
    assert row is not None and tuple(row) == (0, 1, 500, "HTTP 500")


async def test_the_queue_is_bounded(db: Database) -> None:
    dispatcher = WebhookDispatcher(db, queue_size=3)  # not started: nothing is consumed
    for i in range(5):
        dispatcher.submit({"n": i})
    assert dispatcher.dropped == 2


def test_villages_failing_together_under_a_kecamatan_that_stays_up_are_one_alert() -> None:
    ancestors = {1: [], 2: [1], 3: [2, 1], 4: [2, 1], 7: [2, 1], 5: [1], 6: [5, 1]}
    changes = [
        Transition(3, S.UP, S.DOWN),
        Transition(4, S.UP, S.DOWN),
        Transition(7, S.UP, S.DEGRADED),  # another kind: its own alert
        Transition(6, S.UP, S.DOWN),  # alone under its kecamatan: its own alert
    ]
    plans, _ = plan_alerts(changes, ancestors)
    by_kind = {(p.group, p.kind): p for p in plans}
    assert set(by_kind) == {(2, "down"), (None, "degraded"), (None, "down")}
    group = by_kind[(2, "down")]
    assert [t.site_id for t in (group.lead, *group.members)] == [3, 4]
    infos = {
        2: AlertSite(id=2, code="33.14.01", name="Kalijambe", kind="kecamatan"),
        3: AlertSite(id=3, code="33.14.01.2001", name="Banaran", kind="desa"),
        4: AlertSite(id=4, code="33.14.01.2002", name="Bukuran", kind="desa"),
    }
    payload = alert_payload(group, infos, at=0, measurements={})
    assert payload["grouped"] is True and payload["kind"] == "down"
    assert payload["site"] == {
        "id": 2,
        "code": "33.14.01",
        "name": "Kalijambe",
        "kind": "kecamatan",
    }
    assert [a["name"] for a in payload["affected"]] == ["Banaran", "Bukuran"]
    assert payload["text"] == "DOWN: 2 lokasi di bawah Kecamatan Kalijambe (33.14.01)"


def test_a_kecamatan_outage_is_not_grouped_with_its_villages_recoveries() -> None:
    changes = [Transition(2, S.UP, S.DOWN), Transition(3, S.UP, S.UNREACHABLE)]
    plans, _ = plan_alerts(changes, ANCESTORS)
    assert [(p.lead.site_id, p.group) for p in plans] == [(2, None)]
