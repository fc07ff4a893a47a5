"""Role x action matrix over the REST routes.

Each row names a route, who may call it, and what "it worked" looks like. For every role
(anonymous, admin, host, it, viewer, site) the test calls the route on the real server:
allowed roles must get a working answer, denied ones the documented error — 401
``unauthorised`` when not signed in, 403 ``forbidden`` when signed in with the wrong role.

Every ``/api/`` route the app mounts must have a row (``test_every_api_route_is_in_the_matrix``):
a new route cannot land without saying who may call it. Rows for routes that are not mounted
(yet) are skipped by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web

from accounts import AccountRole
from edge.keys import ACCOUNTS, SERVER_KEY
from tests.conftest import RunningServer
from web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token

ANON = "anonymous"
ROLES = (ANON, *(r.value for r in AccountRole))
SIGNED_IN = frozenset(r.value for r in AccountRole)
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
HOSTS = frozenset({"admin", "host"})
EDITORS = frozenset({"admin", "it"})
STAFF = frozenset({"admin", "host", "it", "viewer"})
"""Signed in, but not a site seat: link states, history and events."""


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    """As mounted; ``{user_id}`` becomes a fresh throw-away user, other ids are made up."""
    allowed: frozenset[str]
    body: object = None
    ok: tuple[int, ...] = (200, 201)
    """Statuses meaning "allowed and handled" (404 where the row uses a made-up id)."""

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


HANDLED = (200, 201, 400, 404, 409, 415, 422)
"""For rows that send a made-up id or a minimal body: anything but 401/403/5xx means the role
check let the request through to the handler."""

MATRIX: list[Case] = [
    # accounts (web/auth.py)
    Case("POST", "/api/session", EVERYONE, {"username": "x-{nonce}", "password": "x"}, ok=(401,)),
    Case("GET", "/api/me", EVERYONE),
    Case("POST", "/api/me/password", SIGNED_IN, {"current": "wrong!!!", "new": "n"}, ok=(403,)),
    Case("DELETE", "/api/session", EVERYONE),
    Case("DELETE", "/api/sessions", SIGNED_IN),
    # TURN (web/turn.py)
    Case("GET", "/api/ice-servers", SIGNED_IN),
    # admin (web/admin_api.py)
    Case("GET", "/api/admin/users", ADMIN),
    Case("POST", "/api/admin/users", ADMIN, {"username": "u-{nonce}", "role": "viewer"}),
    Case("POST", "/api/admin/users/{user_id}/password", ADMIN, {}),
    Case("POST", "/api/admin/users/{user_id}/disable", ADMIN, {}),
    Case("POST", "/api/admin/users/{user_id}/enable", ADMIN, {}),
    Case("POST", "/api/admin/users/{user_id}/sign-out", ADMIN, {}),
    Case("GET", "/api/admin/audit", ADMIN),
    Case("GET", "/api/admin/audit.csv", ADMIN),
    # meetings (web/rooms_api.py)
    Case("POST", "/api/rooms", HOSTS, {"title": "Rapat koordinasi"}),
    Case("GET", "/api/rooms", HOSTS),
    Case("GET", "/api/rooms/{room_id}", EVERYONE, ok=(404,)),
    Case("POST", "/api/rooms/{room_id}/end", HOSTS, {}, ok=(404,)),
    Case("GET", "/api/sites/picker", EVERYONE),
    Case("GET", "/api/sites/all", EVERYONE),
    Case("GET", "/api/rooms/upcoming", SIGNED_IN),
    Case("GET", "/api/rooms/{room_id}/calendar.ics", SIGNED_IN, ok=(404,)),
    Case("GET", "/api/rooms/{room_id}/attendance", HOSTS, ok=HANDLED),
    Case("GET", "/api/rooms/{room_id}/attendance.csv", HOSTS, ok=HANDLED),
    Case("GET", "/api/rooms/{room_id}/recordings", HOSTS),
    Case("GET", "/api/rooms/{room_id}/recordings/{recording_id}/{file}", HOSTS, ok=(404,)),
    Case("GET", "/api/rooms/{room_id}/readiness", HOSTS, ok=(404,)),
    # invite links (web/invites_api.py)
    Case("POST", "/api/rooms/{room_id}/invites", HOSTS, {}, ok=(404,)),
    Case("GET", "/api/rooms/{room_id}/invites", HOSTS, ok=(404,)),
    Case("DELETE", "/api/rooms/{room_id}/invites/{invite_id}", HOSTS, ok=(404,)),
    Case("PUT", "/api/rooms/{room_id}/invite-policy", HOSTS, {"required": True}, ok=(404,)),
    # inventory (web/inventory_api.py): reads for anyone signed in, writes for IT
    Case("GET", "/api/sites", STAFF),
    Case("GET", "/api/sites/{ref}", STAFF, ok=HANDLED),
    Case("POST", "/api/sites", EDITORS, {"name": "Uji"}, ok=HANDLED),
    Case("PATCH", "/api/sites/{ref}", EDITORS, {"notes": "x"}, ok=HANDLED),
    Case("DELETE", "/api/sites/{ref}", EDITORS, ok=HANDLED),
    Case("GET", "/api/links", STAFF),
    Case("GET", "/api/links/{id}", STAFF, ok=HANDLED),
    Case("POST", "/api/links", EDITORS, {}, ok=HANDLED),
    Case("PATCH", "/api/links/{id}", EDITORS, {}, ok=HANDLED),
    Case("DELETE", "/api/links/{id}", EDITORS, ok=HANDLED),
    Case("GET", "/api/probes", EDITORS),
    Case("GET", "/api/probes/{id}", EDITORS, ok=HANDLED),
    Case("POST", "/api/probes", EDITORS, {}, ok=HANDLED),
    Case("PATCH", "/api/probes/{id}", EDITORS, {}, ok=HANDLED),
    Case("DELETE", "/api/probes/{id}", EDITORS, ok=HANDLED),
    Case("POST", "/api/import/regions", EDITORS, {}, ok=HANDLED),
    Case("POST", "/api/import/links", EDITORS, {}, ok=HANDLED),
    Case("POST", "/api/import/probes", EDITORS, {}, ok=HANDLED),
    Case("GET", "/api/export/sites.csv", STAFF),
    Case("GET", "/api/export/links.csv", STAFF),
    Case("GET", "/api/export/probes.csv", EDITORS),
    Case("GET", "/api/changes", STAFF),
    # inventory live data (web/inventory_live_api.py)
    Case("GET", "/api/state", STAFF),
    Case("GET", "/api/sites/{id}/history", STAFF, ok=HANDLED),
    Case("GET", "/api/events", STAFF),
    Case("GET", "/api/reports/availability", STAFF),
    Case("GET", "/api/reports/availability.csv", STAFF),
    Case("GET", "/api/sites/{id}/call-quality", STAFF, ok=HANDLED),
    Case("GET", "/api/maintenance-windows", STAFF),
    Case("POST", "/api/maintenance-windows", EDITORS, {"site": 1}, ok=HANDLED),
    Case("GET", "/api/maintenance-windows/{id}", STAFF, ok=HANDLED),
    Case("PATCH", "/api/maintenance-windows/{id}", EDITORS, {"notes": "x"}, ok=HANDLED),
    Case("DELETE", "/api/maintenance-windows/{id}", EDITORS, ok=HANDLED),
    Case("GET", "/api/links/{id}/thresholds", STAFF, ok=HANDLED),
    Case("PUT", "/api/links/{id}/thresholds", EDITORS, {}, ok=HANDLED),
    Case("GET", "/api/webhooks", EDITORS),
    Case("POST", "/api/webhooks", EDITORS, {"url": "http://127.0.0.1:9/hook"}, ok=HANDLED),
    Case("GET", "/api/webhooks/{id}", EDITORS, ok=HANDLED),
    Case("PATCH", "/api/webhooks/{id}", EDITORS, {"enabled": False}, ok=HANDLED),
    Case("DELETE", "/api/webhooks/{id}", EDITORS, ok=HANDLED),
    # alert channels and acknowledgements (web/alert_channels_api.py)
    Case("GET", "/api/alert-channels", EDITORS),
    Case("POST", "/api/alert-channels", EDITORS, {"kind": "email", "name": "x"}, ok=HANDLED),
    Case("GET", "/api/alert-channels/{id}", EDITORS, ok=HANDLED),
    Case("PATCH", "/api/alert-channels/{id}", EDITORS, {"enabled": False}, ok=HANDLED),
    Case("DELETE", "/api/alert-channels/{id}", EDITORS, ok=HANDLED),
    Case("GET", "/api/alerts", STAFF),
    Case("POST", "/api/alerts/{id}/ack", EDITORS, {"note": "x"}, ok=HANDLED),
    # the KPT service catalogue (web/services_api.py); its board is public
    Case("GET", "/api/services", STAFF),
    Case("POST", "/api/services", EDITORS, {"name": "Uji {nonce}"}, ok=HANDLED),
    Case("GET", "/api/services/{id}", STAFF, ok=HANDLED),
    Case("PATCH", "/api/services/{id}", EDITORS, {"notes": "x"}, ok=HANDLED),
    Case("DELETE", "/api/services/{id}", EDITORS, ok=HANDLED),
    Case("POST", "/api/import/services", EDITORS, {}, ok=HANDLED),
    Case("GET", "/api/export/services.csv", STAFF),
    Case("GET", "/api/public/services", EVERYONE),
]

MADE_UP_IDS = {
    "room_id": "no-such-room",
    "id": 987654,
    "ref": "33.14.99",
    "invite_id": "nope",
    "recording_id": "20260101T000000-000",
    "file": "p_none.webm",
}

NOT_IN_MATRIX = {
    ("GET", "/api/openapi.json"),  # the public API description
}


def mounted_api_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/api/") and route.method != "HEAD":
            routes.add((route.method, path))
    return routes


async def _client(server: RunningServer, role: str) -> aiohttp.ClientSession:
    """A client as ``role``, signed in through a store session (no scrypt per request)."""
    http = aiohttp.ClientSession(base_url=server.url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    if role == ANON:
        return http
    accounts = server.app[ACCOUNTS]
    name = f"matrix-{role}"
    user = await accounts.get_user_by_name(name)
    if user is None:
        site = "33.14.01" if role == "site" else None
        user = await accounts.create_user(name, "kata-sandi-123", AccountRole(role), site_code=site)
    session = await accounts.start_session(user)
    http.cookie_jar.update_cookies({SESSION_COOKIE: session.token})
    http.headers[CSRF_HEADER] = csrf_token(server.app[SERVER_KEY], session.token)
    return http


async def test_role_matrix(server: RunningServer) -> None:
    mounted = mounted_api_routes(server.app)
    accounts = server.app[ACCOUNTS]
    problems: list[str] = []
    checked = 0
    for n, case in enumerate(MATRIX):
        if case.route not in mounted:
            continue
        for role in ROLES:
            victim = 0
            if "{user_id}" in case.path:
                victim_user = await accounts.create_user(
                    f"v-{n}-{role}", "kata-sandi-1", AccountRole.VIEWER
                )
                victim = victim_user.id
            path = case.path.format(user_id=victim, **MADE_UP_IDS)
            body = case.body
            if isinstance(body, dict):
                nonce = f"{n}-{role}"
                body = {
                    k: v.replace("{nonce}", nonce) if isinstance(v, str) else v
                    for k, v in body.items()
                }
            async with await _client(server, role) as http:
                async with http.request(case.method, path, json=body) as resp:
                    status = resp.status
                    data = await resp.json(content_type=None) if status >= 400 else None
            checked += 1
            label = f"{role:9} {case.method} {case.path}: {status}"
            if role in case.allowed:
                if status not in case.ok:
                    problems.append(f"{label} (allowed: expected {case.ok}) {data}")
            elif role == ANON:
                if status != 401 or (data or {}).get("error") != "unauthorised":
                    problems.append(f"{label} (expected 401 unauthorised) {data}")
            elif status != 403 or (data or {}).get("error") != "forbidden":
                problems.append(f"{label} (expected 403 forbidden) {data}")
    assert checked >= 14 * len(ROLES)
    assert not problems, "\n".join(problems)


async def test_every_api_route_is_in_the_matrix(server: RunningServer) -> None:
    known = {c.route for c in MATRIX} | NOT_IN_MATRIX
    missing = sorted(mounted_api_routes(server.app) - known)
    assert not missing, f"add these routes to tests/security/test_matrix.py: {missing}"
