"""A browser carries on when the node serving its session is killed (docs/scaling.md, "Failover").

Two ``pendopo run`` processes and one Redis. A lurah's Chromium page on node A is in the session
with the Bupati (a protocol client with synthetic media). A is killed (``kill -9``): the page
cannot reach A any more, tries B (the join ack listed it), joins again there with its resume
token — in the page, no reload — and the Bupati's video plays again, now through B.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from playwright.async_api import Browser, expect
from yarl import URL

from media.testing import ClientPeer
from signaling.client import MediaSession, ProtocolClient
from tests.browser.pages import assert_video_playing, in_lobby, in_session, join, new_page
from tests.scaling.conftest import Cluster, cluster  # noqa: F401 (fixture)
from tests.scaling.nodes import cookie_header, signed_in
from tests.scaling.redis_server import redis_url  # noqa: F401 (fixture)
from tests.signaling.meeting import FPS

BUPATI = "Bupati"
LURAH = "Pak Sutrisno"


def bupati_peer() -> ClientPeer:
    peer = ClientPeer(BUPATI)
    peer.publish(audio=True, video=True, width=320, height=240, fps=FPS)
    return peer


async def until_csp_allows(http: aiohttp.ClientSession, url: str, host: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        async with http.get(f"{url}/") as resp:
            if f"ws://{host}" in resp.headers.get("Content-Security-Policy", ""):
                return
        assert time.monotonic() < deadline, f"{host} never in the CSP of {url}"
        await asyncio.sleep(0.2)


async def test_the_page_moves_to_the_other_node(browser: Browser, cluster: Cluster) -> None:  # noqa: F811
    a, b = cluster.a, cluster.b
    http = await signed_in(a.url)
    host = ProtocolClient(a.url, cookie=cookie_header(http, a.url), name=BUPATI, failover=True)
    media: MediaSession | None = None
    context, page = await new_page(browser)
    try:
        async with http.post("/api/rooms", json={"title": "Rapat darurat"}) as resp:
            room = (await resp.json())["room"]["id"]
        await host.connect()
        await host.join(room, BUPATI)
        media = MediaSession(host, bupati_peer(), bupati_peer)
        await media.start()

        # A's pages may connect to B once A has seen B at a heartbeat (their CSP says so).
        await until_csp_allows(http, a.url, URL(b.url).authority)
        await join(page, f"{a.url}/j/{room}", LURAH, "Kalijambe")
        await in_lobby(page)
        await host.wait_until(lambda: bool(host.lobby()), what="the lurah waits")
        await host.admit(host.lobby()[0]["id"])
        await in_session(page)
        await assert_video_playing(page, BUPATI)

        a.kill()

        await page.wait_for_function(
            "(b) => window.pendopo.client?.socket?.io?.uri?.startsWith(b) &&"
            " window.pendopo.client.status === 'admitted'",
            arg=b.url,
            timeout=30_000,
        )
        await assert_video_playing(page, BUPATI)
        assert page.url.startswith(a.url)  # no reload: the page stays where it was loaded
        await expect(page.get_by_role("button", name="Leave", exact=True)).to_be_visible()
        assert host.url == b.url
    finally:
        await context.close()
        if media is not None:
            await media.peer.close()
        await host.disconnect()
        await http.close()
