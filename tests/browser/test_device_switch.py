"""Another microphone mid-session, in headless Chromium: the lurah opens "Devices" in the
session, picks another of Chromium's fake audio inputs, and the page sends it on the running
connection (replaceTrack) — the server goes on receiving that participant's audio, as a Python
host decoding it shows. A device the browser refuses is explained and the previous one stays."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.pages import in_lobby, in_session, join, new_page
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, create_room, join_host

LURAH = "Pak Sutrisno"

SENT_CAMERA = """() => window.pendopo.pc.getSenders()
  .filter((s) => s.track && s.track.kind === "video")
  .map((s) => ({id: s.track.id, state: s.track.readyState}))"""

SENT_MIC = """() => {
  const sender = window.pendopo.pc.getSenders().find((s) => s.track && s.track.kind === "audio");
  return sender ? {id: sender.track.getSettings().deviceId, state: sender.track.readyState} : null;
}"""


async def test_switch_microphone_mid_session(browser: Browser, server: RunningServer) -> None:
    room = await create_room(server, "Rapat perangkat")
    host: Person = await join_host(server, room)
    ctx, page = await new_page(browser)
    try:
        await host.start_media()
        await join(page, f"{server.url}/j/{room}", LURAH, "Tanon")
        await in_lobby(page)
        await host.client.wait_until(lambda: bool(host.client.lobby()), what="lobby entry")
        await host.client.admit(host.client.lobby()[0]["id"])
        await in_session(page)
        lurah_id = await page.evaluate("window.pendopo.client.participantId")
        assert host.peer is not None
        await host.peer.wait_frames(lurah_id, "audio", 25, 25.0)

        toggle = page.get_by_role("button", name="Devices", exact=True)
        await expect(toggle).to_have_attribute("aria-expanded", "false")
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        panel = page.get_by_role("region", name="Camera, microphone and speaker")
        mic = panel.get_by_role("combobox", name="Choose microphone")
        await expect(panel.get_by_role("combobox", name="Choose camera")).to_be_visible()
        await expect(panel.get_by_role("combobox", name="Choose speaker")).to_be_visible()
        await expect(panel.get_by_role("button", name="Test speaker")).to_be_visible()
        before = await page.evaluate(SENT_MIC)
        assert before is not None and before["state"] == "live"
        options = await mic.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
        others = [v for v in options if v and v != before["id"]]
        assert others, f"Chromium listed one microphone only: {options}"

        # Another microphone: sent on the same connection, the old one stopped.
        await mic.select_option(others[0])
        await expect(panel.get_by_role("status")).to_contain_text("Now using:")
        after = await page.evaluate(SENT_MIC)
        assert after == {"id": others[0], "state": "live"}, after
        assert await page.evaluate("window.pendopo.client.localStream.getAudioTracks().length") == 1
        await host.peer.wait_frames(lurah_id, "audio", 50, 25.0)  # the server still gets audio

        # The camera too (Chromium fakes one: choosing it by name instead of "System default"
        # opens it again): both layers' tracks are replaced, and its video still arrives.
        camera = panel.get_by_role("combobox", name="Choose camera")
        cameras = await camera.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
        old_video = await page.evaluate(SENT_CAMERA)
        assert len(old_video) == 2, old_video  # the high and the low layer
        current = await camera.input_value()
        await camera.select_option(next(v for v in cameras if v and v != current))
        await page.wait_for_function(
            "(old) => window.pendopo.pc.getSenders().filter((s) => s.track && s.track.kind === "
            "'video' && !old.includes(s.track.id) && s.track.readyState === 'live').length === 2",
            arg=[x["id"] for x in old_video],
        )
        assert await page.evaluate("window.pendopo.client.localStream.getVideoTracks().length") == 1
        await host.peer.wait_frames(lurah_id, "video", 10, 25.0)

        # A device the browser refuses: said in plain words, the picker back on the one in use.
        await page.evaluate(
            """() => { navigator.mediaDevices.getUserMedia = () =>
                 Promise.reject(new DOMException("refused", "NotAllowedError")); }"""
        )
        refused = next((v for v in options if v and v != others[0]), "")
        await mic.select_option(refused)
        await expect(panel.get_by_role("alert")).to_contain_text("The browser refused that device")
        await expect(mic).to_have_value(others[0])
        assert (await page.evaluate(SENT_MIC)) == after
        await host.peer.wait_frames(lurah_id, "audio", 50, 25.0)
    finally:
        await ctx.close()
        await host.close()
