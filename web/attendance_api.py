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
import datetime as dt
import io
import time
from typing import Any

from aiohttp import web

from edge.keys import ATTENDANCE, ROOMS, SETTINGS, SITES
from rooms.attendance import Line, Report, report
from rooms.schedule import WIB
from web import openapi
from web.auth import require_host
from web.errors import ApiError
from web.pages import add_page

CSV_COLUMNS = [
    "kecamatan",
    "lokasi",
    "kode_lokasi",
    "nama",
    "peran",
    "bergabung_wib",
    "keluar_wib",
    "hadir_menit",
    "sambung_ulang",
    "keterangan",
]


def _wib(at: float | None) -> str:
    return "" if at is None else dt.datetime.fromtimestamp(at, WIB).strftime("%Y-%m-%d %H:%M:%S")


async def _report(request: web.Request) -> Report:
    require_host(request)
    room_id = request.match_info["room_id"]
    record = await request.app[ROOMS].records.get(room_id)
    if record is None:
        raise ApiError("not_found", "There is no such session.", status=404)
    attendees = await request.app[ATTENDANCE].attendees(room_id)
    return await report(record, attendees, request.app[SITES], time.time())


def _line(line: Line) -> dict[str, Any]:
    return {
        "kecamatan": line.kecamatan,
        "site": line.site,
        "site_code": line.site_code,
        "name": line.name,
        "role": line.role,
        "joined_at": line.joined_at,
        "left_at": line.left_at,
        "present_s": line.present_s,
        "reconnects": line.reconnects,
        "invited": line.invited,
        "absent": line.absent,
    }


async def attendance(request: web.Request) -> web.Response:
    found = await _report(request)
    record = found.room
    live = await request.app[ROOMS].store.get_room(record.id)
    schedule = record.schedule
    body = {
        "region": request.app[SETTINGS].region,
        "room": {
            "id": record.id,
            "title": record.title,
            "state": (live.state if live is not None else record.state).value,
            "created_at": record.created_at,
            "ended_at": record.ended_at,
            "starts_at": schedule.starts_at if schedule else None,
            "duration_min": schedule.duration_min if schedule else None,
            "agenda": schedule.agenda if schedule else "",
            "invited_sites": list(record.invited_sites),
        },
        "lines": [_line(x) for x in found.lines],
        "absent_sites": found.absent_sites,
    }
    return web.json_response(body)


async def attendance_csv(request: web.Request) -> web.Response:
    found = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for x in found.lines:
        writer.writerow(
            [
                x.kecamatan,
                x.site,
                x.site_code or "",
                x.name,
                x.role,
                _wib(x.joined_at),
                _wib(x.left_at),
                f"{x.present_s / 60:.1f}" if not x.absent else "",
                x.reconnects if not x.absent else "",
                "tidak hadir" if x.absent else "hadir",
            ]
        )
    day = _wib(found.room.schedule.starts_at if found.room.schedule else found.room.created_at)
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
_LINE = {
    "type": "object",
    "required": ["kecamatan", "site", "name", "present_s", "reconnects", "absent"],
    "properties": {
        "kecamatan": {"type": "string"},
        "site": {"type": "string", "description": '"Village, Kecamatan" or the kecamatan'},
        "site_code": {"type": ["string", "null"]},
        "name": {"type": "string", "description": "empty for an invited site nobody came from"},
        "role": {"type": "string"},
        "joined_at": {"type": ["number", "null"]},
        "left_at": {"type": ["number", "null"]},
        "present_s": {"type": "number"},
        "reconnects": {"type": "integer"},
        "invited": {"type": "boolean"},
        "absent": {"type": "boolean"},
    },
}

openapi.describe(
    openapi.Operation("GET", "/api/rooms/{room_id}/attendance",
        "A session's attendance list (daftar hadir)", "meetings", "host", params=(_ROOM_ID,),
        response={"type": "object", "required": ["room", "lines", "absent_sites"], "properties": {
            "region": {"type": "string"},
            "room": {"type": "object"},
            "lines": {"type": "array", "items": _LINE},
            "absent_sites": {"type": "array", "items": {"type": "string"}}}}),
    openapi.Operation("GET", "/api/rooms/{room_id}/attendance.csv",
        "A session's attendance list as CSV (times in WIB)", "meetings", "host",
        params=(_ROOM_ID,), content_type="text/csv"),
)  # fmt: skip
