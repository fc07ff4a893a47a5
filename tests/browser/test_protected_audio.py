"""Protected audio with real Chromium: the server's SDP, RED decoded, the host's Opus FEC.

Loss is made inside the server process: every 10th audio packet the SFU sends is dropped
before it reaches the socket (``media.hooks.send_rtp_now``), so each Chromium sees real gaps,
reports them in its receiver reports, and the server reacts as it would to a lossy link.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from media import hooks
from media.audio_protection import AudioProtection, RedSwitch
from signaling.meeting import MEETING
from tests.browser.pages import assert_all_see_each_other, join_and_admit, new_page
from tests.browser.test_meeting import HOST, SUTRISNO, start_host
from tests.conftest import RunningServer

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


async def measure(page: Page, seconds: float) -> dict[str, float]:
    """The page's received audio over ``seconds``: packets received and lost, the fraction of
    samples concealed, and packets NetEq repaired from Opus FEC."""
    a = (await audio_stats(page))["inbound"]
    await asyncio.sleep(seconds)
    b = (await audio_stats(page))["inbound"]
    samples = b["totalSamplesReceived"] - a["totalSamplesReceived"]
    return {
        "received": b["packetsReceived"] - a["packetsReceived"],
        "lost": b["packetsLost"] - a["packetsLost"],
        "concealed": (b["concealedSamples"] - a["concealedSamples"]) / max(1, samples),
        "fec": b.get("fecPacketsReceived", 0) - a.get("fecPacketsReceived", 0),
    }


def opus_fmtp(section: str) -> set[str]:
    """The Opus fmtp parameters of an m-section (Chromium reorders them)."""
    opus = next(line.split()[0][9:] for line in section.splitlines() if "opus/48000" in line)
    fmtp = next((line for line in section.splitlines() if line.startswith(f"a=fmtp:{opus} ")), "")
    return set(fmtp.strip().split(" ", 1)[-1].split(";")) if fmtp else set()


def lose_audio(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Drop every 10th audio packet each slot sends (the patched send, for re-applying)."""
    send = hooks.send_rtp_now
    counts: dict[int, int] = {}

    def lossy(out: Any, data: bytes, seq: int, ts: int, length: int, ntp: int) -> bool:
        if out.kind == "audio":
            counts[id(out)] = counts.get(id(out), 0) + 1
            if counts[id(out)] % 10 == 0:
                return True  # "sent", never arrives
        return bool(send(out, data, seq, ts, length, ntp))

    monkeypatch.setattr(hooks, "send_rtp_now", lossy)
    return lossy


async def start_meeting(browser: Browser, server: RunningServer) -> tuple[Page, Page]:
    """The host and one admitted lurah, each seeing the other's media."""
    _, host, link = await start_host(browser, server, "Rapat suara")
    _, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Kalijambe")
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})
    return host, lurah


async def test_chromium_gets_fec_and_red_and_the_host_hears_the_loss(
    browser: Browser, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, lurah = await start_meeting(browser, server)
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
    clean = await measure(lurah, 3)
    assert clean["received"] > 50
    assert sfu.stats().red_packets == 0

    # Lossy: every 10th audio packet the server sends is lost.
    lossy = lose_audio(monkeypatch)
    # Control: the same loss without RED (the switch held off) is heard.
    monkeypatch.setattr(RedSwitch, "distance", lambda self: 0)
    await asyncio.sleep(2)
    plain = await measure(lurah, 6)
    print(f"lurah audio without RED: {plain}")
    assert plain["lost"] >= plain["received"] / 20 and plain["concealed"] > 0.03
    monkeypatch.undo()
    monkeypatch.setattr(hooks, "send_rtp_now", lossy)
    deadline = time.monotonic() + 30
    while sfu.stats().red_packets < 100:
        assert time.monotonic() < deadline, "no RED within 30 s of 10 % loss"
        await asyncio.sleep(0.5)
    red = await measure(lurah, 8)
    print(f"lurah audio with RED: {red}")
    assert red["received"] > 200 and red["lost"] >= red["received"] / 20  # the loss is real
    assert red["concealed"] < plain["concealed"] / 2  # and RED hides it (0-1 % against ~9 %)

    # The host's encoder hears the lurah's loss (the server's own loss is none on loopback).
    deadline = time.monotonic() + 20
    while True:
        remote = (await audio_stats(host))["remote"]
        if remote is not None and remote.get("fractionLost", 0) >= 0.05:
            break
        assert time.monotonic() < deadline, f"host's audio RR shows {remote}"
        await asyncio.sleep(0.5)


async def test_host_encoder_adds_fec_for_the_lurah_loss(
    speaking_browser: Browser, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RED held off: the host's Opus FEC is what repairs the lurah's loss, and only because the
    server's receiver reports pass the lurah's loss on."""
    _, lurah = await start_meeting(speaking_browser, server)
    lose_audio(monkeypatch)
    monkeypatch.setattr(RedSwitch, "distance", lambda self: 0)
    # Control: the lurah's loss not passed on (the server reports only its own, none).
    passed_on = False
    worst_loss = AudioProtection.worst_loss

    def gated(self: AudioProtection, participant: str) -> int:
        return worst_loss(self, participant) if passed_on else 0

    monkeypatch.setattr(AudioProtection, "worst_loss", gated)
    await asyncio.sleep(6)  # longer than the reflection takes below
    without = await measure(lurah, 6)
    print(f"lurah audio, host not told: {without}")
    assert without["lost"] >= without["received"] / 20 and without["fec"] == 0

    passed_on = True
    deadline = time.monotonic() + 25
    while (await audio_stats(lurah))["inbound"]["fecPacketsReceived"] < 50:
        assert time.monotonic() < deadline, "the host's Opus added no FEC within 25 s"
        await asyncio.sleep(0.5)
    told = await measure(lurah, 6)
    print(f"lurah audio, host told: {told}")
    assert told["fec"] > 100  # ~230 per 6 s: NetEq repairs lost frames from the host's FEC
    assert told["concealed"] < without["concealed"] * 0.75  # 1.6-4.6 % against ~9.5 %
