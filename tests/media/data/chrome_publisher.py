"""A headless Chromium that publishes to an ``Sfu`` as the page does, for the capture scripts
of this folder (run once each; their output is committed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from playwright.async_api import async_playwright

from media import Sfu
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


async def publish(
    sfu: Sfu,
    page_js: str,
    seconds: float,
    answered: Callable[[str], None] = lambda offer: None,
    args: Sequence[str] = CHROMIUM_ARGS,
) -> str:
    """Run ``page_js`` (it sets ``window.pc`` and returns its offer) in Chromium, answer it as
    participant "chrome", call ``answered(offer)`` before the page applies the answer, let media
    flow for ``seconds``; the browser's version. The caller closes the Sfu."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=list(args), headless=True
        )
        try:
            page = await browser.new_page()
            offer = await page.evaluate(page_js)
            answer, _tracks = await sfu.answer("chrome", offer)
            answered(offer)
            await page.evaluate(
                "sdp => window.pc.setRemoteDescription({type: 'answer', sdp})", answer
            )
            await asyncio.sleep(seconds)
            version: str = browser.version
        finally:
            await browser.close()
    return version
