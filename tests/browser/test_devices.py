"""The join page's device check: camera, microphone and speaker pickers, the speaker test, and a
plain Indonesian message when the browser refuses the camera."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import CHROMIUM_ARGS, chromium
from tests.browser.pages import create_session, en, new_page, sign_in
from tests.conftest import RunningServer


@pytest.fixture
async def refusing_browser() -> AsyncIterator[Browser]:
    """Chromium that answers every camera/microphone prompt with "Block"."""
    args = [a for a in CHROMIUM_ARGS if a != "--use-fake-ui-for-media-stream"]
    async with chromium([*args, "--deny-permission-prompts"]) as browser:
        yield browser


async def _join_link(browser: Browser, server: RunningServer) -> str:
    ctx, host = await new_page(browser)
    await sign_in(host, server.url)
    link = await create_session(host, "Rapat perangkat")
    await ctx.close()
    return link


async def test_pick_devices_and_test_the_speaker(browser: Browser, server: RunningServer) -> None:
    link = await _join_link(browser, server)
    ctx, page = await new_page(browser)
    await page.goto(en(link))
    camera = page.get_by_role("combobox", name="Choose camera")
    mic = page.get_by_role("combobox", name="Choose microphone")
    speaker = page.get_by_role("combobox", name="Choose speaker")
    # the fake devices are listed by name once access was given
    await expect(camera.locator("option")).not_to_have_count(1)
    await expect(mic.locator("option")).not_to_have_count(1)
    await expect(speaker.locator("option").first).to_have_text("System default")
    names = await camera.locator("option").all_text_contents()
    await camera.select_option(label=names[-1])
    await expect(page.locator("#preview")).to_have_js_property("readyState", 4)
    assert (
        await page.evaluate(
            "document.getElementById('preview').srcObject.getVideoTracks()[0].getSettings().deviceId"
        )
        == await camera.input_value()
    )
    await page.get_by_role("button", name="Test speaker").click()
    await expect(page.get_by_text("Do you hear a tone?")).to_be_visible()
    await expect(page.locator("#preview-error")).to_have_text("")
    await ctx.close()


async def test_refused_camera_is_explained_in_indonesian(
    browser: Browser, refusing_browser: Browser, server: RunningServer
) -> None:
    link = await _join_link(browser, server)
    ctx = await refusing_browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    await page.goto(link)
    error = page.locator("#preview-error")
    await expect(error).to_contain_text("Browser menolak akses kamera")
    await expect(error).to_contain_text(re.compile("Izinkan.*muat ulang"))
    await expect(page.get_by_role("button", name="Gabung", exact=True)).to_be_enabled()
    await ctx.close()
