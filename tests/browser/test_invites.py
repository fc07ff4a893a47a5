"""Invite links in Chromium: the host makes one on the home page, requires invites, and a lurah
with the link enters directly while a plain join link is refused."""

from __future__ import annotations

import asyncio
import re
import time

from playwright.async_api import Browser, expect

from edge.keys import INVITES
from tests.browser.pages import create_session, in_session, join, new_page, sign_in
from tests.conftest import RunningServer

INVITE_LINK = re.compile(r"^http://127\.0\.0\.1:\d+/j/[\w-]+#invite=v1\.[\w-]+\.[\w-]+$")


async def test_invite_link_made_on_the_home_page_admits_and_plain_link_is_refused(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host = await new_page(browser)
    plain_ctx, plain = await new_page(browser)
    guest_ctx, guest = await new_page(browser)
    try:
        await sign_in(host, server.url)
        join_link = await create_session(host, "Rapat undangan")
        panel = host.get_by_role("region", name="Invite links: Rapat undangan")
        await expect(panel).to_be_visible()
        for_site = panel.get_by_role("combobox", name="For site")
        await for_site.select_option(label="Gondang (33.14.06)")
        await panel.get_by_role("checkbox", name="Enter directly, without the lobby").check()
        await panel.get_by_role("button", name="Create invite link").click()
        link_box = panel.get_by_role("textbox", name="Invite link (shown only once)")
        await expect(link_box).to_have_value(INVITE_LINK)
        invite_link = await link_box.input_value()
        required = panel.get_by_role("checkbox", name="Only people with an invite link may enter")
        await required.check()
        room = join_link.rsplit("/", 1)[1]
        deadline = time.monotonic() + 20
        while not await server.app[INVITES].required(room):  # the page's PUT has landed
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await expect(panel.get_by_role("listitem")).to_have_count(1)

        await join(plain, join_link, "Tanpa Undangan", "Tanon")
        await expect(
            plain.get_by_text("This session is only for people with an invite link.")
        ).to_be_visible()

        page_url, fragment = invite_link.split("#", 1)
        await guest.goto(f"{page_url}?lang=en#{fragment}")
        await guest.get_by_role("textbox", name="Name", exact=True).fill("Lurah Gondang")
        picker = guest.get_by_role("combobox", name="Site", exact=True)
        await expect(picker.locator("option", has_text="Gondang")).to_have_count(1)
        await picker.select_option(label="Gondang")
        await guest.get_by_role("button", name="Join", exact=True).click()
        await in_session(guest)  # no lobby: the invite admits at once

        withdraw = panel.get_by_role("button", name=re.compile(r"^Withdraw link "))
        await withdraw.click()
        await expect(panel.get_by_text("withdrawn")).to_be_visible()
    finally:
        for ctx in (host_ctx, plain_ctx, guest_ctx):
            await ctx.close()
