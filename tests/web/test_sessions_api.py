"""Scheduled sessions over REST and socket.io on a real server: schedule, join window, a site
seat's upcoming sessions, the calendar file, the attendance list and who may read it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zoneinfo

import aiohttp
import icalendar

from accounts import AccountRole
from edge.keys import ACCOUNTS
from signaling.client import ProtocolError
from tests.conftest import RunningServer
from tests.signaling.meeting import admit, connect, join_host, join_lobby, wait

JATI_MASARAN = "33.14.03.2009"
JATI_SUMBERLAWANG = "33.14.15.2003"
GONDANG = "33.14.06"
SUMBERLAWANG = "33.14.15"
PASSWORD = "kata-sandi-kecamatan"


async def _site_seat(server: RunningServer, username: str, site: str) -> aiohttp.ClientSession:
    await server.app[ACCOUNTS].create_user(username, PASSWORD, AccountRole.SITE, site_code=site)
    return await server.signed_in_session(username, PASSWORD)


async def _schedule(http: aiohttp.ClientSession, body: dict[str, object]) -> dict[str, object]:
    async with http.post("/api/rooms", json=body) as resp:
        assert resp.status == 201, await resp.text()
        room: dict[str, object] = (await resp.json())["room"]
        return room


async def test_schedule_upcoming_and_calendar_file(server: RunningServer) -> None:
    starts = float(int(time.time()) + 2 * 3600)
    http = await server.signed_in_session()
    seat = await _site_seat(server, "kec-sumberlawang", SUMBERLAWANG)
    other = await _site_seat(server, "kec-gondang", GONDANG)
    try:
        for bad in (
            {"title": "x", "starts_at": "besok"},
            {"title": "x", "starts_at": True},
            {"title": "x", "starts_at": 12},
            {"title": "x", "starts_at": starts, "duration_min": 0},
            {"title": "x", "starts_at": starts, "duration_min": 1.5},
            {"title": "x", "agenda": "tanpa waktu"},
            {"title": "x", "starts_at": starts, "agenda": "x" * 2001},
        ):
            async with http.post("/api/rooms", json=bad) as resp:
                assert resp.status == 400, bad
                assert (await resp.json())["error"] == "invalid_request", bad
        room = await _schedule(
            http,
            {
                "title": "Rapat koordinasi desa",
                "starts_at": starts,
                "duration_min": 90,
                "agenda": "1. Laporan dana desa\n2. Musrenbang",
                "invited_sites": [JATI_MASARAN, JATI_SUMBERLAWANG],
            },
        )
        assert room["schedule"] == {
            "starts_at": starts,
            "duration_min": 90,
            "ends_at": starts + 5400,
            "opens_at": starts - 1800,  # session_join_early_minutes: 30 by default
            "agenda": "1. Laporan dana desa\n2. Musrenbang",
        }
        loose = await _schedule(http, {"title": "Tanpa jadwal"})
        assert loose["schedule"] is None
        async with http.get("/api/rooms") as resp:
            listed = {r["id"]: r for r in (await resp.json())["items"]}
        assert listed[str(room["id"])]["schedule"]["starts_at"] == starts
        async with http.get("/api/rooms/upcoming") as resp:
            assert [r["id"] for r in (await resp.json())["items"]] == [room["id"], loose["id"]]
        # The Sumberlawang seat sees the session inviting one of its villages; Gondang does not.
        async with seat.get("/api/rooms/upcoming") as resp:
            mine = (await resp.json())["items"]
        assert [r["id"] for r in mine] == [room["id"]]
        async with other.get("/api/rooms/upcoming") as resp:
            assert (await resp.json())["items"] == []
        async with other.get(f"/api/rooms/{room['id']}/calendar.ics") as resp:
            assert resp.status == 403 and (await resp.json())["error"] == "forbidden"
        async with http.get(f"/api/rooms/{loose['id']}/calendar.ics") as resp:
            assert resp.status == 409 and (await resp.json())["error"] == "not_scheduled"
        async with seat.get(f"/api/rooms/{room['id']}/calendar.ics") as resp:
            assert resp.status == 200 and resp.content_type == "text/calendar"
            raw = await resp.read()
    finally:
        for session in (http, seat, other):
            await session.close()

    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == dt.datetime.fromtimestamp(starts, dt.UTC)
    assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(hours=7)
    assert str(event["DTSTART"].params["TZID"]) == "Asia/Jakarta"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Jakarta"]
    assert event.decoded("DURATION") == dt.timedelta(minutes=90)
    assert str(event["SUMMARY"]) == "Rapat koordinasi desa"
    assert str(event["UID"]) == f"{room['id']}@pendopo"
    assert str(event["URL"]) == f"{server.url}/j/{room['id']}"
    description = str(event["DESCRIPTION"])
    assert "Musrenbang" in description and "Jati, Masaran; Jati, Sumberlawang" in description
    assert zoneinfo.ZoneInfo("Asia/Jakarta")  # the server's tz data is there


async def test_the_join_link_opens_a_set_time_before_the_start(server: RunningServer) -> None:
    http = await server.signed_in_session()
    async with http:
        later = await _schedule(http, {"title": "Nanti", "starts_at": time.time() + 3 * 3600})
        soon = await _schedule(http, {"title": "Segera", "starts_at": time.time() + 600})
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get(f"/api/rooms/{later['id']}") as resp:
            summary = (await resp.json())["room"]
    assert summary["opens_at"] == summary["starts_at"] - 1800
    lurah = await connect(server, "Pak Sutrisno")
    host = await join_host(server, str(later["id"]))  # the host prepares before the window
    try:
        try:
            await lurah.client.join(str(later["id"]), "Pak Sutrisno", site=GONDANG)
            raise AssertionError("joined before the window opened")
        except ProtocolError as exc:
            assert exc.code == "not_yet_open"
        person = await join_lobby(server, str(soon["id"]), "Pak Sutrisno", site=GONDANG)
        await person.close()
    finally:
        await lurah.close()
        await host.close()


async def test_attendance_list_from_the_meetings_events(server: RunningServer) -> None:
    http = await server.signed_in_session()
    seat = await _site_seat(server, "kec-masaran", "33.14.03")
    try:
        room = await _schedule(
            http,
            {
                "title": "Rapat",
                "starts_at": time.time() + 60,
                "invited_sites": [JATI_MASARAN, JATI_SUMBERLAWANG, GONDANG],
            },
        )
        room_id = str(room["id"])
        host = await join_host(server, room_id)
        sri = await join_lobby(server, room_id, "Bu Sri", site=JATI_MASARAN)
        budi = await join_lobby(server, room_id, "Pak Budi", site=JATI_SUMBERLAWANG)
        await admit(host, sri, media=False)
        await admit(host, budi, media=False)
        # The host sees "Village, Kecamatan": two villages are named Jati.
        await host.client.wait_until(
            lambda: len(host.client.state.get("participants", [])) == 3, what="three present"
        )
        labels = {
            p["name"]: p["site"] and p["site"]["label"] for p in host.client.state["participants"]
        }
        assert labels["Bu Sri"] == "Jati, Masaran" and labels["Pak Budi"] == "Jati, Sumberlawang"
        # Pak Budi's network drops; he comes back with his resume token.
        token = budi.client.resume_token
        await budi.client.disconnect()
        await wait(
            lambda: any(
                p["name"] == "Pak Budi" and not p["connected"]
                for p in host.client.state.get("participants", [])
            ),
            what="Pak Budi disconnected",
        )
        again = await connect(server, "Pak Budi")
        ack = await again.client.join(room_id, "Pak Budi", site=JATI_SUMBERLAWANG, resume=token)
        assert ack["resumed"]
        await sri.client.leave()
        async with seat.get(f"/api/rooms/{room_id}/attendance") as resp:
            assert resp.status == 403 and (await resp.json())["error"] == "forbidden"
        await host.client.end()
        for person in (host, sri, budi, again):
            await person.close()
        async with http.get(f"/api/rooms/{room_id}/attendance") as resp:
            assert resp.status == 200
            data = await resp.json()
        async with http.get(f"/api/rooms/{room_id}/attendance.csv") as resp:
            assert resp.status == 200 and resp.content_type == "text/csv"
            assert "daftar-hadir-" in resp.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO(await resp.text())))
        async with http.get("/api/rooms/nope/attendance") as resp:
            assert resp.status == 404
    finally:
        await http.close()
        await seat.close()
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get(f"/api/rooms/{room_id}/attendance.csv") as resp:
            assert resp.status == 401

    assert data["absent_sites"] == [GONDANG]
    lines = {x["name"]: x for x in data["lines"]}
    assert set(lines) == {"Bupati", "Bu Sri", "Pak Budi", ""}
    assert lines["Bu Sri"]["site"] == "Jati, Masaran" and lines["Bu Sri"]["reconnects"] == 0
    assert lines["Bu Sri"]["left_at"] < lines["Pak Budi"]["left_at"]
    assert lines["Pak Budi"]["reconnects"] == 1
    assert lines[""]["site"] == "Gondang" and lines[""]["absent"]
    assert [(r["kecamatan"], r["nama"], r["keterangan"]) for r in rows] == [
        ("", "Bupati", "hadir"),
        ("Gondang", "", "tidak hadir"),
        ("Masaran", "Bu Sri", "hadir"),
        ("Sumberlawang", "Pak Budi", "hadir"),
    ]
    assert rows[2]["lokasi"] == "Jati, Masaran" and rows[2]["bergabung_wib"]
    assert float(rows[3]["hadir_menit"]) >= 0 and rows[3]["sambung_ulang"] == "1"
