"""Property-based tests (hypothesis) over the REST bodies of sign-in and the admin API.

The server runs on a loopback port in its own thread and event loop; each example is a real
HTTP request. Properties: never a 5xx, always a JSON error with a code when refused, and a
refused request changes nothing (users, passwords, sessions).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.ratelimit import LoginLimiter
from edge.keys import LOGIN_LIMITER
from pendopo.app import create_app
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, make_settings

REFUSED = {400, 401, 403, 404, 405, 409, 413, 415, 429}


@dataclass
class Live:
    port: int
    db_path: Path
    cookie: str
    csrf: str

    def request(
        self, method: str, path: str, body: bytes | None = None, *, signed_in: bool = True
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if signed_in:
            headers.update(Cookie=f"pendopo_session={self.cookie}", **{"X-CSRF-Token": self.csrf})
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return resp.status, data

    def snapshot(self) -> tuple[list[tuple[Any, ...]], int]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            users = [tuple(r) for r in conn.execute("SELECT * FROM users ORDER BY id")]
            sessions = conn.execute("SELECT count(*) FROM auth_sessions").fetchone()[0]
        finally:
            conn.close()
        return users, int(sessions)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings_ = make_settings(tmp_path_factory.mktemp("props"))
    loop = asyncio.new_event_loop()
    app = create_app(settings_)
    # Many failed sign-ins on purpose: the lockout has its own tests.
    app[LOGIN_LIMITER] = LoginLimiter(user_limit=10**9, address_limit=10**9)
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, settings_.host, settings_.port)
        loop.run_until_complete(site.start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(60)
    conn = http.client.HTTPConnection("127.0.0.1", settings_.port, timeout=60)
    body = json.dumps({"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    conn.request("POST", "/api/session", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    csrf = json.loads(resp.read())["csrf_token"]
    cookie = next(
        v.split(";")[0].split("=", 1)[1]
        for k, v in resp.getheaders()
        if k == "Set-Cookie" and v.startswith("pendopo_session=")
    )
    conn.close()
    try:
        yield Live(settings_.port, settings_.db_path, cookie, csrf)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(60)


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
user_fields = st.sampled_from(["username", "role", "display_name", "site_code", "password"])
role_like = st.sampled_from(["admin", "host", "it", "viewer", "site", "root", "", "HOST"])
field_values = json_values | role_like | st.text(min_size=0, max_size=300)
bodies = (
    st.dictionaries(user_fields | st.text(max_size=10), field_values, max_size=6).map(
        lambda d: json.dumps(d).encode()
    )
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
)
PROPS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_refusal(status: int, data: Any) -> None:
    assert status < 500, (status, data)
    if status >= 400:
        assert status in REFUSED, (status, data)
        assert isinstance(data, dict) and isinstance(data.get("error"), str), data


@PROPS
@given(
    body=st.fixed_dictionaries(
        {"username": json_values | st.text(max_size=300), "password": json_values}
    ).map(lambda d: json.dumps(d).encode())
    | bodies
)
def test_sign_in_never_fails_badly_and_rejections_change_nothing(live: Live, body: bytes) -> None:
    before = live.snapshot()
    status, data = live.request("POST", "/api/session", body, signed_in=False)
    _assert_refusal(status, data)
    assert status != 200
    assert live.snapshot() == before


@PROPS
@given(body=bodies)
def test_create_user_bodies(live: Live, body: bytes) -> None:
    users_before, sessions_before = live.snapshot()
    status, data = live.request("POST", "/api/admin/users", body)
    _assert_refusal(status, data)
    users_after, sessions_after = live.snapshot()
    if status == 201:
        assert len(users_after) == len(users_before) + 1
        assert data["user"]["username"] in {u[1] for u in users_after}
    else:
        assert users_after == users_before
    assert sessions_after == sessions_before


def _not_admin(ref: str) -> bool:
    """Keep the signed-in admin (id 1) signed in: its own sign-out is tested elsewhere."""
    try:
        return int(ref) != 1
    except ValueError:
        return True


@PROPS
@given(
    user_ref=(st.text(max_size=12) | st.integers(-5, 10**12).map(str)).filter(_not_admin),
    action=st.sampled_from(["password", "disable", "enable", "sign-out", "nope"]),
    body=bodies,
)
def test_user_actions_with_odd_ids_and_bodies(
    live: Live, user_ref: str, action: str, body: bytes
) -> None:
    before = live.snapshot()
    path = f"/api/admin/users/{quote(user_ref, safe='')}/{action}"
    status, data = live.request("POST", path, body)
    _assert_refusal(status, data)
    if status >= 400:
        assert live.snapshot() == before


@PROPS
@given(
    query=st.dictionaries(
        st.sampled_from(["limit", "offset", "action", "actor", "since", "until", "x"]),
        st.text(max_size=30) | st.integers(-(10**20), 10**20).map(str),
        max_size=5,
    )
)
def test_audit_queries(live: Live, query: dict[str, str]) -> None:
    qs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    for path in ("/api/admin/audit", "/api/admin/audit.csv"):
        status, data = live.request("GET", f"{path}?{qs}")
        _assert_refusal(status, data)


def test_admin_still_signed_in_after_the_properties(live: Live) -> None:
    status, data = live.request("GET", "/api/me")
    assert status == 200 and data["user"]["username"] == ADMIN_USER
