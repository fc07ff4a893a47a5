"""Speaker view in headless Chromium: the active speaker's tile is large and follows who speaks
(Chromium's fake microphones play a speech-like file on one page and silence on the others);
a tile can be pinned and made full screen by keyboard; grid view is the other choice. Last-N
(unshown videos not forwarded) is proven by tests/signaling/test_last_n.py."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import CHROMIUM_ARGS, chromium
from tests.browser.pages import (
    assert_video_playing,
    in_lobby,
    in_session,
    join,
    join_and_admit,
    lobby_entry,
    new_page,
)
from tests.browser.speech import RATE, write_speech_wav
from tests.browser.test_meeting import HOST, start_host
from tests.conftest import RunningServer

QUIET = "Bu Lestari"
SPEAKER = "Pak Sutrisno"


def write_silence_wav(path: Path, seconds: float = 2.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"\0\0" * int(seconds * RATE))
    return path


def _with_audio(wav: Path) -> list[str]:
    return [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"]


@pytest.fixture
async def silent_browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium whose fake microphones are silent (its default one beeps every second)."""
    async with chromium(_with_audio(write_silence_wav(tmp_path / "silence.wav"))) as b:
        yield b


@pytest.fixture
async def speaking_browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with chromium(_with_audio(write_speech_wav(tmp_path / "speech.wav"))) as b:
        yield b


async def test_speaker_view_follows_who_speaks_pin_and_full_screen(
    silent_browser: Browser, speaking_browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(silent_browser, server, "Rapat pembicara")
    quiet_ctx, quiet = await new_page(silent_browser)
    await join_and_admit(host, quiet, link, QUIET, "Tanon")
    await host.get_by_role("button", name="Speaker view").click()
    await expect(host.get_by_role("button", name="Speaker view")).to_have_attribute(
        "aria-pressed", "true"
    )
    big = host.locator("#videos figure.main video")
    await expect(big).to_have_attribute("aria-label", QUIET)  # nobody has spoken yet

    speaker_ctx, speaker = await new_page(speaking_browser)
    await join_and_admit(host, speaker, link, SPEAKER, "Plupuh")
    await expect(big).to_have_attribute("aria-label", SPEAKER)  # he speaks: he is large
    await expect(host.locator("#videos figure.thumb video")).to_have_count(2)  # Quiet and self

    # Pin by keyboard: the quiet one stays large whoever speaks, until unpinned.
    pin = host.get_by_role("button", name=f"Pin {QUIET}")
    await pin.focus()
    await host.keyboard.press("Enter")
    await expect(pin).to_have_attribute("aria-pressed", "true")
    await expect(big).to_have_attribute("aria-label", QUIET)
    await host.wait_for_timeout(1500)
    await expect(big).to_have_attribute("aria-label", QUIET)
    await pin.focus()
    await host.keyboard.press("Enter")
    await expect(big).to_have_attribute("aria-label", SPEAKER)

    # Full screen by keyboard, and back.
    full = host.get_by_role("button", name=f"Full screen {SPEAKER}")
    await full.focus()
    await host.keyboard.press("Enter")
    await host.wait_for_function("document.fullscreenElement !== null")
    assert await host.evaluate("document.fullscreenElement.querySelector('video').ariaLabel") == (
        SPEAKER
    )
    await full.focus()
    await host.keyboard.press("Enter")
    await host.wait_for_function("document.fullscreenElement === null")

    # Grid view: every tile the same size.
    await host.get_by_role("button", name="Grid view").click()
    await expect(host.locator("#videos figure.thumb")).to_have_count(0)
    await expect(host.locator("#videos figure.main")).to_have_count(0)
    for c in (host_ctx, quiet_ctx, speaker_ctx):
        await c.close()


# Every media:shown the page sends, recorded from the lobby on.
RECORD_SHOWN = """() => {
  const c = window.pendopo.client;
  window.shownSent = [];
  const send = c.request.bind(c);
  c.request = (event, data) => {
    if (event === "media:shown") window.shownSent.push(data.participants);
    return send(event, data);
  };
}"""


async def test_a_participant_admitted_while_others_talk_never_hides_them(
    browser: Browser, server: RunningServer
) -> None:
    """While a lurah waits in the lobby the session's tiles exist but are not on screen; the
    page must not tell the server they are hidden (it did: at admission the server then
    forwarded no video to the newcomer until the page measured again, a second or more over a
    VSAT link)."""
    host_ctx, host, link = await start_host(browser, server, "Rapat tampilan")
    first_ctx, first = await new_page(browser)
    await join_and_admit(host, first, link, SPEAKER, "Masaran")
    ctx, page = await new_page(browser)
    await join(page, link, QUIET, "Plupuh")
    await in_lobby(page)
    await page.evaluate(RECORD_SHOWN)
    await expect(page.locator("#videos figure")).not_to_have_count(0)  # tiles made in the lobby
    await page.wait_for_timeout(1000)  # the page's 250 ms settling, several times over
    await lobby_entry(host, QUIET).get_by_role("button", name="Admit", exact=True).click()
    await in_session(page)
    await assert_video_playing(page, HOST)
    await assert_video_playing(page, SPEAKER)
    sent = await page.evaluate("window.shownSent")
    assert sent, "the page never said what it shows"
    for shown in sent:
        assert len(shown) == 2, sent  # both others, every time
    for c in (host_ctx, first_ctx, ctx):
        await c.close()
