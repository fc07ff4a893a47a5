"""REST for sessions (rooms) and the join page's site picker; the host and join pages' routes.

POST /api/rooms (with a schedule: rooms.schedule), GET /api/rooms, GET /api/rooms/upcoming
(a site seat's own), GET /api/rooms/{id}, POST /api/rooms/{id}/end,
GET /api/sites/picker?parent=<code>, GET /api/sites/all (the type-ahead searches).
Documented in docs/protocol.md ("REST") and docs/api.md.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from aiohttp import web

from edge.keys import REGISTRY, ROOMS, SESSIONS, SETTINGS, SITES
from edge.placement import elsewhere_url, ensure_here
from pendopo.declared import as_json
from rooms import RoomError
from rooms.errors import FORBIDDEN, NOT_FOUND, ROOM_ENDED, ROOM_LOCKED
from rooms.model import ParticipantState, SessionState
from rooms.new_session import SessionInput
from rooms.records import RoomRecord
from rooms.session_answer import ScheduleAnswer, SessionAnswer, SessionSummary
from rooms.site_answers import LabelledSite, LabelledSites, SiteChoice, SiteChoices
from rooms.sites import all_sites
from web import attendance_api, calendar_api, openapi, pages, readiness_api
from web.auth import audit, require_host, require_user
from web.errors import ApiError
from web.paging import paging
from web.paging import params as page_params
from web.readiness_api import known_sites

ROOMS_PER_PAGE = 50
MAX_ROOMS_PER_PAGE = 500
"""Each room of the list reads its participants and live state: a page stays small."""
_STATUS = {NOT_FOUND: 404, FORBIDDEN: 403, ROOM_ENDED: 409, ROOM_LOCKED: 409}


def _api_error(exc: RoomError) -> ApiError:
    details = exc.details.get("details")  # the bad fields of a request
    return ApiError(exc.code, exc.message, status=_STATUS.get(exc.code, 400), details=details)


def join_url(room_id: str) -> str:
    return f"/j/{room_id}"


def join_early(request: web.Request) -> float:
    """Seconds before a scheduled start that its join link opens (rooms.schedule)."""
    return request.app[SETTINGS].session_join_early_minutes * 60.0


def _answer(request: web.Request, record: RoomRecord, **extra: Any) -> SessionAnswer:
    """A room in the host's answers; ``extra``: the fields only some answers carry."""
    early = join_early(request)
    fields: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        "state": record.state,
        "join_url": join_url(record.id),
        "created_by": record.created_by,
        "created_at": record.created_at,
        "schedule": ScheduleAnswer.of(record.schedule, early) if record.schedule else None,
        **extra,
    }
    return SessionAnswer(**fields)


async def create_room(request: web.Request) -> web.Response:
    user = require_host(request)
    try:
        body = await request.json()
        asked = SessionInput.parse(body)
    except RoomError as exc:
        raise _api_error(exc) from exc
    except ValueError as exc:
        raise ApiError("invalid_json", "The request body is not valid JSON.") from exc
    invited = await known_sites(request.app[SITES], asked.invited_sites)
    service = request.app[ROOMS]
    room = await service.create_room(asked.title, user.id, invited, asked.schedule())
    await request.app[REGISTRY].claim(room.id)  # the creating node serves it (docs/scaling.md)
    record = await service.records.get(room.id)
    assert record is not None
    room_body = _answer(request, record, invited_sites=list(invited)).public()
    return web.json_response({"room": room_body}, status=201)


async def upcoming_rooms(request: web.Request) -> web.Response:
    """Sessions still to come: every one for a host, those inviting its site for a site seat
    (its kecamatan PC's start page: "Sesi berikutnya: ..., 09.00")."""
    user = require_user(request)
    records = await request.app[ROOMS].records.upcoming(time.time())
    if not user.can_host:
        code = user.site_code
        records = [r for r in records if code is not None and r.invites(code)]
    items = [_answer(request, r).public() for r in records]
    return web.json_response({"items": items})


async def list_rooms(request: web.Request) -> web.Response:
    require_host(request)
    asked = paging(request, default_limit=ROOMS_PER_PAGE, max_limit=MAX_ROOMS_PER_PAGE)
    service = request.app[ROOMS]
    records, total = await service.records.list(limit=asked.limit, offset=asked.offset)
    items = []
    for record in records:
        participants = (
            await service.participants(record.id) if record.state is not SessionState.ENDED else []
        )
        live = await service.store.get_room(record.id)
        item = _answer(
            request,
            record,
            state=live.state if live is not None else record.state,
            invited_sites=list(record.invited_sites),
            present=sum(1 for p in participants if p.present),
            waiting=sum(1 for p in participants if p.state is ParticipantState.LOBBY),
        )
        items.append(item.public())
    return web.json_response({"items": items, "total": total})


