"""A scheduled session as a calendar file (RFC 5545, by the ``icalendar`` library).

``GET /api/rooms/{room_id}/calendar.ics``: one VEVENT (start in WIB with its VTIMEZONE, length,
title, agenda, invited sites and the join link) for the Bupati's office calendar, or a kecamatan
office's. The host's office may export any session; a site seat only one inviting its site.
An unscheduled session has no date: 409 ``not_scheduled``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
from aiohttp import web

from edge.keys import ROOMS, SITES
from rooms.records import RoomRecord
from rooms.sites import SiteDirectory, site_and_parent
from web import openapi
from web.auth import require_user
from web.errors import ApiError, Forbidden

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
"""WIB by its IANA name, so calendars show the VTIMEZONE they know."""
PRODID = "-//Pendopo//Sesi Kabupaten//ID"


async def _invited_names(directory: SiteDirectory, codes: tuple[str, ...]) -> list[str]:
    names = []
    for code in codes:
        site, parent = await site_and_parent(directory, code)
        names.append(site.label(parent) if site else code)
    return names


async def session_calendar(
    record: RoomRecord, join_link: str, directory: SiteDirectory, now: dt.datetime
) -> bytes:
    """The .ics file of a scheduled session (``record.schedule`` must be set)."""
    schedule = record.schedule
    assert schedule is not None
    start = dt.datetime.fromtimestamp(schedule.starts_at, JAKARTA)
    invited = await _invited_names(directory, record.invited_sites)
    description = [schedule.agenda] if schedule.agenda else []
    if invited:
        description.append("Lokasi yang diundang: " + "; ".join(invited))
    description.append(f"Tautan bergabung: {join_link}")

    event = icalendar.Event()
    event.add("uid", f"{record.id}@pendopo")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("duration", dt.timedelta(minutes=schedule.duration_min))
    event.add("summary", record.title)
    event.add("description", "\n\n".join(description))
    event.add("location", join_link)
    event.add("url", join_link)
    event.add("status", "CONFIRMED")
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


async def calendar_file(request: web.Request) -> web.Response:
    user = require_user(request)
    room_id = request.match_info["room_id"]
    record = await request.app[ROOMS].records.get(room_id)
    if record is None:
        raise ApiError("not_found", "There is no such session.", status=404)
    if not user.can_host and not (user.site_code and record.invites(user.site_code)):
        raise Forbidden("Only the host's office or an invited site may export this session.")
    if record.schedule is None:
        raise ApiError("not_scheduled", "This session has no date and time.", status=409)
    link = str(request.url.origin()) + f"/j/{record.id}"
    body = await session_calendar(record, link, request.app[SITES], dt.datetime.now(dt.UTC))
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="sesi-{record.id}.ics"'},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/rooms/{room_id}/calendar.ics", calendar_file)


openapi.describe(
    openapi.Operation(
        "GET",
        "/api/rooms/{room_id}/calendar.ics",
        "A scheduled session as a calendar file (iCalendar, RFC 5545)",
        "meetings",
        "user",
        params=(openapi.Param("room_id", "path", description="session id"),),
        content_type="text/calendar",
        errors=(403, 409),
    )
)
