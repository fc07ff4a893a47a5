"""Every paged list reads ``?limit=&offset=`` with one helper (web/paging.py): the same
defaults, bounds and error everywhere — 400 ``invalid`` naming the field in ``details``."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServer
from web import openapi
from web.paging import MAX_LIMIT

LISTS = (
    "/api/sites",
    "/api/links",
    "/api/probes",
    "/api/changes",
    "/api/events",
    "/api/state",
    "/api/admin/audit",
)
BAD = (
    ({"limit": "abc"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": str(MAX_LIMIT + 1)}, "limit"),
    ({"limit": "1.5"}, "limit"),
    ({"limit": "²"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"offset": str(10**9 + 1)}, "offset"),
)


@pytest.mark.parametrize("path", LISTS)
async def test_bad_limit_or_offset_is_one_error_on_every_list(
    server: RunningServer, path: str
) -> None:
    http = await server.signed_in_session()
    async with http:
        for params, field in BAD:
            async with http.get(path, params=params) as resp:
                assert resp.status == 400, (path, params, await resp.text())
                body = await resp.json()
            assert body["error"] == "invalid", (path, params, body)
            assert [d["field"] for d in body["details"]] == [field], (path, params, body)
        async with http.get(path, params={"limit": "2", "offset": "1"}) as resp:
            assert resp.status == 200, (path, await resp.text())
            page = await resp.json()
        assert (page["limit"], page["offset"]) == (2, 1) and len(page["items"]) <= 2


async def test_the_document_says_the_same_bounds_on_every_list(server: RunningServer) -> None:
    doc = openapi.document(server.app)
    for path in LISTS:
        params = {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}
        assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, MAX_LIMIT), path
        assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, 10**9), path
    # /api/state answers every site at once unless asked for less
    state = doc["paths"]["/api/state"]["get"]["parameters"]
    assert next(p for p in state if p["name"] == "limit")["schema"]["default"] == MAX_LIMIT


SMALLER_PAGES = (("/api/rooms", 500), ("/api/alerts", 200))
"""Lists whose pages are smaller: each room reads its participants, alerts are the newest."""


@pytest.mark.parametrize(("path", "most"), SMALLER_PAGES)
async def test_smaller_pages_use_the_same_reading(
    server: RunningServer, path: str, most: int
) -> None:
    doc = openapi.document(server.app)
    params = {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, most), path
    http = await server.signed_in_session()
    async with http:
        for value in ("abc", "0", str(most + 1), "1.5", "²"):
            async with http.get(path, params={"limit": value}) as resp:
                assert resp.status == 400, (path, value, await resp.text())
                body = await resp.json()
            assert body["error"] == "invalid", (path, value, body)
            assert [d["field"] for d in body["details"]] == ["limit"], (path, value, body)
        async with http.get(path, params={"limit": str(most)}) as resp:
            assert resp.status == 200, (path, await resp.text())
