"""axe-core on every page of Pendopo, in the states people see them: no serious or critical
finding (tests/browser/axe.py injects the vendored axe-core)."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.pages import (
    create_session,
    en,
    in_lobby,
    in_session,
    join,
    join_and_admit,
    new_page,
    sign_in,
)
from tests.browser.test_meeting import LESTARI, SUTRISNO
from tests.conftest import RunningServer


async def visit(page: Page, url: str, what: str) -> None:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    await assert_accessible(page, what)


async def test_every_page_passes_axe(browser: Browser, server: RunningServer) -> None:
    ctx, page = await new_page(browser)
    for path in ("/login", "/layanan", "/layanan?mode=board"):
        await visit(page, en(server.url + path), path)
    await visit(page, server.url + "/login", "/login (Bahasa Indonesia)")
    await sign_in(page, server.url)
    link = await create_session(page, "Rapat aksesibilitas")
    await asyncio.sleep(1)  # the sessions list and readiness have loaded
    await assert_accessible(page, "the home page with a session")
    for path in (
        "/admin",
        "/inventory",
        "/inventory/sites/1",
        "/inventory/report",
        "/layanan/kelola",
        "/",
    ):
        await visit(page, en(server.url + path), path)
    await visit(page, en(link), "the join page (host)")
    await ctx.close()


async def test_meeting_views_pass_axe(browser: Browser, server: RunningServer) -> None:
    host_ctx, host = await new_page(browser)
    await sign_in(host, server.url)
    link = await create_session(host, "Rapat aksesibilitas")
    await join(host, link, name=None, site=None)
    await in_session(host)
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Plupuh")
    ctx2, waiting = await new_page(browser)
    await join(waiting, link, LESTARI, "Tanon")
    await in_lobby(waiting)
    await assert_accessible(waiting, "the lobby")
    await lurah.get_by_role("button", name="Raise hand").click()
    await lurah.get_by_role("textbox", name="Message").fill("Selamat pagi")
    await lurah.get_by_role("button", name="Send").click()
    await expect(host.get_by_role("log", name="Chat")).to_contain_text("Selamat pagi")
    await expect(
        host.get_by_role("list", name="Raised hands").get_by_role("listitem")
    ).to_have_count(1)
    await assert_accessible(host, "the host's session view (lobby, hand, chat)")
    await assert_accessible(lurah, "a participant's session view")
    await host.get_by_role("button", name="End session", exact=True).click()
    await expect(host.get_by_role("dialog")).to_be_visible()
    await assert_accessible(host, "the confirmation dialog")
    await host.get_by_role("dialog").get_by_role("button", name="End session").click()
    await expect(lurah.get_by_role("heading", name="The session has ended")).to_be_visible()
    await assert_accessible(lurah, "the end page")
    await assert_accessible(host, "the host's end page")
    for c in (host_ctx, ctx, ctx2):
        await c.close()
