"""Sign-in over HTTP against the real server."""

from __future__ import annotations

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningServer


async def test_sign_in_sets_cookie_and_me_reports_user(server: RunningServer) -> None:
    async with aiohttp.ClientSession(
        base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as http:
        async with http.get("/api/me") as resp:
            assert (await resp.json()) == {"user": None}
        async with http.post(
            "/api/session", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        ) as resp:
            assert resp.status == 200
            set_cookie = resp.headers["Set-Cookie"]
            assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
        async with http.get("/api/me") as resp:
            me = (await resp.json())["user"]
            assert me["username"] == ADMIN_USER and me["role"] == "admin"
        async with http.delete("/api/session") as resp:
            assert resp.status == 200
        async with http.get("/api/me") as resp:
            assert (await resp.json()) == {"user": None}


async def test_wrong_password_is_401_with_error_code(server: RunningServer) -> None:
    async with aiohttp.ClientSession(
        base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as http:
        async with http.post(
            "/api/session", json={"username": ADMIN_USER, "password": "nope-nope"}
        ) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "unauthorised"


async def test_malformed_body_is_400(server: RunningServer) -> None:
    async with aiohttp.ClientSession(
        base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as http:
        async with http.post("/api/session", data=b"{not json") as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_json"
        async with http.post("/api/session", json={"username": 3}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_request"
