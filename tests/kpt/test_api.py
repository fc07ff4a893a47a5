"""The catalogue's REST routes and the public board route on a real server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from accounts import AccountRole
from edge.keys import ACCOUNTS, AUDIT, DATABASE, LIVE
from network_inventory.history import SiteStatus
from network_inventory.model import iso
from network_inventory.state import State, Track
from tests.conftest import RunningServer


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    session = await server.signed_in_session()
    async with session:
        yield session


async def _as(server: RunningServer, role: AccountRole) -> aiohttp.ClientSession:
    name = f"kpt-{role.value}"
    site = "33.14.01" if role is AccountRole.SITE else None
    await server.app[ACCOUNTS].create_user(name, "kata-sandi-123", role, site_code=site)
    return await server.signed_in_session(name, "kata-sandi-123")


async def _json(resp: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def test_editors_change_staff_read_others_are_refused(server: RunningServer) -> None:
    body = {"name": "Layanan Uji", "kind": "perizinan", "duration": "2 hari"}
    async with await _as(server, AccountRole.IT) as it:
        async with it.post("/api/services", json=body) as r:
            made = await _json(r, 201)
        async with it.patch(f"/api/services/{made['id']}", json={"delegated": True}) as r:
            assert (await _json(r))["delegated"] is True
    for role in (AccountRole.VIEWER, AccountRole.HOST):
        async with await _as(server, role) as staff:
            async with staff.get("/api/services") as r:
                assert {s["name"] for s in (await _json(r))["items"]} == {"KTP", "Layanan Uji"}
            async with staff.post("/api/services", json={**body, "name": "X"}) as r:
                assert (await _json(r, 403))["error"] == "forbidden"
            async with staff.delete(f"/api/services/{made['id']}") as r:
                assert r.status == 403
    async with await _as(server, AccountRole.SITE) as site:
        async with site.get("/api/services") as r:
            assert r.status == 403
    async with aiohttp.ClientSession(base_url=server.url) as anon:
        async with anon.get("/api/services") as r:
            assert (await _json(r, 401))["error"] == "unauthorised"
        async with anon.get("/api/public/services") as r:
            assert r.status == 200
    entries, _total = await server.app[AUDIT].entries(action="service.")
    assert {e.action for e in entries} == {"service.create", "service.update"}


async def test_bad_input_is_a_400_with_details_never_a_5xx(
    http: aiohttp.ClientSession,
) -> None:
    cases: list[tuple[Any, int, str]] = [
        ({"name": "", "kind": "perizinan"}, 400, "validation_failed"),
        ({"name": "Uji", "kind": "izin"}, 400, "validation_failed"),
        ({"name": "Uji", "kind": "perizinan", "delegated": 1}, 400, "validation_failed"),
        ({"name": "Uji", "kind": "perizinan", "kecamatan": "33.14.01"}, 400, "validation_failed"),
        ({"name": "Uji", "kind": "perizinan", "delegated": True, "kecamatan": [None]}, 400,
         "validation_failed"),
        ({"name": "Uji", "kind": "perizinan", "delegated": True, "kecamatan": ["33.14.99"]}, 400,
         "validation_failed"),
        ({"name": "x" * 121, "kind": "perizinan"}, 400, "validation_failed"),
        ({"name": "ktp", "kind": "perizinan"}, 409, "duplicate_name"),
        ([1, 2], 400, "invalid_json"),
    ]  # fmt: skip
    for body, status, code in cases:
        async with http.post("/api/services", json=body) as r:
            data = await _json(r, status)
        assert data["error"] == code, (body, data)
        if code == "validation_failed":
            assert data["details"] and all("field" in d for d in data["details"])
    async with http.post(
        "/api/services", data=b"{", headers={"Content-Type": "application/json"}
    ) as r:
        assert (await _json(r, 400))["error"] == "invalid_json"
    async with http.patch("/api/services/987654", json={"notes": "x"}) as r:
        assert (await _json(r, 404))["error"] == "service_not_found"
    async with http.post("/api/import/services", data=b"") as r:
        assert (await _json(r, 400))["error"] == "no_files"
    async with http.post(
        "/api/import/services",
        data=b"name,colour\r\nA,red\r\n",
        headers={"Content-Type": "text/csv"},
    ) as r:
        assert (await _json(r, 400))["error"] == "invalid_header"
    async with http.get("/api/services") as r:
        assert [s["name"] for s in (await _json(r))["items"]] == ["KTP"]


async def test_csv_round_trip_over_rest(http: aiohttp.ClientSession) -> None:
    async with http.post(
        "/api/services",
        json={"name": "Layanan Dua", "kind": "perizinan", "delegated": True,
              "kecamatan": ["33.14.05", "33.14.02"], "duration": "1 hari"},
    ) as r:  # fmt: skip
        await _json(r, 201)
    async with http.get("/api/export/services.csv") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        text = await r.text()
    assert "33.14.02;33.14.05" in text
    edited = text.replace("1 hari", "2 hari")
    headers = {"Content-Type": "text/csv"}
    async with http.post("/api/import/services?dry_run=1", data=edited, headers=headers) as r:
        assert await _json(r) == {"dry_run": True, "rows": 2, "created": 0, "updated": 1,
                                  "unchanged": 1}  # fmt: skip
    async with http.post("/api/import/services", data=edited, headers=headers) as r:
        assert (await _json(r))["updated"] == 1
    async with http.get("/api/export/services.csv") as r:
        assert await r.text() == edited
    form = aiohttp.FormData()
    form.add_field("file", edited.encode(), filename="layanan.csv", content_type="text/csv")
    async with http.post("/api/import/services", data=form) as r:
        assert (await _json(r))["unchanged"] == 2
    async with http.get("/api/changes", params={"entity": "service"}) as r:
        actions = [c["action"] for c in (await _json(r))["items"]]
    assert actions == ["update", "create", "seed"]


FORBIDDEN_KEYS = {
    *("id", "site_id", "code", "parent_id", "host", "port", "url", "address", "targets"),
    *("rtt_ms", "loss", "method", "notes", "lat", "lon", "contact"),
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_public_board_needs_no_sign_in_and_shows_nothing_internal(
    server: RunningServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        "/api/probes", json={"site": "33.14.06", "kind": "tcp", "host": "192.0.2.7", "port": 443}
    ) as r:
        await _json(r, 201)
    async with http.patch("/api/sites/33.14.06", json={"address": "Jl. Rahasia 1"}) as r:
        await _json(r)
    db = server.app[DATABASE]
    site = await db.fetchone("SELECT id, name FROM sites WHERE code = ?", ("33.14.06",))
    assert site is not None
    live = server.app[LIVE]
    await live.caught_up(wait_s=30)  # the edits' re-judging would overwrite the states set here
    live.status = {
        site["id"]: SiteStatus(
            Track(site["id"], State.DOWN, State.DOWN, since=1_764_730_000.0),
            rtt_ms=None, loss=1.0, method="tcp",
            targets=({"host": "192.0.2.7", "port": 443},),
        )
    }  # fmt: skip
    async with aiohttp.ClientSession(base_url=server.url) as anon:
        async with anon.get("/api/public/services") as r:
            assert r.headers["Cache-Control"] == "no-store"
            text = await r.text()
            board = json.loads(text)
        async with anon.get("/layanan") as r:
            assert r.status == 200 and "layanan.js" in await r.text()
        async with anon.get("/layanan/kelola", allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"].startswith("/login?next=")
    assert not _keys(board) & FORBIDDEN_KEYS, _keys(board) & FORBIDDEN_KEYS
    for secret in ("192.0.2.7", "Rahasia", "33.14"):
        assert secret not in text
    office = next(k for k in board["kecamatan"] if k["name"] == site["name"])
    assert office == {
        "name": site["name"],
        "status": "interrupted",
        "since": iso(1_764_730_000.0),
        "availability_last_month": None,
        "services": ["KTP"],
    }
    assert board["services"][0]["available_at"] == 0  # the others: not measured yet


async def test_odd_ids_and_references_are_4xx(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/services/" + "9" * 30) as r:  # refused before the handler
        assert (await _json(r, 404))["error"] == "not_found"  # (web/path_ids.py)
    body = {"name": "Uji", "kind": "perizinan", "delegated": True,
            "kecamatan": [2**70, "9" * 30, "²", {"a": 1}, True]}  # fmt: skip
    async with http.post("/api/services", json=body) as r:
        assert len((await _json(r, 400))["details"]) == 3  # not a code: the int, dict, bool
    body["kecamatan"] = ["9" * 30, "²"]
    async with http.post("/api/services", json=body) as r:
        details = (await _json(r, 400))["details"]
    assert [d["message"] for d in details] == ["no kecamatan " + "9" * 30, "no kecamatan ²"]
    csv = "id,name,kind\r\n" + "9" * 30 + ",Uji,perizinan\r\n"
    async with http.post(
        "/api/import/services", data=csv, headers={"Content-Type": "text/csv"}
    ) as r:
        assert (await _json(r, 400))["details"][0]["field"] == "id"
