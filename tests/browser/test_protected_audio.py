"""Protected audio with real Chromium: the server's SDP, RED decoded, loss reflected to the host.

Loss is made inside the server process: every 10th audio packet the SFU sends is dropped
before it reaches the socket (``media.hooks.send_rtp_now``), so each Chromium sees real gaps,
reports them in its receiver reports, and the server reacts as it would to a lossy link.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import Page

from media import hooks
from media.audio_protection import RedSwitch
from tests.browser.pages import assert_all_see_each_other, join_and_admit, new_page
from tests.browser.test_meeting import HOST, SUTRISNO, start_host
from tests.conftest import RunningServer
from web.keys import MEETING

_AUDIO_STATS = """async () => {
  const out = {inbound: null, remote: null};
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") out.inbound = s;
    if (s.type === "remote-inbound-rtp" && s.kind === "audio") out.remote = s;
  });
  return out;
}"""


async def audio_stats(page: Page) -> dict[str, Any]:
    stats: dict[str, Any] = await page.evaluate(_AUDIO_STATS)
    return stats


def audio_sections(sdp: str) -> list[str]:
    return ["m=audio" + part.split("\nm=", 1)[0] for part in sdp.split("m=audio")[1:]]


def concealment(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """Packets received and lost, and the fraction of samples concealed, from a to b."""
    samples = b["totalSamplesReceived"] - a["totalSamplesReceived"]
    return {
        "received": b["packetsReceived"] - a["packetsReceived"],
        "lost": b["packetsLost"] - a["packetsLost"],
        "concealed": (b["concealedSamples"] - a["concealedSamples"]) / max(1, samples),
    }


def opus_fmtp(section: str) -> set[str]:
    """The Opus fmtp parameters of an m-section (Chromium reorders them)."""
    opus = next(line.split()[0][9:] for line in section.splitlines() if "opus/48000" in line)
    fmtp = next((line for line in section.splitlines() if line.startswith(f"a=fmtp:{opus} ")), "")
    return set(fmtp.strip().split(" ", 1)[-1].split(";")) if fmtp else set()


async def test_chromium_gets_fec_and_red_and_the_host_hears_the_loss(
    browser: Any, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat suara")
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Kalijambe")
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})
    sfu = server.app[MEETING].bridge.sfu

    # Every server SDP keeps Opus FEC (and asks for DTX); subscriber slots offer RED over Opus.
    for page in (host, lurah):
        remote = await page.evaluate("() => window.pendopo.pc.remoteDescription.sdp")
        for section in audio_sections(remote):
            assert opus_fmtp(section) >= {"minptime=10", "useinbandfec=1", "usedtx=1"}, section
    lurah_remote = await lurah.evaluate("() => window.pendopo.pc.remoteDescription.sdp")
    lurah_local = await lurah.evaluate("() => window.pendopo.pc.currentLocalDescription.sdp")
    slots = [s for s in audio_sections(lurah_remote) if "a=sendonly" in s]
    assert slots and all("red/48000/2" in s for s in slots)
    assert "red/48000/2" in lurah_local  # Chromium accepted RED on the slot

    # Clean: plain Opus, the audio plays.
    before = await audio_stats(lurah)
    await asyncio.sleep(3)
    clean = await audio_stats(lurah)
    assert clean["inbound"]["packetsReceived"] > before["inbound"]["packetsReceived"] + 50
    assert sfu.stats().red_packets == 0

    # Lossy: every 10th audio packet the server sends is lost.
    send = hooks.send_rtp_now
    counts: dict[int, int] = {}

    def lossy(sender: Any, packet: Any, ntp: int) -> bool:
        if sender.kind == "audio":
            counts[id(sender)] = counts.get(id(sender), 0) + 1
            if counts[id(sender)] % 10 == 0:
                return True  # "sent", never arrives
        return bool(send(sender, packet, ntp))

    monkeypatch.setattr(hooks, "send_rtp_now", lossy)
    # Control: the same loss without RED (the switch held off) is heard.
    monkeypatch.setattr(RedSwitch, "distance", lambda self: 0)
    await asyncio.sleep(2)
    start = await audio_stats(lurah)
    await asyncio.sleep(6)
    plain = concealment(start["inbound"], (await audio_stats(lurah))["inbound"])
    print(f"lurah audio without RED: {plain}")
    assert plain["lost"] >= plain["received"] / 20 and plain["concealed"] > 0.03
    monkeypatch.undo()
    monkeypatch.setattr(hooks, "send_rtp_now", lossy)
    deadline = time.monotonic() + 30
    while sfu.stats().red_packets < 100:
        assert time.monotonic() < deadline, "no RED within 30 s of 10 % loss"
        await asyncio.sleep(0.5)
    start = await audio_stats(lurah)
    await asyncio.sleep(8)
    end = await audio_stats(lurah)
    red = concealment(start["inbound"], end["inbound"])
    print(f"lurah audio with RED: {red}")
    assert red["received"] > 200 and red["lost"] >= red["received"] / 20  # the loss is real
    assert red["concealed"] < 0.01  # and RED hides it

    # The host's encoder hears the lurah's loss (the server's own loss is none on loopback).
    deadline = time.monotonic() + 20
    while True:
        remote = (await audio_stats(host))["remote"]
        if remote is not None and remote.get("fractionLost", 0) >= 0.05:
            break
        assert time.monotonic() < deadline, f"host's audio RR shows {remote}"
        await asyncio.sleep(0.5)

    for c in (host_ctx, ctx):
        await c.close()
