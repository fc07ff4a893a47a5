"""One page of a list, for every ``/api/`` list route: the query that asks for it
(``?limit=&offset=``, read once into a :class:`Paging`) and the answer that carries it
(``{"items", "total", "limit", "offset"}``, docs/api.md "Lists").

A limit or offset that is not a whole number in range is one error everywhere: 400 ``invalid``
with ``details: [{"field": "limit"|"offset", "message"}]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from network_inventory.model import Page
from web.errors import ApiError
from web.openapi import Param

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
"""SQLite's integers end at 2^63; a billion is more rows than any list here has."""
INVALID = "invalid"


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def whole_number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The query\'s ``name`` as a whole number from ``low`` to ``high`` (``default`` when
    absent), or 400 ``invalid``."""
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        message = f"{name} must be a whole number from {low} to {high}."
        raise ApiError(INVALID, message, details=[{"field": name, "message": message}])
    return int(text)


def paging(
    request: web.Request, *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> Paging:
    """The page the query asks for (400 ``invalid`` when ``limit`` or ``offset`` is not a
    whole number in range)."""
    return Paging(
        whole_number(request, "limit", default_limit, 1, max_limit),
        whole_number(request, "offset", 0, 0, MAX_OFFSET),
    )


_WHOLE = {"type": "integer"}


def params(
    *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> tuple[Param, Param]:
    """``limit`` and ``offset`` as the OpenAPI document describes them."""
    return (
        Param(
            "limit",
            schema={
                "type": "integer",
                "minimum": 1,
                "maximum": max_limit,
                "default": default_limit,
            },
        ),
        Param(
            "offset", schema={"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}
        ),
    )


PARAMS = params()


def page_response(page: Page, items: list[Any]) -> web.Response:
    """One page of a list as the API answers it (``items``, ``total``, ``limit``, ``offset``)."""
    return web.json_response(
        {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}
    )


def whole_list(items: list[Any]) -> web.Response:
    """A list answered whole, as one page of the same shape (``limit`` is its length)."""
    return web.json_response(
        {"items": items, "total": len(items), "limit": len(items), "offset": 0}
    )
