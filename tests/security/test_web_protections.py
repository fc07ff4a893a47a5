"""CSRF, security headers, session fixation, token tampering, lockout, oversized bodies and
path traversal — each against the real server on loopback."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
from yarl import URL

from edge.keys import ACCOUNTS
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningServer
from tests.security.helpers import anonymous, session_cookie

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
CREDENTIALS = {"username": ADMIN_USER, "password": ADMIN_PASSWORD}


async def _user_count(server: RunningServer) -> int:
    return await server.app[ACCOUNTS].count_users()


async def test_csrf_token_required_for_signed_in_writes(server: RunningServer) -> None:
    http = await server.signed_in_session()
    try:
        token = http.headers.pop("X-CSRF-Token")
        body = {"username": "csrf-victim", "role": "viewer"}
        before = await _user_count(server)
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": token[:-1]}):
            async with http.post("/api/admin/users", json=body, headers=headers) as resp:
                assert resp.status == 403
                assert (await resp.json())["error"] == "csrf_failed"
        assert await _user_count(server) == before
        # A cross-site page cannot pass even with a token in hand (Origin / Sec-Fetch-Site).
        for headers in (
            {"X-CSRF-Token": token, "Origin": "http://evil.example"},
            {"X-CSRF-Token": token, "Origin": "null"},
            {"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"},
        ):
            async with http.post("/api/admin/users", json=body, headers=headers) as resp:
                assert resp.status == 403, headers
        assert await _user_count(server) == before
        good = {"X-CSRF-Token": token, "Origin": server.url, "Sec-Fetch-Site": "same-origin"}
        async with http.post("/api/admin/users", json=body, headers=good) as resp:
            assert resp.status == 201
        assert await _user_count(server) == before + 1
    finally:
        await http.close()


async def test_anonymous_writes_must_be_json(server: RunningServer) -> None:
    async with anonymous(server) as http:
        form = "username=admin&password=" + ADMIN_PASSWORD
        async with http.post(
            "/api/session",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as resp:
            assert resp.status == 403
        async with http.post(
            "/api/session",
            data='{"username": "admin", "password": "x"}',
            headers={"Content-Type": "text/plain"},
        ) as resp:
            assert resp.status == 403
        assert session_cookie(http) is None


async def test_security_headers_on_pages_api_static_and_errors(server: RunningServer) -> None:
    async with anonymous(server) as http:
        for path in ("/login", "/api/me", "/static/js/http.js", "/no-such-page", "/admin"):
            async with http.get(path) as resp:
                h = resp.headers
                csp = h["Content-Security-Policy"]
                assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp, path
                assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
                assert "object-src 'none'" in csp
                assert h["X-Content-Type-Options"] == "nosniff"
                assert h["X-Frame-Options"] == "DENY"
                assert h["Referrer-Policy"] == "no-referrer"
                assert "camera=(self)" in h["Permissions-Policy"]
                assert "Strict-Transport-Security" not in h  # plain HTTP here
        async with http.get("/api/me") as resp:
            assert resp.headers["Cache-Control"] == "no-store"


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]
_REMOTE = re.compile(r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//""", re.I)
_REMOTE_JS = re.compile(
    r"""(?:import\s[^;]*?from\s*|import\(\s*|fetch\(\s*|new\s+(?:WebSocket|EventSource)\(\s*)"""
    r"""["'`](?:https?:|wss?:)?//""",
    re.I,
)
_REMOTE_CSS = re.compile(r"""(?:url\(\s*["']?|@import\s+["']?)(?:https?:)?//""", re.I)


