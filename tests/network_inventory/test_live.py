"""The live service end to end on a real server: sweeps of loopback targets, grouped alerts to a
real webhook receiver, socket.io pushes, the REST endpoints and /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from yarl import URL

from edge.keys import DATABASE, LIVE
from tests.conftest import RunningServer, free_port, make_settings, start_server
from tests.network_inventory.live_helpers import add_site, add_target, wait_for


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    settings = make_settings(tmp_path, probe_interval=1.0, probe_down_rounds=1, probe_up_rounds=1)
    runner, running = await start_server(settings)
    try:
        yield running
    finally:
        await runner.cleanup()


class Listener:
    """A TCP listener on loopback that can be closed ("cut") and reopened on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: asyncio.Server | None = None

    async def open(self) -> None:
        self.server = await asyncio.start_server(
            lambda r, w: w.close(), "127.0.0.1", self.port, reuse_address=True
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(status=204)


async def test_outage_of_a_kecamatan_end_to_end(live_server: RunningServer) -> None:
    app = live_server.app
    db, live = app[DATABASE], app[LIVE]
    office = await add_site(db, "T.0", "Kantor Uji", "other", None)
    kec = await add_site(db, "T.1", "Kecamatan Uji", "kecamatan", office)
    villages = [await add_site(db, f"T.1.{i}", f"Desa {i}", "desa", kec) for i in (1, 2)]
    planned = await add_site(db, "T.1.9", "Desa Rencana", "desa", kec, link="planned")
    await add_target(db, office, "icmp", "127.0.0.1")
    listeners = {site: Listener() for site in (kec, *villages)}
    for site, listener in listeners.items():
        await listener.open()
        await add_target(db, site, "tcp", "127.0.0.1", port=listener.port)
    await add_target(db, planned, "icmp", "127.0.0.9")  # never probed: no active uplink

    hook = Hook()
    hook_app = web.Application()
    hook_app.router.add_post("/alert", hook.handle)
    hook_runner = web.AppRunner(hook_app)
    await hook_runner.setup()
    hook_port = free_port()
    await web.TCPSite(hook_runner, "127.0.0.1", hook_port).start()

    session = await live_server.signed_in_session()
    sio = socketio.AsyncClient(reconnection=False)
    pushes: list[tuple[str, Any]] = []
    sio.on("site:state", lambda d: pushes.append(("site:state", d)), namespace="/inventory")
    sio.on("summary", lambda d: pushes.append(("summary", d)), namespace="/inventory")
    try:
        async with session.post(
            "/api/webhooks", json={"url": f"http://127.0.0.1:{hook_port}/alert"}
        ) as resp:
            assert resp.status == 201, await resp.text()
        cookies = session.cookie_jar.filter_cookies(URL(live_server.url))
        cookie = "; ".join(f"{k}={v.value}" for k, v in cookies.items())
        await sio.connect(
            live_server.url,
            namespaces=["/inventory"],
            transports=["websocket"],
            headers={"Cookie": cookie},
        )
        await wait_for(lambda: any(kind == "summary" for kind, _ in pushes))

        await live.sweep_once()
        states = {s["site_id"]: s for s in live.site_states()}
        assert [states[s]["state"] for s in (office, kec, *villages, planned)] == [
            "up", "up", "up", "up", "planned",
        ]  # fmt: skip
        assert states[kec]["method"] == "tcp"
        assert states[office]["method"] in ("icmp-raw", "icmp-dgram", "tcp-fallback")

        for listener in listeners.values():  # cut the kecamatan: nothing behind it answers
            await listener.close()
        await live.sweep_once()
        states = {s["site_id"]: s for s in live.site_states()}
        assert states[kec]["state"] == "down"
        assert [states[v]["state"] for v in villages] == ["unreachable", "unreachable"]

        await wait_for(lambda: len(hook.bodies) >= 1)
        await wait_for(
            lambda: {d["site_id"] for k, d in pushes if k == "site:state" and d["state"]
                     in ("down", "unreachable")} == {kec, *villages}
        )  # fmt: skip
        await asyncio.sleep(0.3)  # nothing else may arrive
        assert len(hook.bodies) == 1
        alert = hook.bodies[0]
        assert (alert["kind"], alert["site"]["code"]) == ("down", "T.1")
        assert sorted(a["code"] for a in alert["affected"]) == ["T.1.1", "T.1.2"]
        push = [d for k, d in pushes if k == "site:state" and d["site_id"] == kec][-1]
        assert (push["previous"], push["state"], push["code"]) == ("up", "down", "T.1")

        async with session.get("/api/events", params={"site": str(villages[0])}) as resp:
            events = await resp.json()
        assert events["total"] == 2  # unknown -> up, up -> unreachable
        assert events["items"][0]["state"] == "unreachable"
        assert events["items"][0]["alert_id"] == alert["alert_id"]

        async with session.get("/api/state", params={"state": "unreachable"}) as resp:
            body = await resp.json()
        assert {s["site_id"] for s in body["items"]} >= set(villages)
        assert body["counts"]["unreachable"] >= 2
        assert body["rollout"]["total_villages"] >= 3

        async with session.get("/metrics") as resp:
            text = await resp.text()
        assert resp.status == 200
        labels = f'code="T.1",kind="kecamatan",name="Kecamatan Uji",site_id="{kec}"'
        assert f'pendopo_site_state{{{labels},state="down"}} 1.0' in text
        assert f'pendopo_site_state{{{labels},state="up"}} 0.0' in text
        assert 'pendopo_probe_rounds_total{kind="tcp",result="failed"}' in text
        assert "pendopo_probe_sweep_duration_seconds" in text

        async with session.get(f"/api/sites/{kec}/history", params={"range": "24h"}) as resp:
            history = await resp.json()
        assert resp.status == 200
        assert sum(p["samples"] for p in history["points"]) == 2
        async with session.get(f"/api/sites/{kec}/history", params={"range": "1y"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "invalid_query"

        for listener in listeners.values():
            await listener.open()
        await live.sweep_once()
        await wait_for(lambda: len(hook.bodies) >= 2)
        recovery = hook.bodies[1]
        assert (recovery["kind"], recovery["site"]["code"]) == ("up", "T.1")
        assert recovery["affected_count"] == 2
    finally:
        await sio.disconnect()
        await session.close()
        await hook_runner.cleanup()
        for listener in listeners.values():
            await listener.close()


async def test_webhook_api_validates_and_needs_sign_in(live_server: RunningServer) -> None:
    async with aiohttp.ClientSession(base_url=live_server.url) as anonymous:
        async with anonymous.get("/api/webhooks") as resp:
            assert resp.status == 401
    session = await live_server.signed_in_session()
    try:
        async with session.post("/api/webhooks", json={"url": "ftp://x"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"] == "validation_failed"
        async with session.post(
            "/api/webhooks", json={"url": "http://127.0.0.1:9/h", "x": 1}
        ) as resp:
            assert resp.status == 400
        async with session.post(
            "/api/webhooks", json={"url": "http://127.0.0.1:9/h", "description": "chat"}
        ) as resp:
            hook = await resp.json()
        async with session.patch(f"/api/webhooks/{hook['id']}", json={"enabled": False}) as resp:
            assert (await resp.json())["enabled"] is False
        async with session.patch(f"/api/webhooks/{hook['id']}", json={"enabled": "no"}) as resp:
            assert resp.status == 400
        async with session.get("/api/webhooks") as resp:
            listing = await resp.json()
        assert listing["total"] == 1
        async with session.delete(f"/api/webhooks/{hook['id']}") as resp:
            assert resp.status == 204
        async with session.get(f"/api/webhooks/{hook['id']}") as resp:
            assert resp.status == 404
        async with session.get("/api/events", params={"limit": "0"}) as resp:
            assert resp.status == 400
        async with session.get("/api/state", params={"state": "sideways"}) as resp:
            assert resp.status == 400
        async with session.get("/api/sites/999999/history") as resp:
            assert resp.status == 404
    finally:
        await session.close()


async def test_inventory_namespace_refuses_anonymous_clients(live_server: RunningServer) -> None:
    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(live_server.url, namespaces=["/inventory"], transports=["websocket"])
    await sio.disconnect()
