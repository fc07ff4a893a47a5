"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright's async API.

Playwright never downloads a browser here: the browser is the distribution's package
(``make system-deps``).
The flags fake the camera and microphone, grant media permission without a prompt, and keep the
browser from resolving or contacting anything but the loopback test server.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.browser.speech import write_speech_wav

CHROMIUM = Path(os.environ.get("PENDOPO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_PRESENT = CHROMIUM.exists()

CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-domain-reliability",
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@asynccontextmanager
async def chromium(args: Sequence[str] = CHROMIUM_ARGS) -> AsyncIterator[Browser]:
    """A headless Chromium with these flags (a test's own browser: e.g. a fake microphone that
    plays a file, ``--use-file-for-fake-audio-capture=PATH``)."""
    if not CHROMIUM_PRESENT:
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian package chromium)")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest.fixture
async def speaking_browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium whose fake microphone speaks without pauses (tests/browser/speech.py): Opus
    codes it in SILK, with FEC, and never enters DTX on its own."""
    wav = write_speech_wav(tmp_path / "speech.wav")
    async with chromium([*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"]) as b:
        yield b
