"""Recurring maintenance windows: the rule, the REST API (validation, change log, roles), and
the one rule followed by the live sweep, its alerts and the monthly report."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
import pytest

from accounts import AccountRole
from edge.keys import ACCOUNTS
from network_inventory import availability
from network_inventory.availability import WIB, parse_month
from network_inventory.live import LiveConfig, LiveService
from network_inventory.maintenance import RecurringWindow, in_maintenance
from network_inventory.maintenance_windows import MaintenanceWindows
from network_inventory.state import Policy
from pendopo.db import Database
from tests.conftest import RunningServer, free_port
from tests.network_inventory.live_helpers import add_site, add_target


def _at(text: str) -> float:
    """A WIB wall-clock time (``2026-12-06 22:30``, a Sunday) as Unix seconds."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=WIB).timestamp()


SUNDAY_NIGHT = RecurringWindow(1, (7,), 22 * 60, 24 * 60)
SATURDAY_OVERNIGHT = RecurringWindow(1, (6,), 23 * 60, 2 * 60)


@pytest.mark.parametrize(
    ("window", "moment", "covered"),
    [
        (SUNDAY_NIGHT, "2026-12-06 22:00", True),
        (SUNDAY_NIGHT, "2026-12-06 23:59", True),
        (SUNDAY_NIGHT, "2026-12-06 21:59", False),
        (SUNDAY_NIGHT, "2026-12-07 00:00", False),  # Monday
        (SUNDAY_NIGHT, "2026-12-05 22:30", False),  # Saturday
        (SATURDAY_OVERNIGHT, "2026-12-05 23:30", True),
        (SATURDAY_OVERNIGHT, "2026-12-06 01:59", True),  # Sunday early hours
        (SATURDAY_OVERNIGHT, "2026-12-06 02:00", False),
        (SATURDAY_OVERNIGHT, "2026-12-05 01:00", False),  # Saturday early hours: Friday's night
    ],
)
def test_recurring_window_in_wib(window: RecurringWindow, moment: str, covered: bool) -> None:
    assert window.covers(_at(moment)) is covered
    assert in_maintenance(None, None, [window], _at(moment)) is covered


def test_one_off_window_still_counts() -> None:
    now = _at("2026-12-02 10:00")
    assert in_maintenance(now - 60, now + 60, [], now)
    assert in_maintenance(None, now + 60, [SUNDAY_NIGHT], now)
    assert not in_maintenance(now + 1, now + 60, [SUNDAY_NIGHT], now)
    assert not in_maintenance(None, None, [], now)


# -- REST -------------------------------------------------------------------------------------
async def _signed_in(
    server: RunningServer, name: str, role: AccountRole
) -> AsyncIterator[aiohttp.ClientSession]:
    password = f"{name}-sandi-2026!"
    await server.app[ACCOUNTS].create_user(name, password, role)
    session = await server.signed_in_session(name, password)
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
async def it(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    async for session in _signed_in(server, "teknisi", AccountRole.IT):
        yield session


@pytest.fixture
async def viewer(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    async for session in _signed_in(server, "pemantau", AccountRole.VIEWER):
        yield session


async def test_it_staff_add_change_and_delete_a_window(
    it: aiohttp.ClientSession, viewer: aiohttp.ClientSession
) -> None:
    body = {"site": "33.14.01", "weekdays": [7], "start": "22:00", "end": "24:00", "notes": "UPS"}
    async with it.post("/api/maintenance-windows", json=body) as resp:
        assert resp.status == 201, await resp.text()
        made = await resp.json()
    assert made["weekdays"] == [7] and (made["start"], made["end"]) == ("22:00", "24:00")
    assert made["site_code"] == "33.14.01" and made["timezone"] == "WIB"

    async with viewer.get("/api/maintenance-windows", params={"site": "33.14.01"}) as resp:
        assert resp.status == 200
        assert [w["id"] for w in (await resp.json())["items"]] == [made["id"]]
    async with viewer.post("/api/maintenance-windows", json=body) as resp:
        assert resp.status == 403
    async with viewer.delete(f"/api/maintenance-windows/{made['id']}") as resp:
        assert resp.status == 403

    async with it.patch(f"/api/maintenance-windows/{made['id']}", json={"end": "23:30"}) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["end"] == "23:30"
    async with it.delete(f"/api/maintenance-windows/{made['id']}") as resp:
        assert resp.status == 204
    async with it.get(f"/api/maintenance-windows/{made['id']}") as resp:
        assert resp.status == 404

    async with it.get("/api/changes", params={"entity": "maintenance"}) as resp:
        changes = (await resp.json())["items"]
    assert [(c["action"], c["user"]) for c in changes] == [
        ("delete", "teknisi"),
        ("update", "teknisi"),
        ("create", "teknisi"),
    ]
    assert changes[1]["before"] == {"end": "24:00"} and changes[1]["after"] == {"end": "23:30"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"site": 1, "weekdays": [8], "start": "22:00", "end": "24:00"}, ["weekdays"]),
        ({"site": 1, "weekdays": [], "start": "25:00", "end": "7"}, ["weekdays", "start", "end"]),
        ({"site": 1, "weekdays": [1], "start": "22:00", "end": "22:00"}, ["end"]),
        ({"site": "99.99", "weekdays": [1], "start": "22:00", "end": "23:00"}, ["site"]),
        ({"weekdays": [1], "start": "22:00", "end": "23:00", "every": 2}, ["every", "site"]),
    ],
)
async def test_bad_windows_are_400_naming_each_field(
    it: aiohttp.ClientSession, body: dict[str, object], fields: list[str]
) -> None:
    async with it.post("/api/maintenance-windows", json=body) as resp:
        assert resp.status == 400, await resp.text()
        answer = await resp.json()
    assert answer["error"] == "validation_failed"
    assert [d["field"] for d in answer["details"]] == fields


# -- the live sweep, its alerts and the report ------------------------------------------------
async def test_sweep_alerts_and_report_leave_a_recurring_window_out(db: Database) -> None:
    kec = await add_site(db, "33.14.01", "Kalijambe", "kecamatan", None)
    village = await add_site(db, "33.14.01.2001", "Keden", "desa", kec)
    closed = free_port()  # nothing listens: every round fails
    await add_target(db, village, "tcp", "127.0.0.1", port=closed, count=1, timeout_s=0.3)
    every_day = {"site": village, "weekdays": list(range(1, 8)), "start": "00:00", "end": "24:00"}
    window = await MaintenanceWindows(db).create(every_day, user="it", then=lambda c, r: None)

    live = LiveService(db, LiveConfig(interval_s=1.0, policy=Policy(down_rounds=1, up_rounds=1)))
    try:
        for _ in range(2):
            await live.sweep_once()
        assert live.status[village].track.shown.value == "maintenance"
        alerts = await db.fetchall("SELECT * FROM inventory_alerts")
        assert alerts == []

        now = time.time() + 600
        report = await db.read(lambda c: availability.load(c, parse_month(None, now), now))
        row = next(r for r in report["sites"] if r["site_id"] == village)
        assert row["down_s"] == 0 and row["outages"] == 0 and row["maintenance_s"] >= 590

        # Without the window the same failures are an outage, with an alert.
        await MaintenanceWindows(db).delete(window.id, user="it", then=lambda c, r: None)
        await live.sweep_once()
        assert live.status[village].track.shown.value == "down"
        alerts = await db.fetchall("SELECT * FROM inventory_alerts")
        assert len(alerts) == 1
    finally:
        await live.stop()
