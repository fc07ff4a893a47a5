"""Sign-in, sign-out and the CSRF token over HTTP against the real server."""

from __future__ import annotations

import aiohttp

from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningServer


def _client(server: RunningServer) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_sign_in_sets_cookies_and_me_reports_user(server: RunningServer) -> None:
    async with _client(server) as http:
        async with http.get("/api/me") as resp:
            assert (await resp.json()) == {"user": None}
        async with http.post(
            "/api/session", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
            cookies = resp.headers.getall("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("pendopo_session="))
        csrf_cookie = next(c for c in cookies if c.startswith("pendopo_csrf="))
        assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
        assert "Max-Age=" in session_cookie
        assert "HttpOnly" not in csrf_cookie and "SameSite=Strict" in csrf_cookie
        assert csrf_cookie.split(";")[0] == f"pendopo_csrf={body['csrf_token']}"
        async with http.get("/api/me") as resp:
            me = await resp.json()
            assert me["user"]["username"] == ADMIN_USER and me["user"]["role"] == "admin"
            assert me["csrf_token"] == body["csrf_token"]
        headers = {"X-CSRF-Token": body["csrf_token"]}
        async with http.delete("/api/session", headers=headers) as resp:
            assert resp.status == 200
        async with http.get("/api/me") as resp:
            assert (await resp.json()) == {"user": None}


async def test_wrong_password_is_401_with_error_code(server: RunningServer) -> None:
    async with _client(server) as http:
        async with http.post(
            "/api/session", json={"username": ADMIN_USER, "password": "nope-nope"}
        ) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"] == "unauthorised"


async def test_malformed_body_is_400(server: RunningServer) -> None:
    async with _client(server) as http:
        async with http.post(
            "/api/session", data=b"{not json", headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_json"
        async with http.post("/api/session", json={"username": 3}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_request"


async def test_change_own_password_ends_sessions(server: RunningServer) -> None:
    first = await server.signed_in_session()
    second = await server.signed_in_session()
    try:
        async with first.post(
            "/api/me/password", json={"current": "wrong-one!", "new": "a-new-secret-1"}
        ) as resp:
            assert resp.status == 403
        async with first.post(
            "/api/me/password", json={"current": ADMIN_PASSWORD, "new": "a-new-secret-1"}
        ) as resp:
            assert resp.status == 200
        for http in (first, second):
            async with http.get("/api/me") as resp:
                assert (await resp.json())["user"] is None
        again = await server.signed_in_session(password="a-new-secret-1")
        await again.close()
    finally:
        await first.close()
        await second.close()
