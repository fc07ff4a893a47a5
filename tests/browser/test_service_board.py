"""The public KPT service board (/layanan) in a real Chromium, against a server that probes a
kecamatan's TCP listener on loopback: closing the listener must turn that kecamatan's KTP to
"interrupted" on the open page (phone) and on the TV board, without signing in."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, expect

from tests.browser.test_inventory_dashboard import (
    DEADLINE,
    SCREENSHOTS,
    Listener,
    _probing_server,
    listener,
    sign_in_at,
)
from tests.conftest import RunningServer, make_settings, start_server

__all__ = ["listener"]  # the fixture, shared with the dashboard's test

KECAMATAN = "33.14.06"


async def _probe_kecamatan(server: RunningServer, port: int) -> str:
    """As IT staff: a TCP probe target for one kecamatan on the test's listener; its name."""
    http = await server.signed_in_session()
    try:
        async with http.get(f"/api/sites/{KECAMATAN}") as r:
            name = str((await r.json())["name"])
        probe = {"site": KECAMATAN, "kind": "tcp", "host": "127.0.0.1", "port": port,
                 "interval_s": 1, "timeout_s": 0.5, "count": 1}  # fmt: skip
        async with http.post("/api/probes", json=probe) as r:
            assert r.status == 201, await r.text()
        return name
    finally:
        await http.close()


async def _public_status(server: RunningServer, name: str) -> str:
    async with aiohttp.ClientSession(base_url=server.url) as anon:
        async with anon.get("/api/public/services") as r:
            board: dict[str, Any] = await r.json()
    return str(next(k for k in board["kecamatan"] if k["name"] == name)["status"])


async def _wait_status(server: RunningServer, name: str, status: str) -> None:
    end = time.monotonic() + DEADLINE
    while await _public_status(server, name) != status:
        assert time.monotonic() < end, f"{name} never became {status}"
        await asyncio.sleep(0.2)


def tile(page: Page, name: str) -> Any:
    return page.locator(f'#offices li[data-office="{name}"]')


async def _controls_are_named(page: Page) -> None:
    for control in await page.locator(
        "a:visible, button:visible, input:visible, select:visible, textarea:visible"
    ).all():
        label = await control.evaluate(
            "e => e.getAttribute('aria-label') || (e.labels && e.labels.length"
            " ? [...e.labels].map(l => l.textContent).join(' ') : e.textContent) || ''"
        )
        assert label.strip(), await control.evaluate("e => e.outerHTML")


async def test_kecamatan_down_shows_its_ktp_interrupted(
    browser: Browser, tmp_path: Path, listener: Listener
) -> None:
    runner, server = await _probing_server(tmp_path)
    try:
        name = await _probe_kecamatan(server, listener.port)
        await _wait_status(server, name, "available")
        phone = await browser.new_context(viewport={"width": 390, "height": 844})
        tv = await browser.new_context(viewport={"width": 1920, "height": 1080})
        try:
            page = await phone.new_page()
            await page.goto(f"{server.url}/layanan?refresh=2")
            await expect(page).to_have_url(f"{server.url}/layanan?refresh=2")  # no sign-in
            await expect(tile(page, name)).to_have_attribute("data-status", "available")
            await expect(tile(page, name).locator(".status")).to_have_text("Tersedia")
            await expect(tile(page, name).locator(".services")).to_have_text("Layanan: KTP")
            await expect(page.locator('#catalogue-rows tr[data-service="KTP"]')).to_contain_text(
                "5 menit"
            )
            await _controls_are_named(page)
            board = await tv.new_page()
            await board.goto(f"{server.url}/layanan?mode=board&refresh=2")
            await expect(board.locator("body")).to_have_class(re.compile(r"\bboard\b"))
            await expect(tile(board, name)).to_have_attribute("data-status", "available")
            await expect(board.locator("#lang-link")).to_be_hidden()  # no controls on the TV
            await expect(board.locator("#catalogue-section")).to_be_hidden()

            await listener.close()  # the kecamatan's link is cut

            for p in (page, board):
                await expect(tile(p, name)).to_have_attribute("data-status", "interrupted")
                await expect(tile(p, name).locator(".status")).to_contain_text("Terputus sejak")
            other = page.locator('#offices li[data-status="interrupted"]')
            await expect(other).to_have_count(1)  # only that kecamatan (the rest: unknown)
            await expect(page.locator('#catalogue-rows tr[data-service="KTP"]')).to_contain_text(
                "Tersedia di 0 dari 20 kecamatan"
            )
            size = await page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert size[0] <= size[1], f"the phone page scrolls sideways: {size}"
            big = await board.locator(f'#offices li[data-office="{name}"] h3').evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)"
            )
            assert big >= 26, f"board text too small for a TV: {big}px"
            last = await board.locator("#offices li").last.bounding_box()
            assert last and last["y"] + last["height"] <= 1080, "the board needs scrolling"
            await expect(board.locator("#offices li")).to_have_count(20)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "layanan-phone.png"), full_page=True)
            await board.screenshot(path=str(SCREENSHOTS / "layanan-board.png"))

            english = await phone.new_page()
            await english.goto(f"{server.url}/layanan?lang=en")
            await expect(tile(english, name).locator(".status")).to_contain_text(
                "Interrupted since"
            )
            await expect(english.locator("html")).to_have_attribute("lang", "en")
        finally:
            await phone.close()
            await tv.close()
    finally:
        await runner.cleanup()


async def test_the_kpt_edits_its_catalogue_in_the_admin_page(
    browser: Browser, tmp_path: Path
) -> None:
    runner, server = await start_server(make_settings(tmp_path))
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        await sign_in_at(page, f"{server.url}/layanan/kelola")
        ktp = page.locator('#service-rows tr[data-service="KTP"]')
        await expect(ktp).to_contain_text("20 kecamatan")
        await expect(page.locator("#structure")).to_contain_text("1 dari 52")
        await _controls_are_named(page)
        await page.get_by_role("button", name="Ubah KTP").click()
        await page.locator("#s-duration").fill("10 menit")
        await page.get_by_role("button", name="Kosongkan").click()
        await page.get_by_label("Gondang").check()
        await page.get_by_role("button", name="Simpan").click()
        await expect(ktp).to_contain_text("10 menit")
        await expect(ktp).to_contain_text("1 kecamatan")
        await page.locator("#s-name").fill("=SUM(A1)")
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.locator("#form-errors")).to_contain_text("must start with a letter")
        await expect(page.locator("#service-rows tr")).to_have_count(1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "layanan-kelola.png"), full_page=True)
    finally:
        await context.close()
        await runner.cleanup()
