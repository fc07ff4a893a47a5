"""Presenting in headless Chromium (issue 10 item 4): the host clicks "Present screen", the
browser's picker gives a screen (Chromium's fake one: --auto-select-desktop-capture-source), and
a lurah's page shows the share large, with the host's name, the cameras as thumbnails. Stopping
from the page's button and from the browser's own "stop sharing" (the track's ``ended``) both end
it for everyone; the host lets a lurah present, and takes over from them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import CHROMIUM_ARGS, chromium
from tests.browser.pages import assert_video_playing, join_and_admit, new_page, participant_entry
from tests.browser.test_meeting import LESTARI, SUTRISNO, start_host
from tests.conftest import RunningServer

HOST = "Kantor Bupati"  # the signed-in host's display name
SCREEN_ARGS = [*CHROMIUM_ARGS, "--auto-select-desktop-capture-source=Entire screen"]


@pytest.fixture
async def screen_browser() -> AsyncIterator[Browser]:
    async with chromium(SCREEN_ARGS) as b:
        yield b


def share_tile(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("figure.tile.share").filter(has=page.get_by_label(f"{name}'s screen"))


async def host_and_two_lurah(
    browser: Browser, server: RunningServer, lestari_site: str = "Tanon"
) -> tuple[list[BrowserContext], Page, Page, Page]:
    """The host's session with two lurah admitted: (contexts, host, Sutrisno, Lestari); Sutrisno
    from Kecamatan Plupuh, Lestari from ``lestari_site`` (a kecamatan, or "Village, Kecamatan")."""
    host_ctx, host, link = await start_host(browser, server, "Rapat paparan")
    ctx, lurah = await new_page(browser)
    ctx2, other = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Plupuh")
    await join_and_admit(host, other, link, LESTARI, lestari_site)
    return [host_ctx, ctx, ctx2], host, lurah, other


async def test_the_host_presents_and_a_lurah_sees_it_large(
    screen_browser: Browser, server: RunningServer
) -> None:
    browser = screen_browser
    contexts, host, lurah, other = await host_and_two_lurah(browser, server)
    # A lurah may not present until the host allows it.
    await expect(lurah.get_by_role("button", name="Present screen")).to_be_hidden()

    await host.get_by_role("button", name="Present screen").click()
    await expect(host.get_by_role("button", name="Stop presenting")).to_be_visible()
    await expect(host.get_by_text("You are presenting")).to_be_visible()
    await expect(lurah.get_by_text(f"{HOST} is presenting")).to_be_visible()
    # Large for everyone, frames arriving; the host's camera is a thumbnail beside it.
    await assert_video_playing(lurah, f"{HOST}'s screen")
    await expect(share_tile(lurah, HOST)).to_have_class("tile share main")
    await expect(lurah.locator("#videos figure.tile.thumb").first).to_be_visible()
    await assert_video_playing(other, f"{HOST}'s screen")

    # The page's button stops it for everyone.
    await host.get_by_role("button", name="Stop presenting").click()
    await expect(share_tile(lurah, HOST)).to_have_count(0)
    await expect(lurah.get_by_text(f"{HOST} is presenting")).to_be_hidden()
    await expect(host.get_by_role("button", name="Present screen")).to_be_visible()

    # The host lets the lurah present; the browser's own "stop sharing" ends it.
    await (
        participant_entry(host, SUTRISNO)
        .get_by_role("button", name=f"Allow presenting for {SUTRISNO}")
        .click()
    )
    await lurah.get_by_role("button", name="Present screen").click()
    await assert_video_playing(host, f"{SUTRISNO}'s screen")
    await expect(share_tile(other, SUTRISNO)).to_have_count(1)
    await expect(other.get_by_role("button", name="Present screen")).to_be_hidden()

    # One presenter at a time: the host takes over, and the lurah's page says why it stopped.
    await host.get_by_role("button", name="Present screen").click()
    await expect(lurah.get_by_text("The host took over the presentation.")).to_be_visible()
    await assert_video_playing(lurah, f"{HOST}'s screen")
    await expect(share_tile(other, SUTRISNO)).to_have_count(0)
    await host.get_by_role("button", name="Stop presenting").click()
    await expect(share_tile(lurah, HOST)).to_have_count(0)

    await lurah.get_by_role("button", name="Present screen").click()
    await assert_video_playing(host, f"{SUTRISNO}'s screen")
    await lurah.evaluate(
        """() => document.querySelector("figure.tile.share video").srcObject
             .getVideoTracks()[0].dispatchEvent(new Event("ended"))"""
    )
    await expect(share_tile(host, SUTRISNO)).to_have_count(0)
    await expect(lurah.get_by_role("button", name="Present screen")).to_be_visible()
    for c in contexts:
        await c.close()