async def room_summary(request: web.Request) -> web.Response:
    """Public: anyone with the link may see the title and whether it is open."""
    try:
        room = await request.app[ROOMS].room(request.match_info["room_id"])
    except RoomError as exc:
        raise _api_error(exc) from exc
    summary = SessionSummary(id=room.id, title=room.title, state=room.state)
    if room.starts_at is not None:  # the join page says when a scheduled session opens
        summary = replace(
            summary, starts_at=room.starts_at, opens_at=room.starts_at - join_early(request)
        )
    body: dict[str, Any] = {"room": summary.public()}
    node = None if room.ended else await elsewhere_url(request.app[REGISTRY], room.id, request)
    if node is not None:
        body["node"] = node  # another node serves the session: go there (docs/scaling.md)
    return web.json_response(body)


async def end_room(request: web.Request) -> web.Response:
    require_host(request)
    room_id = request.match_info["room_id"]
    try:
        # its sockets and media are on the owner
        await ensure_here(request.app[ROOMS], request.app[REGISTRY], room_id, request)
        await request.app[SESSIONS].end(room_id, None)
    except RoomError as exc:
        if exc.details:  # wrong_node: tell where
            body = {"error": exc.code, "message": exc.message, **exc.details}
            return web.json_response(body, status=409)
        raise _api_error(exc) from exc
    await audit(request, "host.end", target=f"room {room_id}")
    return web.json_response({"ok": True})


async def site_picker(request: web.Request) -> web.Response:
    """The join page's site choices: the kecamatan, or the villages of ``parent``."""
    parent = request.query.get("parent") or None
    if parent is not None and len(parent) > 32:
        raise ApiError("invalid_request", "parent is not a site code.")
    sites = await request.app[SITES].children(parent)
    choices = SiteChoices(parent=parent, items=[SiteChoice.of(s) for s in sites])
    return web.json_response(as_json(choices))


async def all_site_choices(request: web.Request) -> web.Response:
    """Every kecamatan and village with its label ("Jati, Sragen"): the type-ahead searches of
    the join page and of the new-session form (about 230 entries, a few kB gzipped)."""
    sites = await all_sites(request.app[SITES])
    listed = LabelledSites(items=[LabelledSite.of_pair(site, parent) for site, parent in sites])
    return web.json_response(as_json(listed))


def setup(app: web.Application) -> None:
    app.router.add_post("/api/rooms", create_room)
    app.router.add_get("/api/rooms", list_rooms)
    app.router.add_get("/api/rooms/upcoming", upcoming_rooms)
    attendance_api.setup(app)
    calendar_api.setup(app)
    app.router.add_get("/api/rooms/{room_id}", room_summary)
    app.router.add_post("/api/rooms/{room_id}/end", end_room)
    app.router.add_get("/api/sites/picker", site_picker)
    app.router.add_get("/api/sites/all", all_site_choices)
    app.router.add_get("/api/rooms/{room_id}/readiness", readiness_api.room_readiness)
    pages.add_page(app, "/", "home.html")
    pages.add_page(app, "/j/{room_id}", "room.html")


_ROOM_ID = openapi.Param("room_id", "path", description="session id (11 characters)")
openapi.add_schemas(
    openapi.declared(
        SessionInput, outputs=(SessionAnswer, SessionSummary, SiteChoices, LabelledSites)
    )
)
_ROOM = openapi.ref("SessionAnswer")

openapi.describe(
    openapi.Operation("POST", "/api/rooms", "Schedule a session (room)", "meetings", "host",
        body={"application/json": {"schema": openapi.ref("SessionInput"),
                                   "example": {"title": "Rapat uji"}}},
        response={"type": "object", "required": ["room"], "properties": {"room": _ROOM}},
        status=201),
    openapi.Operation("GET", "/api/rooms", "List rooms, newest first", "meetings", "host",
        params=page_params(default_limit=ROOMS_PER_PAGE, max_limit=MAX_ROOMS_PER_PAGE),
        response={"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": _ROOM}, "total": {"type": "integer"}}}),
    openapi.Operation("GET", "/api/rooms/upcoming",
        "Sessions to come: all for the host's office, a site seat's own for a site seat",
        "meetings", "user",
        response={"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": _ROOM}}}),
    openapi.Operation("GET", "/api/sites/all",
        "Every kecamatan and village with its label, for the type-ahead site searches",
        "meetings", "none",
        response=openapi.ref("LabelledSites")),
    openapi.Operation("GET", "/api/rooms/{room_id}", "A room's public summary", "meetings",
        "none", params=(_ROOM_ID,),
        response={"type": "object", "required": ["room"], "properties": {
            "room": openapi.ref("SessionSummary"),
            "node": {"type": "string", "description": "base URL of the node serving it"}}}),
    openapi.Operation("POST", "/api/rooms/{room_id}/end", "End a session", "meetings", "host",
        params=(_ROOM_ID,), errors=(409,),
        response={"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}),
    openapi.Operation("GET", "/api/sites/picker", "Site choices of the join page", "meetings",
        "none",
        params=(openapi.Param("parent", schema={"type": "string", "maxLength": 32},
                              description="a kecamatan's code: its villages"),),
        response=openapi.ref("SiteChoices")),
)  # fmt: skip
