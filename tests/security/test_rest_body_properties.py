"""Property-based tests (hypothesis) over the JSON body of every state-changing REST route in
the OpenAPI document (sign-in and the admin API have their own, in
test_properties.py).

Properties: never a 5xx; a refusal is a JSON error with a code; a refused request changes no
table (every row of every table is compared, the audit log and sign-in sessions aside).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pendopo.app import create_app
from pendopo.config import Settings
from tests.security.test_properties import (
    PROPS,
    Live,
    _assert_refusal,
    bodies,
    json_values,
    live,
)
from web import openapi

__all__ = ["live"]  # the module-scoped server fixture, shared with test_properties.py

# Covered with their own properties (test_properties.py) or not JSON: skip here.
SKIP_PREFIXES = ("/api/session", "/api/sessions", "/api/me/", "/api/admin/", "/api/import/")
VOLATILE_TABLES = ("audit", "auth_sessions", "login")


def _json_mutations() -> list[tuple[str, str, tuple[str, ...]]]:
    doc = openapi.document(create_app(Settings()))
    routes = []
    for path, ops in doc["paths"].items():
        if path.startswith(SKIP_PREFIXES):
            continue
        for method, op in ops.items():
            if method not in ("post", "put", "patch"):
                continue
            content = op.get("requestBody", {}).get("content", {"application/json": {}})
            if "application/json" in content:
                schema = content["application/json"].get("schema", {})
                if "$ref" in schema:
                    schema = openapi.SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
                keys = tuple(schema.get("properties", {}))
                routes.append((method.upper(), path, keys))
    return sorted(routes)


ROUTES = _json_mutations()


def _snapshot(live: Live) -> dict[str, str]:
    """A digest of every table's rows, by table."""
    conn = sqlite3.connect(f"file:{live.db_path}?mode=ro", uri=True)
    digests = {}
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
            if not any(v in r[0] for v in VOLATILE_TABLES)
        ]
        for table in tables:
            rows = sorted(repr(tuple(r)) for r in conn.execute(f'SELECT * FROM "{table}"'))
            digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        conn.close()
    return digests


def _settled_snapshot(live: Live) -> dict[str, str]:
    """The snapshot once the server has judged the inventory changes of earlier examples: an
    accepted edit re-judges the site states in the background and writes
    ``inventory_site_state`` a moment later, which is not the refused request's doing.
    ``GET /api/state`` answers only after that judging is done."""
    status, _ = live.request("GET", "/api/state?limit=1")
    assert status == 200
    return _snapshot(live)


def _room(live: Live) -> str:
    status, data = live.request("POST", "/api/rooms", json.dumps({"title": "Uji"}).encode())
    assert status == 201, data
    return str(data["room"]["id"])


def test_the_routes_are_found() -> None:
    paths = {p for _m, p, _k in ROUTES}
    assert {"/api/sites", "/api/links", "/api/probes", "/api/rooms", "/api/webhooks"} <= paths


@settings(parent=PROPS, max_examples=25 * len(ROUTES))  # ~25 bodies a route
@given(
    route=st.sampled_from(ROUTES),
    known=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    data=st.data(),
)
def test_mutation_bodies_never_fail_badly_and_refusals_change_nothing(
    live: Live, route: tuple[str, str, tuple[str, ...]], known: dict[str, Any], data: st.DataObject
) -> None:
    method, path, keys = route
    if keys:  # a body shaped like the real one, with wrong or odd values
        shaped = data.draw(st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)))
        body = json.dumps({**known, **shaped}).encode()
    else:
        body = data.draw(bodies)
    room = _room(live) if "{room_id}" in path else "-"
    concrete = (
        path.replace("{room_id}", room)
        .replace("{ref}", "1")
        .replace("{id}", "1")
        .replace("{invite_id}", "1")
    )
    before = _settled_snapshot(live)
    status, answer = live.request(method, concrete, body)
    _assert_refusal(status, answer)
    if status >= 400:
        after = _snapshot(live)
        changed = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        assert not changed, (method, concrete, body, status, answer, changed)
