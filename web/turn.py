"""GET /api/ice-servers: the STUN/TURN servers for a signed-in user's browser, with time-limited
TURN credentials (edge/turn.py, shared with signaling's join ack)."""

from __future__ import annotations

from aiohttp import web

from edge.keys import SETTINGS
from edge.turn import TURN_TTL, ice_servers_for
from web import openapi
from web.auth import require_user


async def ice_servers(request: web.Request) -> web.Response:
    """GET /api/ice-servers (signed-in users; invited guests get them in the join ack)."""
    user = require_user(request)
    servers = ice_servers_for(request.app[SETTINGS], user.username)
    return web.json_response({"iceServers": servers, "ttl": TURN_TTL})


def setup(app: web.Application) -> None:
    app.router.add_get("/api/ice-servers", ice_servers)


openapi.describe(
    openapi.Operation(
        "GET",
        "/api/ice-servers",
        "STUN/TURN servers for the browser",
        "meetings",
        "user",
        response={
            "type": "object",
            "required": ["iceServers", "ttl"],
            "properties": {
                "iceServers": {"type": "array", "items": {"type": "object"}},
                "ttl": {"type": "integer", "description": "seconds the credentials stay valid"},
            },
        },
    )
)
