"""A link's baseline over REST (``/api/links/{id}/thresholds``), and the state route's
defects: a code as ``parent``, counts fresh right after a CSV import."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from accounts import AccountRole
from edge.keys import ACCOUNTS, DATABASE, LIVE
from tests.conftest import RunningServer
from tests.network_inventory.live_helpers import wait_for


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    session = await server.signed_in_session()
    async with session:
        yield session


async def _kecamatan_link(http: aiohttp.ClientSession, code: str = "33.14.01") -> dict[str, object]:
    async with http.get("/api/links", params={"site": code}) as resp:
        body = await resp.json()
    link: dict[str, object] = body["items"][0]
    return link


async def test_a_vsat_link_has_its_own_baseline_and_an_override(
    server: RunningServer, http: aiohttp.ClientSession
) -> None:
    link = await _kecamatan_link(http)
    async with http.patch(f"/api/links/{link['id']}", json={"medium": "vsat"}) as resp:
        assert resp.status == 200, await resp.text()
    async with http.get(f"/api/links/{link['id']}/thresholds") as resp:
        body = await resp.json()
    assert resp.status == 200
    assert body["medium"] == "vsat"
    assert body["rtt_degraded_ms"] == 1500 and body["loss_degraded"] == 0.2
    assert body["override"] == {"loss_degraded": None, "rtt_degraded_ms": None}

    async with http.put(
        f"/api/links/{link['id']}/thresholds", json={"rtt_degraded_ms": 900, "loss_degraded": 0.3}
    ) as resp:
        body = await resp.json()
    assert resp.status == 200, body
    assert (body["rtt_degraded_ms"], body["loss_degraded"]) == (900, 0.3)
    assert body["default"]["rtt_degraded_ms"] == 1500

    # The site's state carries the baseline it is judged by (the chart draws it).
    live = server.app[LIVE]
    await wait_for(lambda: live.limits_of(int(str(link["site_id"]))).rtt_degraded_ms == 900)
    async with http.get("/api/state", params={"parent": "33.14"}) as resp:
        items = {s["code"]: s for s in (await resp.json())["items"]}
    assert items["33.14.01"]["baseline"] == {
        "loss_degraded": 0.3, "rtt_degraded_ms": 900, "medium": "vsat", "source": "link",
    }  # fmt: skip
    assert items["33.14.02"]["baseline"]["source"] == "medium"

    # The change log and the audit log both have it, from the same transaction.
    async with http.get(
        "/api/changes", params={"entity": "link", "entity_id": str(link["id"])}
    ) as resp:
        changes = (await resp.json())["items"]
    change = next(c for c in changes if c["action"] == "thresholds")
    assert change["after"] == {"loss_degraded": 0.3, "rtt_degraded_ms": 900}
    rows = await server.app[DATABASE].fetchall(
        "SELECT target, actor FROM audit_log WHERE action = 'inventory.link_thresholds'"
    )
    assert [tuple(r) for r in rows] == [(f"link {link['id']}", "admin")]

    # null goes back to the medium's default; the row is gone.
    async with http.put(
        f"/api/links/{link['id']}/thresholds", json={"rtt_degraded_ms": None}
    ) as resp:
        body = await resp.json()
    assert body["rtt_degraded_ms"] == 1500 and body["override"]["loss_degraded"] is None
    rows = await server.app[DATABASE].fetchall("SELECT * FROM link_thresholds")
    assert rows == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rtt_degraded_ms": -1}, "rtt_degraded_ms"),
        ({"rtt_degraded_ms": "slow"}, "rtt_degraded_ms"),
        ({"loss_degraded": 1.5}, "loss_degraded"),
        ({"loss_degraded": True}, "loss_degraded"),
        ({"jitter_ms": 5}, "jitter_ms"),
    ],
)
async def test_bad_thresholds_are_a_400_with_the_field(
    http: aiohttp.ClientSession, body: dict[str, object], field: str
) -> None:
    link = await _kecamatan_link(http)
    async with http.put(f"/api/links/{link['id']}/thresholds", json=body) as resp:
        answer = await resp.json()
    assert resp.status == 400, answer
    assert answer["error"] == "validation_failed"
    assert [d["field"] for d in answer["details"]] == [field]


async def test_thresholds_roles_and_unknown_link(server: RunningServer) -> None:
    await server.app[ACCOUNTS].create_user("pemantau", "lihat-saja-2026!", AccountRole.VIEWER)
    viewer = await server.signed_in_session("pemantau", "lihat-saja-2026!")
    async with viewer:
        link = await _kecamatan_link(viewer)
        async with viewer.get(f"/api/links/{link['id']}/thresholds") as resp:
            assert resp.status == 200
        async with viewer.put(
            f"/api/links/{link['id']}/thresholds", json={"rtt_degraded_ms": 100}
        ) as resp:
            assert resp.status == 403
        async with viewer.get("/api/links/99999/thresholds") as resp:
            assert resp.status == 404
            assert (await resp.json())["error"] == "link_not_found"
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get(f"/api/links/{link['id']}/thresholds") as resp:
            assert resp.status == 401


async def test_state_takes_a_code_as_parent_like_the_sites_api(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/state", params={"parent": "33.14.19"}) as resp:
        body = await resp.json()
    assert resp.status == 200, body
    async with http.get("/api/sites", params={"parent": "33.14.19", "limit": "1000"}) as resp:
        sites = await resp.json()
    assert {s["code"] for s in body["items"]} == {s["code"] for s in sites["items"]}
    assert body["total"] == sites["total"] > 0
    async with http.get("/api/state", params={"parent": "33.14.99"}) as resp:
        assert resp.status == 404 and (await resp.json())["error"] == "site_not_found"
    async with http.get("/api/state", params={"parent": "kecamatan"}) as resp:
        assert resp.status == 400
    async with http.get("/api/events", params={"site": "33.14.19"}) as resp:
        assert resp.status == 200


async def test_state_counts_follow_a_csv_import_at_once(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/state") as resp:
        before = await resp.json()
    assert before["counts"]["planned"] == 208
    async with http.get("/api/export/links.csv") as resp:
        lines = (await resp.text()).splitlines()
    header = lines[0].split(",")
    made_active = 0
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[header.index("site_code")].startswith("33.14.01.") and made_active < 5:
            cells[header.index("status")] = "active"
            lines[i] = ",".join(cells)
            made_active += 1
    async with http.post("/api/import/links", data="\n".join(lines).encode()) as resp:
        assert (await resp.json())["updated"] == 5
    # No sweep runs here (probing is off): the counts follow the import all the same.
    async with http.get("/api/state") as resp:
        after = await resp.json()
    assert after["rollout"]["active_villages"] == 5
    assert after["counts"]["planned"] == 203, json.dumps(after["counts"])
    assert after["counts"]["unknown"] == before["counts"]["unknown"] + 5
