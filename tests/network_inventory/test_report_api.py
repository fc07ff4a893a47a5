"""The availability report over REST on a real server: roles, months, JSON and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from accounts import AccountRole
from edge.keys import ACCOUNTS, DATABASE, LIVE
from tests.conftest import RunningServer, make_settings, start_server
from tests.network_inventory.live_helpers import add_site, add_target, wait_for
from tests.network_inventory.report_helpers import H, kalijambe_november


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    await kalijambe_november(server)
    session = await server.signed_in_session()
    async with session:
        yield session


async def test_report_json(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/reports/availability", params={"month": "2026-11"}) as resp:
        assert resp.status == 200, await resp.text()
        report = await resp.json()
    assert report["month"] == "2026-11" and report["complete"] is True
    assert report["start"] == "2026-10-31T17:00:00Z" and report["end"] == "2026-11-30T17:00:00Z"
    assert report["regency"] == "Kantor Bupati Sragen" and report["region"] == "Kabupaten Sragen"
    (site,) = report["sites"]
    assert (site["code"], site["name"], site["provider"], site["medium"]) == (
        "33.14.01", "Kalijambe", "Telkom", "fiber"
    )  # fmt: skip
    assert (site["outages"], site["down_s"], site["maintenance_s"]) == (1, 2 * H, H)
    assert site["availability"] == pytest.approx(1 - 2 / 719, abs=1e-6)
    assert [k["name"] for k in report["kecamatan"]] == ["Kalijambe"]
    assert report["providers"][0]["provider"] == "Telkom"


async def test_report_csv(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/reports/availability.csv", params={"month": "2026-11"}) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/csv"
        assert 'filename="ketersediaan-2026-11.csv"' in resp.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [r["level"] for r in rows] == ["total", "kecamatan", "provider", "medium", "site"]
    site = rows[-1]
    assert site["code"] == "33.14.01" and site["kecamatan"] == "Kalijambe"
    assert site["availability_pct"] == "99.722"  # 1 - 2/719
    assert (site["outages"], site["longest_outage_min"], site["mttr_min"]) == (
        "1",
        "120.0",
        "120.0",
    )
    assert site["maintenance_min"] == "60.0" and site["counted_h"] == "719.0"


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026-1", "x", "9999-01"])
async def test_bad_month_is_400_json(http: aiohttp.ClientSession, month: str) -> None:
    for path in ("/api/reports/availability", "/api/reports/availability.csv"):
        async with http.get(path, params={"month": month}) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["error"] == "invalid_month" and body["message"]


async def test_roles(server: RunningServer) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        for path in ("/api/reports/availability", "/api/reports/availability.csv"):
            async with anonymous.get(path) as resp:
                assert resp.status == 401
    accounts = server.app[ACCOUNTS]
    await accounts.create_user("pemantau", "lihat-saja-2026!", AccountRole.VIEWER)
    await accounts.create_user(
        "kalijambe", "desa-kalijambe-2026!", AccountRole.SITE, site_code="33.14.01"
    )
    async with await server.signed_in_session("pemantau", "lihat-saja-2026!") as viewer:
        async with viewer.get("/api/reports/availability") as resp:
            assert resp.status == 200  # the current month so far
            assert (await resp.json())["complete"] is False
    async with await server.signed_in_session("kalijambe", "desa-kalijambe-2026!") as seat:
        for path in ("/api/reports/availability", "/api/reports/availability.csv"):
            async with seat.get(path) as resp:
                assert resp.status == 403
                assert (await resp.json())["error"] == "forbidden"
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get("/inventory/report?month=2026-11", allow_redirects=False) as r:
            assert r.status == 302
            assert r.headers["Location"].startswith("/login?next=")


async def test_a_real_outage_seen_by_the_prober_is_in_the_report(tmp_path: Path) -> None:
    """Probing every second: a TCP target closed for a few seconds is one outage this month."""
    settings = make_settings(
        tmp_path, probe_enabled=True, probe_interval=1.0, probe_down_rounds=1, probe_up_rounds=1
    )
    runner, server = await start_server(settings)

    async def accept(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    listener = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        db = server.app[DATABASE]
        office = (await db.fetchone("SELECT id FROM sites WHERE kind = 'kabupaten'"))[0]
        site = await add_site(db, "33.14.99", "Puskesmas Uji", "other", office)
        await add_target(db, site, "tcp", "127.0.0.1", port=port, count=1, interval_s=1)
        live = server.app[LIVE]

        def state() -> str | None:
            return live.state_of(site)

        await wait_for(lambda: state() == "up")
        listener.close()
        await listener.wait_closed()
        await wait_for(lambda: state() == "down")
        await asyncio.sleep(2)
        listener = await asyncio.start_server(accept, "127.0.0.1", port)
        await wait_for(lambda: state() == "up")
        async with await server.signed_in_session() as http:
            async with http.get("/api/reports/availability") as resp:
                assert resp.status == 200, await resp.text()
                report = await resp.json()
        (row,) = [r for r in report["sites"] if r["site_id"] == site]
        assert row["outages"] == 1 and row["down_s"] >= 2, row
        assert 0 < row["availability"] < 1 and row["longest_outage_s"] == row["down_s"]
        assert row["rtt_median_ms"] is not None and row["loss"] > 0  # from the raw samples
    finally:
        listener.close()
        await listener.wait_closed()
        await runner.cleanup()
