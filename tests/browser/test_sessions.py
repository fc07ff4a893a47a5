"""Scheduled sessions in headless Chromium: the host schedules a session and invites sites by a
type-ahead search, the join window, two lurah join (one finds "Jati, Masaran" by typing) and one
leaves, and the attendance list (page and CSV) says who came, from where, and who left when.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from accounts import AccountRole
from edge.keys import ACCOUNTS
from rooms.schedule import WIB
from tests.browser.pages import en, in_lobby, in_session, join, lobby_entry, new_page, sign_in
from tests.conftest import RunningServer, make_settings, start_server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """With the inventory's live states on (no probe targets exist, so nothing is probed): the
    villages' seeded uplinks are only planned, which the meeting shows."""
    runner, running = await start_server(make_settings(tmp_path, probe_enabled=True))
    try:
        yield running
    finally:
        await runner.cleanup()


SRI = "Bu Sri"
SEAT_PASSWORD = "kata-sandi-kecamatan"
TONO = "Pak Tono"


async def invite(host: Page, text: str) -> None:
    search = host.get_by_role("combobox", name="Invite a site: search a village or kecamatan")
    await search.fill(text)
    invited = host.get_by_role("list", name="Invited sites", exact=True)
    await expect(invited.get_by_role("listitem").filter(has_text=text)).to_have_count(1)
    await expect(search).to_have_value("")


