"""Requests outside testing sent and the server once answered with 500: ids too large for
SQLite in any path, broken multipart forms, and 405s without ``Allow``."""

from __future__ import annotations

import re

import aiohttp
import pytest

from accounts import AccountRole
from tests.conftest import RunningServer
from tests.security.helpers import PASSWORD, make_user
from web.openapi import route_path

TOO_LARGE = ("9223372036854775808", "18446744073709551616", "9" * 40, "1" + "0" * 5000)
"""2^63 (one past SQLite's largest integer), 2^64, and longer numbers still."""
SKIPPED_PREFIXES = ("/static/", "/socket.io/")


def _paths_with_ids(server: RunningServer, number: str) -> list[tuple[str, str]]:
    """Every mounted (method, path) with a variable in its path, each variable set to
    ``number`` — read from the route table, so a new route is covered without editing this."""
    found = set()
    for route in server.app.router.routes():
        path = route_path(route.resource) if route.resource else None
        if not path or "{" not in path or path.startswith(SKIPPED_PREFIXES):
            continue
        if route.method in ("HEAD", "OPTIONS"):
            continue
        found.add((route.method, re.sub(r"\{\w+\}", number, path)))
    return sorted(found)


async def test_route_table_has_the_routes_that_failed(server: RunningServer) -> None:
    paths = {p for _, p in _paths_with_ids(server, "7")}
    for expected in ("/api/sites/7", "/api/links/7", "/api/probes/7", "/api/webhooks/7"):
        assert expected in paths
    assert {"/api/sites/7/history", "/api/sites/7/call-quality"} <= paths


@pytest.mark.parametrize("number", TOO_LARGE[:2])
async def test_every_route_answers_404_to_an_id_sqlite_cannot_hold(
    server: RunningServer, number: str
) -> None:
    http = await server.signed_in_session()  # admin: every role check lets it through
    try:
        for method, path in _paths_with_ids(server, number):
            async with http.request(method, path, json={}) as resp:
                assert resp.status == 404, (method, path, resp.status, await resp.text())
                if path.startswith("/api/"):
                    assert (await resp.json())["error"].endswith("not_found"), (method, path)
    finally:
        await http.close()


async def test_a_viewer_gets_404_not_500(server: RunningServer) -> None:
    await make_user(server, "pemantau", AccountRole.VIEWER)
    http = await server.signed_in_session("pemantau", PASSWORD)
    try:
        for number in TOO_LARGE:
            for path in (
                f"/api/sites/{number}",
                f"/api/links/{number}",
                f"/api/sites/{number}/history",
                f"/api/sites/{number}/call-quality",
            ):
                async with http.get(path) as resp:
                    assert resp.status == 404, (path[:60], await resp.text())
                    assert (await resp.json())["error"] == "not_found"
            # Digits other than 0-9 are no id either.
            async with http.get("/api/sites/²/call-quality") as resp:
                assert resp.status in (400, 404)
        # The same numbers in a query are a 400 naming the parameter, never a 500.
        queries = (
            "/api/sites?parent=",
            "/api/links?site=",
            "/api/events?site=",
            "/api/state?parent=",
        )
        for query in queries:
            async with http.get(query + TOO_LARGE[0]) as resp:
                assert resp.status in (400, 404), (query, await resp.text())
    finally:
        await http.close()


# -- multipart ------------------------------------------------------------------------------
IMPORTS = ("/api/import/regions", "/api/import/links", "/api/import/probes")


def _form(header_line: bytes) -> bytes:
    return (
        b"--XYZ\r\n"
        b'Content-Disposition: form-data; name="files"; filename="links.csv"\r\n'
        + header_line
        + b"\r\n\r\nsite,parent,medium\r\n--XYZ--\r\n"
    )


@pytest.mark.parametrize("path", IMPORTS)
async def test_broken_multipart_forms_get_400(server: RunningServer, path: str) -> None:
    http = await server.signed_in_session()
    bad: list[tuple[str, bytes]] = [
        ("multipart/form-data", _form(b"X-Note: ok")),  # no boundary parameter
        ("multipart/form-data; boundary=XYZ", _form(b"X-Note: a\x01b")),  # control character
        ("multipart/form-data; boundary=XYZ", _form(b"X-Note: a\x7fb")),
        ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-da"),
    ]
    try:
        for content_type, body in bad:
            async with http.post(path, data=body, headers={"Content-Type": content_type}) as resp:
                text = await resp.text()
                assert resp.status == 400, (content_type, body[-40:], text)
                answer = await resp.json()
                assert answer["error"] in ("invalid_multipart", "no_files"), answer
                assert "Error" not in answer["message"]
    finally:
        await http.close()


# -- 405 ------------------------------------------------------------------------------------
async def test_405_names_the_allowed_methods(server: RunningServer) -> None:
    http = await server.signed_in_session()
    try:
        for method, path, allowed in (
            ("PUT", "/api/sites/1", {"GET", "PATCH", "DELETE"}),
            ("DELETE", "/api/sites", {"GET", "POST"}),
            ("POST", "/api/openapi.json", {"GET"}),
        ):
            async with http.request(method, path, json={}) as resp:
                assert resp.status == 405
                allow = {m.strip() for m in resp.headers["Allow"].split(",")}
                assert allowed <= allow <= allowed | {"HEAD"}, allow
                assert (await resp.json())["error"] == "method_not_allowed"
    finally:
        await http.close()


async def test_405_outside_the_api_keeps_allow_too(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{server.url}/login", json={}) as resp:
        assert resp.status in (403, 405)
        if resp.status == 405:
            assert "GET" in resp.headers["Allow"]


async def test_huge_offsets_are_400_not_500(server: RunningServer) -> None:
    http = await server.signed_in_session()
    try:
        for path in ("/api/rooms", "/api/events", "/api/changes", "/api/sites", "/api/state"):
            for number in TOO_LARGE[:3]:
                async with http.get(f"{path}?offset={number}") as resp:
                    assert resp.status == 400, (path, number, await resp.text())
    finally:
        await http.close()
