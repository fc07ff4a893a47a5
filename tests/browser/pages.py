"""What a person does in the meeting pages, found by role and accessible name (English UI).

These are the names fixed by issue 2; a renamed control breaks these helpers on purpose.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER

DEADLINE = 25.0
"""Seconds to wait for anything media-related (2 cores shared with other test runs)."""

JOIN_LINK = re.compile(r"^http://127\.0\.0\.1:\d+/j/[\w-]+$")

expect.set_options(timeout=int(DEADLINE * 1000))


def en(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "lang=en"


async def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    """A separate browser context: its own cookies and storage, like another PC."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    return context, page


async def sign_in(page: Page, base_url: str) -> None:
    await page.goto(en(f"{base_url}/login?next=/"))
    await page.get_by_role("textbox", name="Username", exact=True).fill(ADMIN_USER)
    await page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("heading", name="New session", exact=True)).to_be_visible()


async def create_session(page: Page, title: str, origin: str | None = None) -> str:
    """On the host home: New session -> Title -> Create; returns the join link (on
    ``origin``, default the loopback test server)."""
    await page.get_by_role("textbox", name="Title", exact=True).fill(title)
    await page.get_by_role("button", name="Create", exact=True).click()
    link = page.get_by_role("textbox", name="Join link", exact=True)
    pattern = JOIN_LINK if origin is None else re.compile(f"^{re.escape(origin)}/j/[\\w-]+$")
    await expect(link).to_have_value(pattern)
    await expect(link).to_have_attribute("readonly", "")
    await expect(page.get_by_role("button", name="Copy", exact=True)).to_be_visible()
    return await link.input_value()


async def join(page: Page, link: str, name: str | None, site: str | None) -> None:
    """Open the join link, type the name and pick the site (if given), click Join. A kecamatan
    is picked from the Site list; a village ("Jati, Masaran") is typed into the search box,
    which fills the Site and Village lists."""
    await page.goto(en(link))
    name_box = page.get_by_role("textbox", name="Name", exact=True)
    if name is not None:
        await name_box.fill(name)
    if site is not None and ", " in site:
        search = page.get_by_role("combobox", name="Search a village or kecamatan")
        await search.click()
        await search.fill(site)
        village = page.get_by_role("combobox", name="Village", exact=True)
        await expect(village).not_to_have_value("")
    elif site is not None:
        picker = page.get_by_role("combobox", name="Site", exact=True)
        await expect(picker.locator("option", has_text=site)).to_have_count(1)
        await picker.select_option(label=site)
    await page.get_by_role("button", name="Join", exact=True).click()


async def in_session(page: Page) -> None:
    await expect(page.get_by_role("button", name="Leave", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Microphone", exact=True)).to_be_visible()


async def in_lobby(page: Page) -> None:
    await expect(page.get_by_role("heading", name="Waiting for the host")).to_be_visible()


async def join_and_admit(host: Page, page: Page, link: str, name: str, site: str) -> None:
    """A lurah joins through the lobby and the host admits them."""
    await join(page, link, name, site)
    await in_lobby(page)
    await lobby_entry(host, name).get_by_role("button", name="Admit", exact=True).click()
    await in_session(page)


def lobby_entry(host: Page, name: str) -> Locator:
    return host.get_by_role("list", name="Waiting in the lobby").get_by_role(
        "listitem", name=name, exact=True
    )


def participant_entry(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name="Participants").get_by_role(
        "listitem", name=name, exact=True
    )


def video(page: Page, name: str) -> Locator:
    """The visible <video> whose accessible name is exactly ``name``."""
    return page.locator("video:visible").and_(page.get_by_label(name, exact=True))


_VIDEO_STATE = """async (name) => {
  const video = [...document.querySelectorAll("video")]
    .find((v) => v.getAttribute("aria-label") === name && v.checkVisibility());
  if (!video || !video.srcObject) return null;
  const track = video.srcObject.getVideoTracks()[0];
  const pc = window.pendopo && window.pendopo.pc;
  if (!track || !pc) return {width: video.videoWidth, bytes: null};
  let bytes = null;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video" && s.trackIdentifier === track.id)
      bytes = s.bytesReceived;
  });
  return {width: video.videoWidth, bytes, paused: video.paused};
}"""


async def video_state(page: Page, name: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await page.evaluate(_VIDEO_STATE, name)
    return result


async def assert_video_playing(page: Page, name: str, deadline: float = DEADLINE) -> None:
    """The <video aria-label=name> shows frames and its inbound RTP bytes keep growing."""
    end = time.monotonic() + deadline
    first: int | None = None
    last: dict[str, Any] | None = None
    while time.monotonic() < end:
        last = await video_state(page, name)
        if last and last["width"] > 0 and last["bytes"] and not last["paused"]:
            if first is None:
                first = last["bytes"]
            elif last["bytes"] > first:
                return
        await asyncio.sleep(0.3)
    raise AssertionError(f"video of {name!r} not playing on {page.url}: last state {last}")


async def assert_all_see_each_other(pages: dict[str, Page]) -> None:
    """Every page shows every other participant's video playing (in parallel)."""
    checks = [
        assert_video_playing(page, other)
        for me, page in pages.items()
        for other in pages
        if other != me
    ]
    await asyncio.gather(*checks)


async def unnamed_controls(page: Page, selector: str = "a, button, input, select") -> list[str]:
    """The visible controls (and any inside ``#map``) that have no accessible name."""
    found: list[str] = await page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
             .filter((el) => el.offsetParent !== null || el.closest('#map'))
             .filter((el) => {
               const label = el.getAttribute('aria-label') || el.textContent.trim()
                 || (el.labels && [...el.labels].map((l) => l.textContent).join(''));
               return !label || !label.trim();
             })
             .map((el) => el.outerHTML.slice(0, 80))""",
        selector,
    )
    return found


# A page stops showing one tile (participant id as argument), as a thumbnail scrolled out of
# view would: its observer reports it gone and the page tells the server (`media:shown`).
# Through the CSSOM: the page's Content-Security-Policy refuses a <style> element.
HIDE_TILE = """(id) => document.getElementById(`tile-${id}`)
  .style.setProperty("display", "none", "important")"""

SHOW_TILE = """(id) => document.getElementById(`tile-${id}`).style.removeProperty("display")"""