async def test_schedule_join_window_and_attendance(browser: Browser, server: RunningServer) -> None:
    http = await server.signed_in_session()
    async with http:  # a session for tomorrow: its link is not open yet
        starts = time.time() + 24 * 3600
        body = {"title": "Besok", "starts_at": starts, "invited_sites": ["33.14.06"]}
        async with http.post("/api/rooms", json=body) as resp:
            tomorrow = (await resp.json())["room"]

    host_ctx, host = await new_page(browser)
    sri_ctx, sri = await new_page(browser)
    tono_ctx, tono = await new_page(browser)
    try:
        await sign_in(host, server.url)
        # The admin's home links to the administration page.
        await expect(host.get_by_role("link", name="Administration", exact=True)).to_be_visible()
        invited = host.get_by_role("list", name="Invited sites", exact=True)
        await expect(invited.get_by_role("listitem")).to_have_count(20)  # every kecamatan
        await host.get_by_role("button", name="Clear", exact=True).click()
        await expect(invited.get_by_role("listitem")).to_have_count(0)
        await invite(host, "Jati, Masaran")
        await invite(host, "Jati, Sumberlawang")
        await invite(host, "Kecamatan Gondang")
        await expect(host.get_by_text("3 sites invited")).to_be_visible()

        start = dt.datetime.fromtimestamp(time.time() + 10 * 60, WIB)  # in the join window
        await host.get_by_role("textbox", name="Title", exact=True).fill("Rapat dana desa")
        await host.get_by_label("Date", exact=True).fill(start.strftime("%Y-%m-%d"))
        await host.get_by_label("Time (WIB)", exact=True).fill(start.strftime("%H:%M"))
        await host.get_by_role("spinbutton", name="Length (minutes)").fill("90")
        await host.get_by_role("textbox", name="Agenda", exact=True).fill("Laporan dana desa")
        await host.get_by_role("button", name="Create", exact=True).click()
        link = await host.get_by_role("textbox", name="Join link", exact=True).input_value()
        assert link.startswith(server.url + "/j/")
        room_id = link.rsplit("/", 1)[1]
        upcoming = host.get_by_role("table", name="Upcoming sessions")
        row = upcoming.get_by_role("row").filter(has_text="Rapat dana desa")
        await expect(row).to_contain_text(start.strftime("%H:%M"))
        await expect(
            row.get_by_role("link", name="Calendar (.ics) Rapat dana desa")
        ).to_be_visible()

        # A kecamatan PC signed in as its site seat sees the session on its start page.
        accounts = server.app[ACCOUNTS]
        await accounts.create_user(
            "kec-gondang", SEAT_PASSWORD, AccountRole.SITE, site_code="33.14.06"
        )
        seat_ctx, seat = await new_page(browser)
        await seat.goto(en(f"{server.url}/login?next=/"))
        await seat.get_by_role("textbox", name="Username", exact=True).fill("kec-gondang")
        await seat.get_by_label("Password", exact=True).fill(SEAT_PASSWORD)
        await seat.get_by_role("button", name="Sign in", exact=True).click()
        next_line = seat.get_by_text("Next session: Rapat dana desa, ")
        await expect(next_line).to_contain_text(start.strftime("%H:%M"))
        await expect(seat.get_by_role("heading", name="New session")).to_be_hidden()
        await seat_ctx.close()

        # Before the window: the page says when the link opens, and joining is refused.
        await sri.goto(en(f"{server.url}/j/{tomorrow['id']}"))
        await expect(sri.get_by_text("the link opens at")).to_be_visible()
        await join(sri, f"{server.url}/j/{tomorrow['id']}", SRI, "Gondang")
        await expect(sri.get_by_role("alert").filter(has_text="not open yet")).to_be_visible()

        # The host enters; the meeting header links back to the sessions list.
        await join(host, link, name=None, site=None)
        await in_session(host)
        sessions_link = host.get_by_role("link", name="Sessions", exact=True)
        await expect(sessions_link).to_be_visible()

        # Bu Sri finds her village by typing its name; Pak Tono picks his kecamatan.
        await sri.goto(en(link))
        await sri.get_by_role("textbox", name="Name", exact=True).fill(SRI)
        search = sri.get_by_role("combobox", name="Search a village or kecamatan")
        await search.click()
        await search.fill("Jati, Masaran")
        await expect(sri.get_by_role("combobox", name="Site", exact=True)).to_have_value("33.14.03")
        village = sri.get_by_role("combobox", name="Village", exact=True)
        await expect(village).to_have_value("33.14.03.2009")
        await sri.get_by_role("button", name="Join", exact=True).click()
        await join(tono, link, TONO, "Gondang")
        await in_lobby(sri)
        await in_lobby(tono)
        # The host's lobby names the village with its kecamatan (Jati is also in Sumberlawang).
        await expect(lobby_entry(host, SRI)).to_contain_text("Jati, Masaran")
        await lobby_entry(host, SRI).get_by_role("button", name="Admit", exact=True).click()
        await lobby_entry(host, TONO).get_by_role("button", name="Admit", exact=True).click()
        await in_session(sri)
        await in_session(tono)
        await expect(
            host.locator("figcaption").filter(has_text=f"{SRI} · Jati, Masaran")
        ).to_be_visible()

        # Her village's uplink is only planned in the inventory: said so, not "not connected".
        people = host.get_by_role("list", name="Participants")
        sri_entry = people.get_by_role("listitem", name=SRI, exact=True)
        await expect(sri_entry).to_contain_text("Site network: uplink still planned")
        await expect(sri_entry).not_to_contain_text("not connected")
        await sri.get_by_role("button", name="Leave", exact=True).click()
        await expect(
            host.get_by_role("list", name="Participants").get_by_role("listitem")
        ).to_have_count(2)
        await host.get_by_role("button", name="End session", exact=True).click()
        ask = host.get_by_role("dialog", name="End the session for everyone?")  # it asks first
        await ask.get_by_role("button", name="End session", exact=True).click()
        await expect(tono.get_by_role("heading", name="The session has ended")).to_be_visible()

        # The attendance list: as CSV, and as the printable page.
        resp = await host.request.get(f"{server.url}/api/rooms/{room_id}/attendance.csv")
        assert resp.status == 200
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
        by_name = {r["nama"]: r for r in rows}
        assert set(by_name) == {"Kantor Bupati", SRI, TONO, ""}
        assert by_name[SRI]["lokasi"] == "Jati, Masaran" and by_name[SRI]["keluar_wib"]
        assert by_name[TONO]["lokasi"] == "Gondang" and by_name[TONO]["kecamatan"] == "Gondang"
        data = await (await host.request.get(f"{server.url}/api/rooms/{room_id}/attendance")).json()
        left = {x["name"]: x["left_at"] for x in data["lines"]}
        assert left[SRI] < left[TONO]  # she left first; he stayed until the end
        assert by_name[""] == {**by_name[""], "lokasi": "Jati, Sumberlawang",
                               "keterangan": "tidak hadir"}  # fmt: skip
        assert all(r["keterangan"] == "hadir" for r in rows if r["nama"])

        await host.goto(f"{server.url}/sesi/{room_id}/hadir")
        await expect(host.get_by_role("heading", name="Daftar hadir")).to_be_visible()
        await expect(host.get_by_text("Pemerintah Kabupaten Sragen")).to_be_attached()
        table = host.get_by_role("table", name="Daftar hadir")
        await expect(table.get_by_role("columnheader", name="Tanda tangan")).to_be_visible()
        await expect(table.get_by_role("row").filter(has_text=SRI)).to_contain_text("Jati, Masaran")
        await expect(table.get_by_text("Kecamatan Sumberlawang")).to_be_visible()
        await expect(table.get_by_text("tidak hadir")).to_have_count(1)

        # Only the host's office may read it (a site seat gets 403: tests/web/test_sessions_api).
        refused = await tono.request.get(f"{server.url}/api/rooms/{room_id}/attendance")
        assert refused.status == 401
    finally:
        for context in (host_ctx, sri_ctx, tono_ctx):
            await context.close()
