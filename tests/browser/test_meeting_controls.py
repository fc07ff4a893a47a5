"""The meeting page's host controls and their defects of issue 10, in headless Chromium: the
raise-hand queue in order, confirmations before "End session" and "Remove", the host's end page,
"Allow unmute" clearing the lurah's message, no "Failed" chip for a locked-out lurah, focus on
each new view's heading, and the layout at 1024x600 and 1366x768."""

from __future__ import annotations

from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.pages import (
    in_session,
    join,
    join_and_admit,
    new_page,
    participant_entry,
)
from tests.browser.test_meeting import LESTARI, SUTRISNO, start_host
from tests.conftest import RunningServer


def hands(host: Page) -> Locator:
    return host.get_by_role("list", name="Raised hands").get_by_role("listitem")


def toggle(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name)


async def test_raise_hand_queue_in_order_floor_and_lower(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat tangan")
    ctx, sutrisno = await new_page(browser)
    ctx2, lestari = await new_page(browser)
    await join_and_admit(host, sutrisno, link, SUTRISNO, "Plupuh")
    await join_and_admit(host, lestari, link, LESTARI, "Tanon")
    await expect(toggle(host, "Raise hand")).to_be_hidden()  # the host gives the floor
    await (
        participant_entry(host, SUTRISNO)
        .get_by_role("button", name="Hard mute", exact=True)
        .click()
    )
    await expect(toggle(sutrisno, "Microphone")).to_have_attribute("aria-pressed", "false")

    await toggle(lestari, "Raise hand").click()
    await expect(toggle(lestari, "Raise hand")).to_have_attribute("aria-pressed", "true")
    await toggle(sutrisno, "Raise hand").click()
    await expect(hands(host)).to_have_count(2)
    await expect(hands(host).nth(0)).to_have_accessible_name(LESTARI)
    await expect(hands(host).nth(1)).to_have_accessible_name(SUTRISNO)
    await expect(sutrisno.get_by_text("number 2 in the queue")).to_be_visible()

    # The floor to the second in the queue: hard mute lifted, the microphone on by itself.
    await hands(host).nth(1).get_by_role("button", name="Give the floor").click()
    await expect(toggle(sutrisno, "Microphone")).to_have_attribute("aria-pressed", "true")
    await expect(sutrisno.get_by_text("The host gave you the floor")).to_be_visible()
    await expect(toggle(sutrisno, "Raise hand")).to_have_attribute("aria-pressed", "false")
    await expect(hands(host)).to_have_count(1)
    await expect(participant_entry(host, SUTRISNO)).to_contain_text("microphone on")

    await hands(host).nth(0).get_by_role("button", name="Lower hand").click()
    await expect(hands(host)).to_have_count(0)
    await expect(host.get_by_text("Nobody has raised a hand.")).to_be_visible()
    await expect(toggle(lestari, "Raise hand")).to_have_attribute("aria-pressed", "false")
    for c in (host_ctx, ctx, ctx2):
        await c.close()


async def test_remove_and_end_ask_first_and_the_host_gets_back_to_sessions(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat akhir")
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Plupuh")

    remove = participant_entry(host, SUTRISNO).get_by_role("button", name="Remove", exact=True)
    await remove.click()
    dialog = host.get_by_role("dialog", name=f"Remove {SUTRISNO} from the session?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    await expect(participant_entry(host, SUTRISNO)).to_have_count(1)
    await in_session(lurah)
    await remove.click()
    await host.keyboard.press("Escape")  # Escape answers no
    await expect(dialog).to_have_count(0)
    await expect(participant_entry(host, SUTRISNO)).to_have_count(1)
    await remove.click()
    await dialog.get_by_role("button", name="Remove", exact=True).click()
    await expect(lurah.get_by_role("heading", name="You were removed")).to_be_visible()

    end = host.get_by_role("button", name="End session", exact=True)
    await end.click()
    ask = host.get_by_role("dialog", name="End the session for everyone?")
    await ask.get_by_role("button", name="Cancel").click()
    await in_session(host)
    await end.click()
    await ask.get_by_role("button", name="End session", exact=True).click()
    await expect(host.get_by_role("heading", name="The session has ended")).to_be_visible()
    await expect(host.get_by_role("heading", name="The session has ended")).to_be_focused()
    await expect(host.get_by_text("You ended this session for everyone.")).to_be_visible()
    await expect(host.get_by_text("The host ended this session")).to_have_count(0)
    back = host.get_by_role("link", name="Back to the sessions")
    await expect(back).to_have_attribute("href", "/?lang=en")
    await back.click()
    await expect(host.get_by_role("heading", name="New session", exact=True)).to_be_visible()
    for c in (host_ctx, ctx):
        await c.close()


async def test_allow_unmute_clears_the_message_at_once(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat bisu")
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Plupuh")
    entry = participant_entry(host, SUTRISNO)
    await entry.get_by_role("button", name="Hard mute", exact=True).click()
    await toggle(lurah, "Microphone").click()
    blocked = lurah.get_by_text("you may not turn your microphone on yet")
    await expect(blocked).to_be_visible()
    await entry.get_by_role("button", name="Allow unmute", exact=True).click()
    await expect(blocked).to_have_count(0)  # without a click on the lurah's side
    await expect(lurah.get_by_text("The host allows you to speak")).to_be_visible()
    await toggle(lurah, "Microphone").click()
    await expect(toggle(lurah, "Microphone")).to_have_attribute("aria-pressed", "true")
    for c in (host_ctx, ctx):
        await c.close()


async def test_locked_out_lurah_sees_the_reason_without_a_failed_chip(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat terkunci")
    await host.get_by_role("button", name="Lock").click()
    await expect(host.get_by_role("button", name="Lock")).to_have_attribute("aria-pressed", "true")
    ctx, lurah = await new_page(browser)
    await join(lurah, link, SUTRISNO, "Plupuh")
    await expect(lurah.locator("#join-error")).to_contain_text("This session is locked")
    await expect(lurah.get_by_text("Failed", exact=True)).to_have_count(0)
    await expect(lurah.locator("#conn-status")).to_be_hidden()
    for c in (host_ctx, ctx):
        await c.close()


async def test_focus_moves_to_each_new_views_heading(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat fokus")
    await expect(host.get_by_role("heading", name="Rapat fokus", level=1)).to_be_focused()
    ctx, lurah = await new_page(browser)
    await join(lurah, link, SUTRISNO, "Plupuh")
    await expect(lurah.get_by_role("heading", name="Waiting for the host")).to_be_focused()
    await host.get_by_role("button", name="Admit", exact=True).click()
    await expect(lurah.get_by_role("heading", name="Rapat fokus", level=1)).to_be_focused()
    for c in (host_ctx, ctx):
        await c.close()


async def _box(locator: Locator) -> dict[str, float]:
    box = await locator.bounding_box()
    assert box is not None
    return box


async def test_layout_small_screen_and_hosts_chat_in_view(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat layar")
    lurahs = []
    for name, site in ((SUTRISNO, "Plupuh"), (LESTARI, "Tanon")):
        ctx, page = await new_page(browser)
        await join_and_admit(host, page, link, name, site)
        lurahs.append((ctx, page))
    # 1366x768: the host's chat is on the first screen
    await host.set_viewport_size({"width": 1366, "height": 768})
    chat_box = await _box(host.get_by_role("textbox", name="Message"))
    assert chat_box["y"] + chat_box["height"] <= 768, chat_box
    assert (await _box(host.get_by_role("log", name="Chat")))["y"] < 768
    # 1024x600: the control bar covers no tile and no name
    page = lurahs[0][1]
    await page.set_viewport_size({"width": 1024, "height": 600})
    bar = await _box(page.get_by_role("toolbar", name="Controls"))
    area = await _box(page.locator("#videos"))
    assert area["y"] + area["height"] <= bar["y"] + 1, (area, bar)
    # scrolled to the lower row: every caption in the videos box is itself what is seen there
    checked, covered = await page.evaluate(
        """async () => {
             const videos = document.getElementById('videos');
             videos.scrollTop = videos.scrollHeight;
             await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
             const box = videos.getBoundingClientRect();
             const shown = [...document.querySelectorAll('#videos figcaption')].filter((c) => {
               const r = c.getBoundingClientRect();
               return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom;
             });
             const hidden = shown.filter((c) => {
               const r = c.getBoundingClientRect();
               const hit = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
               return !hit || !c.closest('figure').contains(hit);
             });
             return [shown.length, hidden.length];
           }"""
    )
    assert checked >= 1 and covered == 0, (checked, covered)
    await expect(page.get_by_role("button", name="Leave", exact=True)).to_be_in_viewport()
    await host_ctx.close()
    for ctx, _page in lurahs:
        await ctx.close()
