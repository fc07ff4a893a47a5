"""Invite links of a session, for its host (docs/protocol.md "REST", docs/security.md).

POST   /api/rooms/{room_id}/invites               a new link (optionally bound to a site)
GET    /api/rooms/{room_id}/invites               the session's links (never their tokens)
DELETE /api/rooms/{room_id}/invites/{invite_id}   withdraw one
PUT    /api/rooms/{room_id}/invite-policy         {"required": true}: a plain link is not enough

The token is in the returned ``url``'s fragment (``/j/<room>#invite=<token>``) and nowhere else:
it is not stored, not logged, and not shown again.
"""

from __future__ import annotations

from aiohttp import web

from accounts.invites import InviteAnswer, InviteCreated, InviteInput, InviteList, InvitePolicy
from edge.keys import INVITES, ROOMS, SITES
from pendopo.db import Connection
from pendopo.declared import as_json
from rooms import RoomError
from rooms.errors import NOT_FOUND, ROOM_ENDED
from web import openapi
from web.auth import audited, require_host
from web.errors import ApiError, json_body


async def _open_room(request: web.Request) -> str:
    room_id = request.match_info["room_id"]
    try:
        room = await request.app[ROOMS].room(room_id)
    except RoomError as exc:
        raise ApiError(exc.code, exc.message, status=404 if exc.code == NOT_FOUND else 400) from exc
    if room.ended:
        raise ApiError(ROOM_ENDED, "This session has ended.", status=409)
    return room_id


async def create_invite(request: web.Request) -> web.Response:
    """``{"site_code": "33.14.06"|null, "ttl_hours": 24, "require_lobby": true}`` (all optional;
    ``accounts.invites.InviteInput``) -> 201 ``{"invite": {...}, "url": "/j/<room>#invite=.."}``."""
    user = require_host(request)
    room_id = await _open_room(request)
    asked = InviteInput.parse(await json_body(request))
    site, hours, require_lobby = asked.site_code, asked.ttl_hours, asked.require_lobby
    if site is not None and await request.app[SITES].get(site) is None:
        raise ApiError("invalid_request", f"Unknown site {site!r}.")
    then = audited(
        request,
        "invite.create",
        lambda _: f"room {room_id}",
        lambda invite: {
            "id": invite.id,
            "site": site,
            "require_lobby": require_lobby,
            "hours": hours,
        },
    )
    invite, token = await request.app[INVITES].create(
        room_id,
        site_code=site,
        ttl=hours * 3600,
        require_lobby=require_lobby,
        created_by=user,
        then=then,
    )
    created = InviteCreated(invite=InviteAnswer.of(invite), url=f"/j/{room_id}#invite={token}")
    return web.json_response(as_json(created), status=201)


async def list_invites(request: web.Request) -> web.Response:
    require_host(request)
    room_id = request.match_info["room_id"]
    try:
        await request.app[ROOMS].room(room_id)
    except RoomError as exc:
        raise ApiError(exc.code, exc.message, status=404) from exc
    invites = request.app[INVITES]
    items = [InviteAnswer.of(i) for i in await invites.for_room(room_id)]
    listed = InviteList(items=items, invite_required=await invites.required(room_id))
    return web.json_response(as_json(listed))


async def revoke_invite(request: web.Request) -> web.Response:
    require_host(request)
    room_id = request.match_info["room_id"]
    invite_id = request.match_info["invite_id"]
    invites = request.app[INVITES]
    invite = await invites.get(invite_id)
    if invite is None or invite.room != room_id:
        raise ApiError(NOT_FOUND, "There is no such invite link.", status=404)
    record = audited(
        request, "invite.revoke", lambda _: f"room {room_id}", lambda _: {"id": invite_id}
    )

    def then(conn: Connection, revoked: bool) -> None:
        if revoked:  # withdrawing it again changes nothing: nothing to record
            record(conn, revoked)

    revoked = await invites.revoke(invite_id, then=then)
    return web.json_response({"ok": True, "revoked": revoked})


async def set_policy(request: web.Request) -> web.Response:
    """``{"required": true}``: only invite holders (and hosts) may join from now on."""
    require_host(request)
    room_id = await _open_room(request)
    required = InvitePolicy.parse(await json_body(request)).required
    then = audited(
        request, "invite.policy", lambda _: f"room {room_id}", lambda _: {"required": required}
    )
    await request.app[INVITES].set_required(room_id, required, then=then)
    return web.json_response({"ok": True, "invite_required": required})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/rooms/{room_id}/invites", create_invite)
    app.router.add_get("/api/rooms/{room_id}/invites", list_invites)
    app.router.add_delete("/api/rooms/{room_id}/invites/{invite_id}", revoke_invite)
    app.router.add_put("/api/rooms/{room_id}/invite-policy", set_policy)


openapi.add_schemas(
    openapi.declared(InviteInput, InvitePolicy, outputs=(InviteCreated, InviteList))
)
_ROOM_ID = openapi.Param("room_id", "path", required=True, description="session id")

openapi.describe(
    openapi.Operation(
        "POST",
        "/api/rooms/{room_id}/invites",
        "New invite link (token only in the returned url's fragment, shown once)",
        "meetings",
        "host",
        params=(_ROOM_ID,),
        body={"application/json": {"schema": openapi.ref("InviteInput")}},
        response=openapi.ref("InviteCreated"),
        status=201,
    ),
    openapi.Operation(
        "GET",
        "/api/rooms/{room_id}/invites",
        "The session's invite links (without tokens)",
        "meetings",
        "host",
        params=(_ROOM_ID,),
        response=openapi.ref("InviteList"),
    ),
    openapi.Operation(
        "DELETE",
        "/api/rooms/{room_id}/invites/{invite_id}",
        "Withdraw an invite link",
        "meetings",
        "host",
        params=(
            _ROOM_ID,
            openapi.Param("invite_id", "path", required=True, description="the invite's id"),
        ),
    ),
    openapi.Operation(
        "PUT",
        "/api/rooms/{room_id}/invite-policy",
        "Require an invite link to join (hosts excepted)",
        "meetings",
        "host",
        params=(_ROOM_ID,),
        body={"application/json": {"schema": openapi.ref("InvitePolicy")}},
    ),
)
