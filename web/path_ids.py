"""Numbers in paths, checked once for every route: ``/api/sites/9223372036854775808``.

SQLite keeps integers in 64 bits; a larger id reached a query and failed there (500). Every
number a route captures from its path (``{id}``, ``{ref}``, ``{user_id}``, ...) is checked here
before the handler runs: a number no record can have is answered like any unknown id, 404
``not_found``, on every route alike — present and future ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from web.errors import ApiNotFound

MAX_ID = 2**63 - 1
"""The largest integer SQLite stores (and so the largest row id)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def storable_id(text: str) -> bool:
    """False for a path value that is a number no row can have: too large, or written with
    digits other than 0-9 (``²``, ``١``) that ``str.isdigit`` accepts."""
    if not text.isdigit():
        return True  # not a number at all: the route's own checks decide
    return text.isascii() and len(text.lstrip("0")) <= 19 and int(text) <= MAX_ID


@web.middleware
async def path_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    for value in request.match_info.values():
        if not storable_id(value):
            raise ApiNotFound("not_found", "No such record: the id is out of range.")
    return await handler(request)
