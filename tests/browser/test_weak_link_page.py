"""Issue 8 in the browser (headless Chromium, Indonesian UI for the lurah): the host's page sends
its camera as two VP8 layers, the lurah's media connection is up while waiting in the lobby and
carries nothing until admission, and audio-only mode limits the lurah's camera and says why,
with a live link-quality indicator on every tile."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import (
    DEADLINE,
    assert_video_playing,
    lobby_entry,
    new_page,
)
from tests.browser.test_meeting import HOST, start_host
from tests.conftest import RunningServer, free_port
from tests.signaling.test_weak_sites import DOWN_SITE, http_json, probing_server, until

LURAH = "Pak Sutrisno"
__all__ = ["probing_server"]  # the fixture: a server that probes sites every second

_CAMERA_LAYERS = """async () => {
  const pc = window.pendopo.pc;
  const senders = pc.getTransceivers()
    .filter((t) => t.sender.track && t.sender.track.kind === "video")
    .map((t) => ({mid: t.mid, direction: t.direction, enc: t.sender.getParameters().encodings[0]}));
  const heights = [];
  (await pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video") heights.push(s.frameHeight || 0);
  });
  const mlines = pc.localDescription.sdp.split("m=").slice(1).map((m) => m.split(" ")[0]);
  return {senders, heights, mlines, answer: pc.remoteDescription ? pc.remoteDescription.sdp : ""};
}"""

_SENDING = """() => window.pendopo.pc.getSenders().filter((s) => s.track)
  .map((s) => s.getParameters().encodings.every((e) => e.active !== false))"""

_INBOUND_BYTES = """async () => {
  let bytes = 0;
  (await window.pendopo.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp") bytes += s.bytesReceived || 0;
  });
  return bytes;
}"""


async def lurah_waits(browser: Browser, link: str, site: str) -> tuple[BrowserContext, Page]:
    """The lurah opens the join link (Indonesian, the default), names the site, waits in the
    lobby."""
    context, page = await new_page(browser)
    await page.goto(link)
    await page.get_by_role("textbox", name="Nama", exact=True).fill(LURAH)
    picker = page.get_by_role("combobox", name="Lokasi", exact=True)
    await expect(picker.locator("option", has_text=site)).to_have_count(1)
    await picker.select_option(label=site)
    await page.get_by_role("button", name="Gabung", exact=True).click()
    await expect(page.get_by_role("heading", name="Menunggu tuan rumah")).to_be_visible()
    return context, page


async def _eventually(page: Page, script: str, check: Any, what: str) -> Any:
    """Evaluate ``script`` until ``check(result)`` holds (media needs a moment)."""
    deadline = DEADLINE * 1000
    waited = 0
    result = None
    while waited < deadline:
        result = await page.evaluate(script)
        if check(result):
            return result
        await page.wait_for_timeout(300)
        waited += 300
    raise AssertionError(f"{what}: last {result}")


async def test_layers_lobby_media_and_audio_only_notice(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat koordinasi")

    # The host's camera goes out as two layers: high with temporal layers, and a ~180p clone.
    layers = await _eventually(
        host,
        _CAMERA_LAYERS,
        lambda r: len(r["heights"]) == 2 and min(r["heights"]) > 0 and r["answer"],
        "two camera layers sending",
    )
    high, low = layers["senders"]
    assert layers["mlines"][:3] == ["audio", "video", "video"]
    assert high["enc"].get("scalabilityMode") == "L1T3"
    assert low["enc"].get("scalabilityMode") == "L1T3" and low["direction"] == "sendonly"
    assert low["enc"]["maxBitrate"] == 150000 and low["enc"]["maxFramerate"] == 20
    assert low["enc"]["scaleResolutionDownBy"] >= 1
    assert min(layers["heights"]) <= 200 < max(layers["heights"])  # ~180p and the camera's own
    assert "dependency-descriptor" not in layers["answer"]

    # The lurah joins in Indonesian (the default) and waits in the lobby, media already up.
    lurah_ctx, lurah = await lurah_waits(browser, link, "Kalijambe")
    await _eventually(
        lurah,
        "() => window.pendopo.pc && window.pendopo.pc.connectionState",
        lambda state: state == "connected",
        "lobby media connection",
    )
    await lurah.evaluate("() => { window.lobbyPc = window.pendopo.pc; }")
    await lurah.wait_for_timeout(1500)
    assert await lurah.evaluate(_INBOUND_BYTES) == 0  # nothing reaches the lobby
    # and the page sends nothing while it waits: microphone private, uplink free
    assert await lurah.evaluate(_SENDING) == [False, False, False]
    await expect(host.locator("video").and_(host.get_by_label(LURAH, exact=True))).to_have_count(0)

    # Admitted: the same connection now carries the host's media.
    await lobby_entry(host, LURAH).get_by_role("button", name="Admit", exact=True).click()
    await expect(lurah.get_by_role("button", name="Keluar", exact=True)).to_be_visible()
    await assert_video_playing(lurah, HOST)
    assert await lurah.evaluate("() => window.pendopo.pc === window.lobbyPc")
    await assert_video_playing(host, LURAH)
    assert await lurah.evaluate(_SENDING) == [True, True, True]

    # Every tile shows its live link quality, with an accessible name.
    indicator = lurah.get_by_role("img", name=re.compile(rf"^Kualitas jaringan {HOST}: "))
    await expect(indicator).to_have_count(1)
    await expect(indicator).to_have_attribute(
        "aria-label", re.compile(r": (baik|sedang|buruk) \(hilang [\d.]+ %")
    )

    # Audio only: the page says why, and its camera sends only the low layer at a few fps.
    audio_only = lurah.get_by_role("button", name=re.compile("^Hanya suara"))
    await audio_only.click()
    notice = lurah.get_by_role("status").filter(has_text="Hanya suara: gambar tuan rumah")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("Kamera Anda dikirim dalam kualitas rendah")
    applied = await _eventually(
        lurah,
        _CAMERA_LAYERS,
        # one setParameters per sender: wait until both are applied, not just the first
        lambda r: (
            r["senders"][0]["enc"].get("active") is False
            and r["senders"][1]["enc"].get("maxFramerate") == 5
        ),
        "audio-only limits applied",
    )
    assert applied["senders"][1]["enc"]["maxFramerate"] == 5
    assert applied["senders"][1]["enc"].get("active", True) is True

    # Video on again: the limits are lifted and the notice goes.
    await audio_only.click()
    await expect(lurah.locator("#media-notice")).to_have_text("")
    await _eventually(
        lurah,
        _CAMERA_LAYERS,
        lambda r: r["senders"][0]["enc"].get("active", True) is True,
        "limits lifted",
    )
    await assert_video_playing(lurah, HOST)
    await lurah_ctx.close()
    await host_ctx.close()


async def test_weak_site_is_told_why_and_falls_back_when_video_is_switched_on(
    browser: Browser, probing_server: RunningServer
) -> None:
    """A lurah whose site link is down joins in audio-only mode and the page says why; switching
    video on gives the low layer with a message, and the camera stays at its low layer."""
    server = probing_server
    http = await server.signed_in_session()
    try:
        await http_json(
            http,
            "POST",
            "/api/probes",
            {"site": DOWN_SITE, "kind": "tcp", "host": "127.0.0.1", "port": free_port(),
             "count": 1, "timeout_s": 0.5},
        )  # fmt: skip

        async def down() -> bool:
            items = (await http_json(http, "GET", "/api/state"))["items"]
            return any(i["code"] == DOWN_SITE and i["state"] == "down" for i in items)

        await until(down, what="Gondang probed down")
    finally:
        await http.close()

    host_ctx, host, link = await start_host(browser, server, "Rapat koordinasi")
    lurah_ctx, lurah = await lurah_waits(browser, link, "Gondang")
    await lobby_entry(host, LURAH).get_by_role("button", name="Admit", exact=True).click()

    audio_only = lurah.get_by_role("button", name=re.compile("^Hanya suara"))
    await expect(audio_only).to_have_attribute("aria-pressed", "true")
    notice = lurah.locator("#media-notice")
    await expect(notice).to_contain_text("Jaringan lemah: hanya suara (jaringan putus)")
    await expect(notice).to_contain_text("Kamera Anda dikirim dalam kualitas rendah")

    # Video on over a link that cannot carry it: the low layer and a message, not a collapse.
    await audio_only.click()
    await expect(notice).to_contain_text("Jaringan lemah: video ditampilkan dalam kualitas rendah")
    await expect(notice).to_contain_text(
        "Jaringan lemah: kamera Anda dikirim dalam kualitas rendah"
    )
    applied = await _eventually(
        lurah,
        _CAMERA_LAYERS,
        lambda r: r["senders"][0]["enc"].get("active") is False,
        "low layer only",
    )
    assert applied["senders"][1]["enc"]["maxFramerate"] == 15  # the server's low-only limit
    await assert_video_playing(lurah, HOST)
    await lurah_ctx.close()
    await host_ctx.close()
