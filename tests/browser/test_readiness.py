"""The host home shows, for each session, whether the invited sites can join (Chromium)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.pages import create_session, new_page, sign_in
from tests.conftest import RunningServer, free_port, make_settings, start_server


@pytest.fixture
async def probing_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = make_settings(
        tmp_path,
        probe_enabled=True,
        probe_interval=1.0,
        probe_down_rounds=1,
        probe_up_rounds=1,
    )
    runner, running = await start_server(settings)
    try:
        yield running
    finally:
        await runner.cleanup()


async def test_host_home_shows_readiness_of_invited_kecamatan(
    browser: Browser, probing_server: RunningServer
) -> None:
    server = probing_server
    listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    http = await server.signed_in_session()
    try:
        targets = (("33.14.06", free_port()), ("33.14.12", listener.sockets[0].getsockname()[1]))
        for code, port in targets:
            probe = {"site": code, "kind": "tcp", "host": "127.0.0.1", "port": port, "count": 1}
            async with http.post("/api/probes", json=probe) as resp:
                assert resp.status == 201, await resp.text()
        deadline = time.monotonic() + 30
        while True:
            async with http.get("/api/state") as resp:
                states = {i["code"]: i["state"] for i in (await resp.json())["items"]}
            if states.get("33.14.06") == "down" and states.get("33.14.12") == "up":
                break
            assert time.monotonic() < deadline, states
            await asyncio.sleep(0.25)

        context, page = await new_page(browser)
        try:
            await sign_in(page, server.url)
            invited = page.get_by_role("list", name="Invited sites", exact=True)
            await expect(invited.get_by_role("listitem")).to_have_count(20)  # all kecamatan
            await create_session(page, "Rapat kesiapan")
            summary = page.get_by_text("1 ready, 0 weak, 1 down, 18 unknown")
            await expect(summary).to_be_visible()
            await summary.click()  # open the per-site list
            sites = page.get_by_role("list", name="Sites — Rapat kesiapan")
            await expect(sites.get_by_role("listitem")).to_have_count(20)
            await expect(sites.get_by_text("Gondang: down, not joined")).to_be_visible()
            await expect(sites.get_by_text("Tanon: ready")).to_be_visible()
        finally:
            await context.close()
    finally:
        await http.close()
        listener.close()
        await listener.wait_closed()
