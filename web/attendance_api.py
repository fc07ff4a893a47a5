"""A session's attendance list (daftar hadir): JSON, CSV and the printable A4 page.

``GET /api/rooms/{room_id}/attendance``      who came from which site, when, for how long, how
                                             often they reconnected; invited sites nobody came from
``GET /api/rooms/{room_id}/attendance.csv``  the same as CSV (times in WIB)
``/sesi/{room_id}/hadir``                    the page (screen and A4 print), signed-in only

Only the host's office (host, admin) may read it: 403 JSON for anyone else. The meeting writes the
rows as it happens (rooms.attendance); this module only reads and shapes them.
"""

from __future__ import annotations

import csv
import io
import time

from aiohttp import web

from edge.keys import ATTENDANCE, ROOMS, SETTINGS, SITES
from rooms.attendance import CSV_COLUMNS, Attendance, AttendanceRoom, Report, report, wib_stamp
from web import openapi
from web.auth import require_host
from web.errors import ApiError
from web.pages import add_page


async def _report(request: web.Request) -> Report:
    require_host(request)
    room_id = request.match_info["room_id"]
    record = await request.app[ROOMS].records.get(room_id)
    if record is None:
        raise ApiError("not_found", "There is no such session.", status=404)
    attendees = await request.app[ATTENDANCE].attendees(room_id)
    return await report(record, attendees, request.app[SITES], time.time())


async def attendance(request: web.Request) -> web.Response:
    found = await _report(request)
    record = found.room
    live = await request.app[ROOMS].store.get_room(record.id)
    room = AttendanceRoom.of(record, live.state if live is not None else record.state)
    body = Attendance(request.app[SETTINGS].region, room, found.lines, found.absent_sites)
    return web.json_response(body.public())


async def attendance_csv(request: web.Request) -> web.Response:
    found = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for x in found.lines:
        writer.writerow(x.csv_cells())
    day = wib_stamp(found.room.schedule.starts_at if found.room.schedule else found.room.created_at)
    name = f"daftar-hadir-{found.room.id}-{day[:10]}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/rooms/{room_id}/attendance", attendance)
    app.router.add_get("/api/rooms/{room_id}/attendance.csv", attendance_csv)
    add_page(app, "/sesi/{room_id}/hadir", "attendance.html", signed_in=True)


_ROOM_ID = openapi.Param("room_id", "path", description="session id")
openapi.add_schemas(openapi.declared(outputs=(Attendance,)))

openapi.describe(
    openapi.Operation("GET", "/api/rooms/{room_id}/attendance",
        "A session's attendance list (daftar hadir)", "meetings", "host", params=(_ROOM_ID,),
        response=openapi.ref("Attendance")),
    openapi.Operation("GET", "/api/rooms/{room_id}/attendance.csv",
        "A session's attendance list as CSV (times in WIB)", "meetings", "host",
        params=(_ROOM_ID,), content_type="text/csv"),
)  # fmt: skip
