"""Which node serves a room, at the edges: joins, room creation, the room summary, ending.

The registry (rooms/registry.py) is the same object kind in the embedded default (one process
owns everything) and in scale-out (Redis), so these calls run in both.
"""

from __future__ import annotations

from aiohttp import web

from rooms.registry import NodeRegistry, claim_here
from web.keys import ROOMS

REGISTRY = web.AppKey("registry", NodeRegistry)


async def ensure_here(app: web.Application, room_id: str) -> None:
    """Before serving a room: ``not_found`` if it does not exist; ``wrong_node`` (with the
    owner's URL) if another live node serves it; else this node claims it."""
    room = await app[ROOMS].room(room_id)
    if not room.ended:
        await claim_here(app[REGISTRY], room_id)


async def owner_url(app: web.Application, room_id: str) -> str | None:
    """Base URL of the node serving ``room_id``, or None when no live node has claimed it."""
    owner = await app[REGISTRY].owner(room_id)
    return owner.url if owner is not None else None
