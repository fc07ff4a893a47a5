"""Camera pause when unseen, in headless Chromium: in a town hall the host's page shows a few
sites' videos and the others' cameras would still fill their thin links with video nobody
watches. Once no page has shown a lurah's tile for ``camera_pause_unseen`` seconds, the server
says so in ``media:limits`` (``unseen``): the lurah's page switches both camera layers off (the
microphone goes on) and says why; as soon as the host shows the tile again the camera sends
again and the host's page plays it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.pages import (
    DEADLINE,
    HIDE_TILE,
    SHOW_TILE,
    assert_video_playing,
    lobby_entry,
)
from tests.browser.test_last_n_visible import _wait_layer
from tests.browser.test_meeting import HOST, start_host
from tests.browser.test_weak_link_page import LURAH, lurah_waits
from tests.conftest import RunningServer, make_settings, start_server

PAUSE = 1.0
"""``camera_pause_unseen`` here (seconds; 10 by default)."""

UNSEEN = "Video Anda sedang tidak ditampilkan siapa pun"
"""The start of the lurah's notice (Indonesian, the default)."""

# The camera's two senders (high, low): whether each one's encoding is switched on.
_CAMERA_ACTIVE = """() => window.pendopo.pc.getSenders()
  .filter((s) => s.track && s.track.kind === "video")
  .map((s) => s.getParameters().encodings[0].active)"""

# What the page has sent so far, video and audio (outbound-rtp bytesSent, summed per kind).
_BYTES_SENT = """async () => {
  const sent = {video: 0, audio: 0};
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp") sent[s.kind] += s.bytesSent || 0;
  });
  return sent;
}"""

# Frames decoded of the video labelled ``name`` (shown or not), null before it has a track.
_FRAMES_DECODED = """async (name) => {
  const video = [...document.querySelectorAll("video")]
    .find((v) => v.getAttribute("aria-label") === name);
  const track = video && video.srcObject && video.srcObject.getVideoTracks()[0];
  if (!track) return null;
  let frames = null;
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.trackIdentifier === track.id) frames = s.framesDecoded;
  });
  return frames;
}"""


@pytest.fixture
async def pausing_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A server that pauses a camera nobody has seen for ``PAUSE`` seconds."""
    runner, running = await start_server(make_settings(tmp_path, camera_pause_unseen=PAUSE))
    try:
        yield running
    finally:
        await runner.cleanup()


async def _until(
    page: Page, script: str, check: Callable[[Any], bool], what: str, arg: Any = None
) -> Any:
    """Evaluate ``script`` (with ``arg``) until ``check(result)`` holds."""
    end = time.monotonic() + DEADLINE
    result = None
    while time.monotonic() < end:
        result = await page.evaluate(script, arg)
        if check(result):
            return result
        await page.wait_for_timeout(200)
    raise AssertionError(f"{what}: last {result}")


async def test_a_camera_nobody_shows_pauses_and_sends_again_when_shown(
    browser: Browser, pausing_server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, pausing_server, "Rapat koordinasi")
    lurah_ctx, lurah = await lurah_waits(browser, link, "Kalijambe")
    try:
        await lobby_entry(host, LURAH).get_by_role("button", name="Admit", exact=True).click()
        await expect(lurah.get_by_role("button", name="Keluar", exact=True)).to_be_visible()
        await assert_video_playing(host, LURAH)
        await assert_video_playing(lurah, HOST)
        lurah_id = await lurah.evaluate("window.pendopo.client.participantId")
        notice = lurah.locator("#media-notice")

        # Shown on the host's page for several times the pause: the camera keeps sending.
        shown_from = await lurah.evaluate(_BYTES_SENT)
        await lurah.wait_for_timeout(3 * PAUSE * 1000)
        shown_to = await lurah.evaluate(_BYTES_SENT)
        assert await lurah.evaluate(_CAMERA_ACTIVE) == [True, True]
        assert shown_to["video"] > shown_from["video"]
        rates = {k: (shown_to[k] - shown_from[k]) * 8 / (3 * PAUSE) / 1000 for k in shown_to}
        print(f"shown: video {rates['video']:.0f} kbit/s, audio {rates['audio']:.0f} kbit/s")
        await expect(notice).not_to_contain_text(UNSEEN)

        # The host's page no longer shows the lurah: the server forwards nothing to it...
        await host.evaluate(HIDE_TILE, lurah_id)
        await _wait_layer(host, lurah_id, hidden=True)
        hidden = time.monotonic()
        # ... and after the pause the lurah's page switches both camera layers off.
        await _until(lurah, _CAMERA_ACTIVE, lambda r: r == [False, False], "camera paused")
        print(f"camera paused {time.monotonic() - hidden:.2f} s after the tile was hidden")
        await expect(notice).to_contain_text(UNSEEN)
        await expect(notice).to_contain_text("mengirim lagi begitu ada yang menampilkan Anda")
        await expect(notice).not_to_contain_text("Kamera Anda dikirim")  # nothing is sent

        # Nothing of the camera leaves the page; the microphone goes on.
        await lurah.wait_for_timeout(500)  # what was in flight
        before = await lurah.evaluate(_BYTES_SENT)
        await lurah.wait_for_timeout(2000)
        after = await lurah.evaluate(_BYTES_SENT)
        assert after["video"] == before["video"], (before, after)
        assert after["audio"] > before["audio"], (before, after)
        # The host, whom the lurah's page shows, keeps sending.
        assert await host.evaluate(_CAMERA_ACTIVE) == [True, True]

        # The host shows the lurah again: the camera sends at once and the host's page plays it.
        frames = await host.evaluate(_FRAMES_DECODED, LURAH)
        await host.evaluate(SHOW_TILE, lurah_id)
        shown = time.monotonic()
        await _until(lurah, _CAMERA_ACTIVE, lambda r: r == [True, True], "camera sends again")
        print(f"camera sends again {time.monotonic() - shown:.2f} s after the tile was shown")
        await expect(notice).not_to_contain_text(UNSEEN)
        await _until(
            host,
            _FRAMES_DECODED,
            lambda n: n is not None and n > (frames or 0) + 10,
            "the host decodes the lurah's video again",
            LURAH,
        )
        print(f"host decodes the lurah again {time.monotonic() - shown:.2f} s after")
        await assert_video_playing(host, LURAH)
        sending = await lurah.evaluate(_BYTES_SENT)
        assert sending["video"] > after["video"], (after, sending)
    finally:
        await lurah_ctx.close()
        await host_ctx.close()
