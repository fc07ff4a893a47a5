"""A real meeting in headless Chromium: the host and two lurah, through the lobby and the SFU.

Everything is found by role and English accessible name (``?lang=en``), the way issue 2 names it.
"""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.pages import (
    assert_all_see_each_other,
    assert_video_playing,
    create_session,
    in_lobby,
    in_session,
    join,
    join_and_admit,
    lobby_entry,
    new_page,
    participant_entry,
    sign_in,
    video,
)
from tests.conftest import RunningServer

HOST = "Kantor Bupati"  # the admin account's display name (pendopo/app.py bootstrap)
SUTRISNO = "Pak Sutrisno"
LESTARI = "Bu Lestari"


async def start_host(
    browser: Browser, server: RunningServer, title: str
) -> tuple[BrowserContext, Page, str]:
    """Host signs in, creates a session, enters it through the join link (no lobby)."""
    context, host = await new_page(browser)
    await sign_in(host, server.url)
    link = await create_session(host, title)
    await join(host, link, name=None, site=None)
    await expect(host.get_by_role("textbox", name="Name", exact=True)).to_be_hidden()
    await in_session(host)
    await expect(host.get_by_role("button", name="End session", exact=True)).to_be_visible()
    return context, host, link


async def test_host_and_two_lurah_meet(browser: Browser, server: RunningServer) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat koordinasi")
    # the host's name came from the account
    await expect(video(host, HOST)).to_have_count(1)

    ctx_a, lurah_a = await new_page(browser)
    ctx_b, lurah_b = await new_page(browser)
    await join(lurah_a, link, SUTRISNO, "Kalijambe")
    await join(lurah_b, link, LESTARI, "Gemolong")
    await in_lobby(lurah_a)
    await in_lobby(lurah_b)

    # The host sees both waiting, with their site, and admits them.
    entry_a = lobby_entry(host, SUTRISNO)
    entry_b = lobby_entry(host, LESTARI)
    await expect(entry_a).to_contain_text("Kalijambe")
    await expect(entry_b).to_contain_text("Gemolong")
    await entry_a.get_by_role("button", name="Admit", exact=True).click()
    await entry_b.get_by_role("button", name="Admit", exact=True).click()
    await in_session(lurah_a)
    await in_session(lurah_b)
    await expect(lobby_entry(host, SUTRISNO)).to_have_count(0)

    # Everyone's own video is labelled with their name, and everyone sees the others playing.
    pages = {HOST: host, SUTRISNO: lurah_a, LESTARI: lurah_b}
    await assert_all_see_each_other(pages)
    for page in pages.values():
        for name in pages:
            await expect(video(page, name)).to_have_count(1)
        await expect(participant_entry(page, SUTRISNO)).to_contain_text("Kalijambe")

    # The host mutes Pak Sutrisno: his Microphone shows off, and everyone sees him muted.
    await participant_entry(host, SUTRISNO).get_by_role("button", name="Mute", exact=True).click()
    await expect(lurah_a.get_by_role("button", name="Microphone", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    await expect(participant_entry(lurah_b, SUTRISNO)).to_contain_text("muted")

    # Chat reaches the others.
    await lurah_b.get_by_role("textbox", name="Message", exact=True).fill("Sugeng siang")
    await lurah_b.get_by_role("button", name="Send", exact=True).click()
    await expect(host.get_by_role("log", name="Chat")).to_contain_text("Sugeng siang")

    # The host removes Bu Lestari: her page says so.
    await participant_entry(host, LESTARI).get_by_role("button", name="Remove", exact=True).click()
    await host.get_by_role("dialog").get_by_role("button", name="Remove", exact=True).click()
    await expect(lurah_b.get_by_role("heading", name="You were removed")).to_be_visible()
    await expect(participant_entry(host, LESTARI)).to_have_count(0)

    # The host ends the session: the remaining page says so.
    await host.get_by_role("button", name="End session", exact=True).click()
    await host.get_by_role("dialog").get_by_role("button", name="End session").click()
    await expect(lurah_a.get_by_role("heading", name="The session has ended")).to_be_visible()

    for ctx in (host_ctx, ctx_a, ctx_b):
        await ctx.close()


async def test_denied_lurah_is_told(browser: Browser, server: RunningServer) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat terbatas")
    ctx, lurah = await new_page(browser)
    await join(lurah, link, SUTRISNO, "Plupuh")
    await in_lobby(lurah)
    await lobby_entry(host, SUTRISNO).get_by_role("button", name="Deny", exact=True).click()
    await expect(lurah.get_by_role("heading", name="Not admitted")).to_be_visible()
    await expect(lurah.get_by_role("alert")).to_contain_text("denied")
    await expect(lobby_entry(host, SUTRISNO)).to_have_count(0)
    await host_ctx.close()
    await ctx.close()


async def test_reload_within_grace_returns_without_lobby(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat pagi")
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Masaran")
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})

    await lurah.reload()
    # Straight back in: the lobby is never shown and the host never sees a lobby entry.
    await in_session(lurah)
    await expect(lurah.get_by_role("heading", name="Waiting for the host")).to_be_hidden()
    await expect(lobby_entry(host, SUTRISNO)).to_have_count(0)
    await expect(
        host.get_by_role("list", name="Participants").get_by_role("listitem")
    ).to_have_count(2)
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})
    await host_ctx.close()
    await ctx.close()


