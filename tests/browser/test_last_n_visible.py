"""Last-N by visibility in headless Chromium: the host presents (the share is large, the cameras
are thumbnails) in a small window with several sites, so that some thumbnails are scrolled out
of the video box. The page tells the server exactly the tiles that are on screen
(``media:shown``); the server forwards no video for the others (their ``media:layer`` is
``off``/``hidden``), and a thumbnail scrolled into view gets its video again.

The sites are Python aiortc clients (pre-encoded VP8 and Opus, nothing decoded) admitted from the
host's lobby list, as lurah would be."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from playwright.async_api import Browser, Page, expect

from media.testing import ClientPeer, encode_opus_cycle, encode_vp8_cycle
from signaling.client import MediaSession
from tests.browser.pages import DEADLINE, assert_video_playing, lobby_entry
from tests.browser.test_meeting import start_host
from tests.browser.test_presenting import screen_browser  # noqa: F401  (fixture)
from tests.browser.test_speaker_view import RECORD_SHOWN
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, join_lobby

SITES = 7  # with the host's own tile: three rows of thumbnails at 1024x600, two scrolled away

# Which tiles (other than one's own) the page shows now, by geometry: a tile counts when at least
# 2 px of it are inside both the video box and the window. Tiles with a sliver of 0-2 px are
# left out of the comparison (the observer may have seen them either way).
ON_SCREEN = """() => {
  const box = document.getElementById("videos").getBoundingClientRect();
  const visible = [], unsure = [], hidden = [];
  for (const tile of document.querySelectorAll("#videos figure.tile")) {
    if (tile.id === "tile-self") continue;
    const r = tile.getBoundingClientRect();
    const top = Math.max(r.top, box.top, 0);
    const bottom = Math.min(r.bottom, box.bottom, window.innerHeight);
    const left = Math.max(r.left, box.left, 0);
    const right = Math.min(r.right, box.right, window.innerWidth);
    const seen = Math.min(bottom - top, right - left);
    const id = tile.id.replace(/^tile-/, "");
    (seen >= 2 ? visible : seen > 0 ? unsure : hidden).push(id);
  }
  return {visible, unsure, hidden};
}"""


# Re-render the tiles every 100 ms, as `speaking` events of a lively session do.
RENDER_STORM = """() => {
  const c = window.pendopo.client;
  setInterval(() => c._emit("speaking", {participant: "nobody", speaking: false}), 100);
}"""


async def _site(
    server: RunningServer, room: str, name: str, media: tuple[list[bytes], list[bytes]]
) -> Person:
    """A site that waits in the lobby; its media starts once admitted."""
    person = await join_lobby(server, room, name)
    person.peer = ClientPeer(name, decode=False)
    person.peer.publish(pre_encoded=media, fps=10.0)
    return person


async def _shown_matches(page: Page) -> dict[str, Any]:
    """Wait until the page's last ``media:shown`` is exactly the tiles on screen."""
    end = time.monotonic() + DEADLINE
    last: dict[str, Any] = {}
    while time.monotonic() < end:
        geo = await page.evaluate(ON_SCREEN)
        sent = await page.evaluate("window.shownSent.at(-1) ?? null")
        last = {"geometry": geo, "sent": sent}
        if sent is not None:
            got = set(sent) - set(geo["unsure"])
            if got == set(geo["visible"]):
                return geo  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)
    raise AssertionError(f"media:shown is not the tiles on screen: {last}")


async def _layer(page: Page, participant: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await page.evaluate(
        "(id) => window.pendopo.client.layers.get(id) ?? null", participant
    )
    return result


async def _wait_layer(page: Page, participant: str, hidden: bool) -> None:
    end = time.monotonic() + DEADLINE
    last = None
    while time.monotonic() < end:
        last = await _layer(page, participant)
        if last is not None and (last["reason"] == "hidden") == hidden:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"layer of {participant}: {last} (expected hidden={hidden})")


async def test_only_the_tiles_on_screen_get_video(
    screen_browser: Browser,  # noqa: F811
    server: RunningServer,
) -> None:
    media = (encode_opus_cycle(), encode_vp8_cycle(160, 120, 10.0, 150_000, 30))
    host_ctx, host, link = await start_host(screen_browser, server, "Rapat 8 situs")
    await host.set_viewport_size({"width": 1024, "height": 600})
    room = link.rsplit("/", 1)[-1]
    sites: list[Person] = []
    try:
        await host.get_by_role("button", name="Present screen").click()
        await expect(host.locator("#videos figure.tile.share.main")).to_be_visible()
        await host.evaluate(RECORD_SHOWN)
        for i in range(SITES):
            site = await _site(server, room, f"Lurah {i + 1}", media)
            sites.append(site)
            await lobby_entry(host, site.name).get_by_role("button", name="Admit").click()
            await site.client.wait_event("lobby:result", lambda d: d["status"] == "admitted")
            await site.client.shown([])  # the sites look at nothing here: no decoding, less CPU
            assert site.peer is not None
            site.media = MediaSession(site.client, site.peer)
            await site.media.start()
        await expect(host.locator("#videos figure.tile.thumb")).to_have_count(SITES + 1)

        # At the top: the share and the first row of thumbnails; the rest scrolled away.
        geo = await _shown_matches(host)
        assert geo["hidden"], f"the window shows every tile; nothing to test: {geo}"
        ids = {s.client.participant_id for s in sites}  # (the host's own share has no layer)
        last_hidden = [p for p in geo["hidden"] if p in ids][-1]  # the lowest: seen at the bottom
        for pid in ids & set(geo["visible"]):
            await _wait_layer(host, pid, hidden=False)
        for pid in ids & set(geo["hidden"]):
            await _wait_layer(host, pid, hidden=True)

        # Scrolled to the bottom: the lower thumbnails get their video, promptly — also while
        # the page re-renders its tiles every 100 ms (speaking, quality, state in a busy
        # session), which once postponed the report for good.
        await host.evaluate(RENDER_STORM)
        started = time.monotonic()
        await host.evaluate(
            "() => { const v = document.getElementById('videos'); v.scrollTop = v.scrollHeight; }"
        )
        geo = await _shown_matches(host)
        assert last_hidden in geo["visible"], geo
        assert geo["hidden"], f"scrolling hid nothing: {geo}"
        await _wait_layer(host, last_hidden, hidden=False)
        name = next(s.name for s in sites if s.client.participant_id == last_hidden)
        await assert_video_playing(host, name)
        print(f"scrolled-in thumbnail playing after {time.monotonic() - started:.2f} s")
        for pid in ids & set(geo["hidden"]):
            await _wait_layer(host, pid, hidden=True)
    finally:
        for site in sites:
            await site.close()
        await host_ctx.close()