def test_pages_have_no_inline_script_or_style_and_no_third_party_requests() -> None:
    """The CSP forbids inline script/style: a page relying on them would break in browsers.
    Everything must be served locally (no CDN fonts, icons or scripts)."""
    problems = []
    for page in sorted((STATIC / "pages").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for pattern, what in _INLINE:
            if pattern.search(text):
                problems.append(f"{page.name}: {what}")
        if _REMOTE.search(text):
            problems.append(f"{page.name}: loads something from another host")
    for script in sorted((STATIC / "js").rglob("*.js")):
        text = script.read_text(encoding="utf-8")
        if _REMOTE_JS.search(text):
            problems.append(f"js/{script.name}: requests another host")
        if re.search(r"""setAttribute\(\s*["']style["']|\.innerHTML\s*=.*style=""", text):
            problems.append(f"js/{script.name}: sets a style attribute (blocked by the CSP)")
    for sheet in sorted((STATIC / "css").rglob("*.css")):
        if _REMOTE_CSS.search(sheet.read_text(encoding="utf-8")):
            problems.append(f"css/{sheet.name}: loads something from another host")
    assert len(list((STATIC / "pages").glob("*.html"))) >= 2
    assert not problems, problems


async def test_new_session_token_at_every_sign_in_and_old_cookie_dead(
    server: RunningServer,
) -> None:
    async with anonymous(server) as http:
        # A fixated cookie planted before sign-in is replaced, never adopted.
        http.cookie_jar.update_cookies(
            {"pendopo_session": "attacker-chosen-token"}, response_url=URL(server.url)
        )
        async with http.post("/api/session", json=CREDENTIALS) as resp:
            assert resp.status == 200
            csrf = (await resp.json())["csrf_token"]
        first = session_cookie(http)
        assert first and first != "attacker-chosen-token"
        async with http.post("/api/session", json=CREDENTIALS) as resp:
            assert resp.status == 200
            csrf = (await resp.json())["csrf_token"]
        second = session_cookie(http)
        assert second and second != first
        async with anonymous(server) as replay:  # the first token ended at the second sign-in
            replay.cookie_jar.update_cookies({"pendopo_session": first})
            async with replay.get("/api/me") as resp:
                assert (await resp.json())["user"] is None
        async with http.delete("/api/session", headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 200
    async with anonymous(server) as replay:
        replay.cookie_jar.update_cookies({"pendopo_session": second})
        async with replay.get("/api/me") as resp:
            assert (await resp.json())["user"] is None
        async with replay.get("/api/admin/users") as resp:
            assert resp.status == 401


async def test_tampered_and_expired_session_tokens(server: RunningServer) -> None:
    http = await server.signed_in_session()
    token = session_cookie(http)
    await http.close()
    assert token
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token + "x", "", "x" * 300, "' OR 1=1 --", token.upper()):
        async with anonymous(server) as replay:
            replay.cookie_jar.update_cookies({"pendopo_session": bad})
            async with replay.get("/api/admin/users") as resp:
                assert resp.status == 401, bad
    # Expire it in the database: the same cookie is then refused.
    await server.app[ACCOUNTS].db.execute_write("UPDATE auth_sessions SET expires_at = 0")
    async with anonymous(server) as replay:
        replay.cookie_jar.update_cookies({"pendopo_session": token})
        async with replay.get("/api/admin/users") as resp:
            assert resp.status == 401


async def test_sign_in_lockout_is_429_with_retry_after(server: RunningServer) -> None:
    async with anonymous(server) as http:
        for _ in range(5):
            async with http.post(
                "/api/session", json={"username": ADMIN_USER, "password": "salah-salah"}
            ) as resp:
                assert resp.status == 401
        # Locked now, even with the right password.
        async with http.post("/api/session", json=CREDENTIALS) as resp:
            assert resp.status == 429
            assert int(resp.headers["Retry-After"]) > 60
            body = await resp.json()
            assert body["error"] == "too_many_attempts" and "minutes" in body["message"]
        # Another account from the same address is not locked (5 < the address limit).
        await server.app[ACCOUNTS].create_user(
            "it2", "kata-sandi-it2", __import__("accounts").AccountRole.IT
        )
        async with http.post(
            "/api/session", json={"username": "it2", "password": "kata-sandi-it2"}
        ) as resp:
            assert resp.status == 200
    admin = await server.signed_in_session("it2", "kata-sandi-it2")
    await admin.close()


async def test_oversized_bodies_get_413(server: RunningServer) -> None:
    big = b'{"username": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    async with anonymous(server) as http:
        async with http.post(
            "/api/session", data=big, headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"] == "too_large"
    http = await server.signed_in_session()
    try:
        async with http.post(
            "/api/admin/users", data=big, headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 413
    finally:
        await http.close()


async def _raw_get(server: RunningServer, target: str) -> tuple[int, bytes]:
    """Send the request line exactly as written (clients would normalise ``..``)."""
    reader, writer = await asyncio.open_connection(server.settings.host, server.settings.port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 20)
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


async def test_path_traversal_in_static_is_refused(server: RunningServer) -> None:
    secret = server.settings.data_dir / "secret.key"
    assert secret.exists()
    for target in (
        "/static/../app.py",
        "/static/../../pendopo/config.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2fapp.py",
        "/static/js/..%2f..%2fapp.py",
        "/static/%252e%252e/app.py",
        "/static//etc/passwd",
        "/static/js/../../../../../../etc/passwd",
        f"/static/{'../' * 8}{str(secret).lstrip('/')}",
    ):
        status, data = await _raw_get(server, target)
        assert status in (400, 403, 404), (target, status)
        assert b"create_app" not in data and b"root:" not in data and b"[project]" not in data
    status, _ = await _raw_get(server, "/static/js/http.js")
    assert status == 200


async def test_websocket_from_another_origin_is_refused(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(
                f"{server.url}/socket.io/?EIO=4&transport=websocket",
                headers={"Origin": "http://evil.example"},
            ) as ws:
                msg = await ws.receive(timeout=20)
                assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status in (400, 403)
