"""REST for sessions (rooms) and the join page's site picker; the host and join pages' routes.

POST /api/rooms, GET /api/rooms, GET /api/rooms/{id}, POST /api/rooms/{id}/end,
GET /api/sites/picker?parent=<code>. Documented in docs/protocol.md ("REST").
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edge.fields import parse_title
from edge.keys import REGISTRY, ROOMS, SESSIONS, SITES
from edge.placement import elsewhere_url, ensure_here
from rooms import Room, RoomError
from rooms.errors import FORBIDDEN, NOT_FOUND, ROOM_ENDED, ROOM_LOCKED
from rooms.model import ParticipantState, SessionState
from rooms.records import RoomRecord
from web import openapi, pages, readiness_api
from web.auth import audit, require_host
from web.errors import ApiError
from web.readiness_api import MAX_INVITED, invited_sites

MAX_OFFSET = 10**9
_STATUS = {NOT_FOUND: 404, FORBIDDEN: 403, ROOM_ENDED: 409, ROOM_LOCKED: 409}


def _api_error(exc: RoomError) -> ApiError:
    return ApiError(exc.code, exc.message, status=_STATUS.get(exc.code, 400))


def join_url(room_id: str) -> str:
    return f"/j/{room_id}"


def _room_json(room: Room | RoomRecord) -> dict[str, Any]:
    return {
        "id": room.id,
        "title": room.title,
        "state": room.state.value,
        "join_url": join_url(room.id),
        "created_by": room.created_by,
        "created_at": room.created_at,
    }


async def create_room(request: web.Request) -> web.Response:
    user = require_host(request)
    try:
        body = await request.json()
        title = parse_title(body)
    except RoomError as exc:
        raise _api_error(exc) from exc
    except ValueError as exc:
        raise ApiError("invalid_json", "The request body is not valid JSON.") from exc
    invited = await invited_sites(request.app[SITES], body.get("invited_sites"))
    room = await request.app[ROOMS].create_room(title, user.id, invited)
    await request.app[REGISTRY].claim(room.id)  # the creating node serves it (docs/scaling.md)
    return web.json_response(
        {"room": {**_room_json(room), "invited_sites": list(invited)}}, status=201
    )


async def list_rooms(request: web.Request) -> web.Response:
    require_host(request)
    try:
        limit = min(max(int(request.query.get("limit", "50")), 1), 500)
        offset = max(int(request.query.get("offset", "0")), 0)
    except ValueError as exc:
        raise ApiError("invalid_request", "limit and offset must be integers.") from exc
    if offset > MAX_OFFSET:  # SQLite's integers end at 2^63
        raise ApiError("invalid_request", f"offset must be at most {MAX_OFFSET}.")
    service = request.app[ROOMS]
    records, total = await service.records.list(limit=limit, offset=offset)
    items = []
    for record in records:
        item = _room_json(record)
        item["invited_sites"] = list(record.invited_sites)
        participants = (
            await service.participants(record.id) if record.state is not SessionState.ENDED else []
        )
        item["present"] = sum(1 for p in participants if p.present)
        item["waiting"] = sum(1 for p in participants if p.state is ParticipantState.LOBBY)
        live = await service.store.get_room(record.id)
        if live is not None:
            item["state"] = live.state.value
        items.append(item)
    return web.json_response({"items": items, "total": total})


async def room_summary(request: web.Request) -> web.Response:
    """Public: anyone with the link may see the title and whether it is open."""
    try:
        room = await request.app[ROOMS].room(request.match_info["room_id"])
    except RoomError as exc:
        raise _api_error(exc) from exc
    body: dict[str, Any] = {"room": {"id": room.id, "title": room.title, "state": room.state.value}}
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
    return web.json_response(
        {
            "parent": parent,
            "items": [{"code": s.code, "name": s.name, "kind": s.kind} for s in sites],
        }
    )


def setup(app: web.Application) -> None:
    app.router.add_post("/api/rooms", create_room)
    app.router.add_get("/api/rooms", list_rooms)
    app.router.add_get("/api/rooms/{room_id}", room_summary)
    app.router.add_post("/api/rooms/{room_id}/end", end_room)
    app.router.add_get("/api/sites/picker", site_picker)
    app.router.add_get("/api/rooms/{room_id}/readiness", readiness_api.room_readiness)
    pages.add_page(app, "/", "home.html")
    pages.add_page(app, "/j/{room_id}", "room.html")


_ROOM_ID = openapi.Param("room_id", "path", description="session id (11 characters)")
_STATE = {"enum": [st.value for st in SessionState]}
_SUMMARY_FIELDS: dict[str, Any] = {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "state": _STATE,
}
_SUMMARY = {"type": "object", "required": ["id", "title", "state"], "properties": _SUMMARY_FIELDS}
_ROOM = {
    "type": "object",
    "required": ["id", "title", "state", "join_url"],
    "properties": {
        **_SUMMARY_FIELDS,
        "join_url": {"type": "string"},
        "created_by": {"type": ["integer", "null"]},
        "created_at": {"type": "number"},
        "invited_sites": {"type": "array", "items": {"type": "string"}},
        "present": {"type": "integer"},
        "waiting": {"type": "integer"},
    },
}
_ROOM_INPUT = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "invited_sites": {
            "type": "array",
            "maxItems": MAX_INVITED,
            "items": {"type": "string", "description": "Kemendagri code the server knows"},
        },
    },
}

openapi.describe(
    openapi.Operation("POST", "/api/rooms", "Schedule a session (room)", "meetings", "host",
        body={"application/json": {"schema": _ROOM_INPUT, "example": {"title": "Rapat uji"}}},
        response={"type": "object", "required": ["room"], "properties": {"room": _ROOM}},
        status=201),
    openapi.Operation("GET", "/api/rooms", "List rooms, newest first", "meetings", "host",
        params=(openapi.Param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500}),
                openapi.Param("offset", schema={"type": "integer", "minimum": 0,
                                                "maximum": MAX_OFFSET})),
        response={"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": _ROOM}, "total": {"type": "integer"}}}),
    openapi.Operation("GET", "/api/rooms/{room_id}", "A room's public summary", "meetings",
        "none", params=(_ROOM_ID,),
        response={"type": "object", "required": ["room"], "properties": {
            "room": _SUMMARY,
            "node": {"type": "string", "description": "base URL of the node serving it"}}}),
    openapi.Operation("POST", "/api/rooms/{room_id}/end", "End a session", "meetings", "host",
        params=(_ROOM_ID,), errors=(409,),
        response={"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}}),
    openapi.Operation("GET", "/api/sites/picker", "Site choices of the join page", "meetings",
        "none",
        params=(openapi.Param("parent", schema={"type": "string", "maxLength": 32},
                              description="a kecamatan's code: its villages"),),
        response={"type": "object", "required": ["parent", "items"], "properties": {
            "parent": {"type": ["string", "null"]},
            "items": {"type": "array", "items": {"type": "object", "required": ["code", "name"],
                      "properties": {"code": {"type": ["string", "null"]},
                                     "name": {"type": "string"},
                                     "kind": {"type": "string"}}}}}}),
)  # fmt: skip