async def test_shared_pc_does_not_prefill_name_unless_remembered(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, _host, link = await start_host(browser, server, "Rapat siang")
    ctx, lurah = await new_page(browser)
    name_box = lurah.get_by_role("textbox", name="Name", exact=True)

    # First person, no "remember me": leaves; the next person finds an empty form.
    await join(lurah, link, SUTRISNO, "Tanon")
    await in_lobby(lurah)
    await lurah.get_by_role("button", name="Leave", exact=True).click()
    await lurah.goto(lurah.url)
    await expect(name_box).to_have_value("")

    # Ticked: the name comes back on this PC; unticking forgets it at once.
    await name_box.fill(LESTARI)
    await lurah.get_by_role("combobox", name="Site", exact=True).select_option(label="Tanon")
    await lurah.get_by_role("checkbox", name="Remember my name on this computer").check()
    await lurah.get_by_role("button", name="Join", exact=True).click()
    await in_lobby(lurah)
    await lurah.get_by_role("button", name="Leave", exact=True).click()
    await lurah.goto(lurah.url)
    await expect(name_box).to_have_value(LESTARI)
    await lurah.get_by_role("checkbox", name="Remember my name on this computer").uncheck()
    await lurah.goto(lurah.url)
    await expect(name_box).to_have_value("")
    await host_ctx.close()
    await ctx.close()


async def test_indonesian_by_default_english_with_lang(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat bahasa")
    ctx, page = await new_page(browser)
    await page.goto(link)
    await expect(page.locator("html")).to_have_attribute("lang", "id")
    await expect(page.get_by_role("button", name="Gabung", exact=True)).to_be_visible()
    await expect(page.get_by_role("textbox", name="Nama", exact=True)).to_be_visible()
    await expect(page.get_by_role("combobox", name="Lokasi", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Join", exact=True)).to_have_count(0)

    await page.goto(link + "?lang=en")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("button", name="Join", exact=True)).to_be_visible()
    await expect(page.get_by_role("combobox", name="Site", exact=True)).to_be_visible()

    await page.goto(server.url + "/login")
    await expect(page.get_by_role("button", name="Masuk", exact=True)).to_be_visible()
    await host.goto(server.url + "/")
    await expect(host.get_by_role("heading", name="Sesi baru", exact=True)).to_be_visible()
    await expect(host.get_by_role("button", name="Buat", exact=True)).to_be_visible()
    await host_ctx.close()
    await ctx.close()


async def test_home_sends_signed_out_people_to_sign_in(
    browser: Browser, server: RunningServer
) -> None:
    ctx, page = await new_page(browser)
    await page.goto(server.url + "/?lang=en")
    await expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert "/login" in page.url and "lang=en" in page.url
    await ctx.close()


async def test_video_of_one_lurah_keeps_playing_after_another_leaves(
    browser: Browser, server: RunningServer
) -> None:
    host_ctx, host, link = await start_host(browser, server, "Rapat sore")
    ctx_a, lurah_a = await new_page(browser)
    ctx_b, lurah_b = await new_page(browser)
    for page, name, site in ((lurah_a, SUTRISNO, "Miri"), (lurah_b, LESTARI, "Gesi")):
        await join_and_admit(host, page, link, name, site)
    await lurah_b.get_by_role("button", name="Leave", exact=True).click()
    await expect(lurah_b.get_by_role("heading", name="You left")).to_be_visible()
    await expect(participant_entry(host, LESTARI)).to_have_count(0)
    await expect(video(host, LESTARI)).to_have_count(0)
    await assert_video_playing(host, SUTRISNO)
    await assert_video_playing(lurah_a, HOST)
    for ctx in (host_ctx, ctx_a, ctx_b):
        await ctx.close()


async def test_socket_drop_reconnects_without_reload(
    browser: Browser, server: RunningServer
) -> None:
    """A network cut (the websocket closes under the page): the page says it is reconnecting,
    rejoins with its resume token (no lobby) and a fresh RTCPeerConnection, without a reload."""
    host_ctx, host, link = await start_host(browser, server, "Rapat jaringan")
    ctx, lurah = await new_page(browser)
    await join_and_admit(host, lurah, link, SUTRISNO, "Sragen")
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})

    before = await lurah.evaluate(
        """() => {
          window.__sameDocument = true;
          window.__oldPc = window.pendopo.pc;
          window.__statuses = [];
          window.pendopo.client.addEventListener("status",
            (e) => window.__statuses.push(e.detail.status));
          window.pendopo.client.socket.io.engine.close();  // the transport dies, as in an outage
          return window.pendopo.client.participantId;
        }"""
    )
    await lurah.wait_for_function(
        "() => window.__statuses.includes('reconnecting')"
        " && window.pendopo.client.status === 'admitted'"
        " && window.pendopo.pc && window.pendopo.pc !== window.__oldPc"
    )
    after = await lurah.evaluate(
        "() => ({same: window.__sameDocument === true, id: window.pendopo.client.participantId,"
        " statuses: window.__statuses})"
    )
    assert after["same"], "the page was reloaded"
    assert after["id"] == before
    assert "lobby" not in after["statuses"]
    await expect(lurah.get_by_role("status")).to_have_text("Connected")
    await expect(lobby_entry(host, SUTRISNO)).to_have_count(0)
    await assert_all_see_each_other({HOST: host, SUTRISNO: lurah})
    await host_ctx.close()
    await ctx.close()
