"""A muted page sends almost no audio: the town hall's sites cost the server little.

The page mutes by disabling its microphone track (protocol.js ``_applyLocal``), so Chromium keeps
sending, but silence; the server's SDP asks for ``usedtx=1`` (media/audio_sdp.py), so Opus sends a
packet every 200 ms (5 a second, measured here) instead of 50. ``bench/sfu.py --site-audio
muted`` models a muted site with that rate.
"""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Page

from tests.browser.test_protected_audio import start_meeting
from tests.conftest import RunningServer

_SENT = """async () => {
  let sent = null;
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "audio") sent = s.packetsSent;
  });
  return sent;
}"""


async def audio_sent_per_second(page: Page, seconds: float) -> float:
    before = await page.evaluate(_SENT)
    await asyncio.sleep(seconds)
    after = await page.evaluate(_SENT)
    return float(after - before) / seconds


async def test_a_site_the_host_muted_sends_dtx_only(
    speaking_browser: Browser, server: RunningServer
) -> None:
    host, lurah = await start_meeting(speaking_browser, server)
    speaking = await audio_sent_per_second(lurah, 4)
    print(f"lurah's audio packets/s, speaking: {speaking:.1f}")
    assert speaking > 40  # 50 a second while there is speech

    await host.locator("#mute-all").click()  # "Mute all"
    await asyncio.sleep(1.5)  # the mute's round trip and Opus entering DTX
    muted = await audio_sent_per_second(lurah, 6)
    print(f"lurah's audio packets/s, muted by the host: {muted:.1f}")
    assert muted < 10  # DTX: ~5 a second (measured 4.7-5.0), not 50

    # The floor back to the lurah: speech flows at the full rate again.
    await lurah.evaluate("() => window.pendopo.client.setMic(true)")
    await asyncio.sleep(1)
    again = await audio_sent_per_second(lurah, 4)
    print(f"lurah's audio packets/s, unmuted: {again:.1f}")
    assert again > 40
