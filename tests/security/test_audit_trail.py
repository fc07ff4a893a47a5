"""Host actions over socket.io and inventory edits over REST reach the admin's audit view with
who did them, when and from where."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from tests.conftest import ADMIN_USER, RunningServer
from tests.signaling.meeting import Person, admit, create_room, join_host, join_lobby


async def audit_view(http: aiohttp.ClientSession, prefix: str) -> list[dict[str, Any]]:
    async with http.get("/api/admin/audit", params={"action": prefix, "limit": "200"}) as resp:
        assert resp.status == 200, await resp.text()
        return list((await resp.json())["items"])


async def test_host_actions_are_in_the_audit_log(
    server: RunningServer, people: list[Person]
) -> None:
    started = time.time()
    room = await create_room(server)
    host = await join_host(server, room)
    people.append(host)
    lurah = await join_lobby(server, room, "Lurah Gondang")
    people.append(lurah)
    await admit(host, lurah, media=False)
    denied = await join_lobby(server, room, "Tamu Asing")
    people.append(denied)
    await host.client.wait_until(lambda: len(host.client.lobby()) == 1)
    await host.client.deny(denied.id)
    await host.client.mute(lurah.id, hard=True)
    await host.client.allow_unmute(lurah.id)
    await host.client.mute_all()
    await host.client.lock(True)
    await host.client.remove(lurah.id)
    await host.client.end()

    async with await server.signed_in_session() as admin:
        entries = await audit_view(admin, "host.")
    by_action = {e["action"]: e for e in entries}
    expected = {
        "host.admit": "Lurah Gondang",
        "host.deny": "Tamu Asing",
        "host.mute": "Lurah Gondang",
        "host.unmute_allow": "Lurah Gondang",
        "host.mute_all": None,
        "host.lock": None,
        "host.remove": "Lurah Gondang",
        "host.end": None,
    }
    assert set(expected) <= set(by_action), sorted(by_action)
    for action, name in expected.items():
        entry = by_action[action]
        assert entry["actor"] == ADMIN_USER and entry["role"] == "admin", entry
        assert entry["address"] == "127.0.0.1", entry  # the socket's peer
        assert started - 1 <= entry["at"] <= time.time() + 1
        assert entry["target"].startswith(f"room {room}"), entry
        if name is not None:
            assert name in entry["target"], entry
    assert by_action["host.mute"]["detail"] == {"hard": True}
    assert by_action["host.lock"]["detail"] == {"locked": True}


async def test_inventory_edits_are_in_the_audit_log(server: RunningServer) -> None:
    async with await server.signed_in_session() as it:
        async with it.post("/api/sites", json=_SITE) as resp:
            assert resp.status == 201, await resp.text()
            site = await resp.json()
        async with it.patch(f"/api/sites/{site['id']}", json={"notes": "lantai 2"}) as resp:
            assert resp.status == 200, await resp.text()
        probe = {"site": site["id"], "kind": "tcp", "host": "127.0.0.1", "port": 9, "count": 1}
        async with it.post("/api/probes", json=probe) as resp:
            assert resp.status == 201, await resp.text()
            probe_id = (await resp.json())["id"]
        async with it.patch(f"/api/probes/{probe_id}", json={"enabled": False}) as resp:
            assert resp.status == 200
        async with it.delete(f"/api/probes/{probe_id}") as resp:
            assert resp.status == 204
        csv_rows = f"site_code,kind,host,port\n{site['code']},tcp,127.0.0.1,22\n"
        async with it.post(
            "/api/import/probes?dry_run=true", data=csv_rows.encode(), headers=_CSV
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with it.post("/api/import/probes", data=csv_rows.encode(), headers=_CSV) as resp:
            assert resp.status == 200, await resp.text()
        async with it.delete(f"/api/sites/{site['id']}") as resp:
            assert resp.status == 204, await resp.text()

        entries = await audit_view(it, "inventory.")
    actions = [e["action"] for e in entries]
    for action in (
        "inventory.site_create",
        "inventory.site_update",
        "inventory.probe_create",
        "inventory.probe_update",
        "inventory.probe_delete",
        "inventory.probes_import",
        "inventory.site_delete",
    ):
        assert action in actions, (action, actions)
    assert actions.count("inventory.probes_import") == 1  # the dry run changed nothing
    for entry in entries:
        assert entry["actor"] == ADMIN_USER and entry["address"] == "127.0.0.1", entry
    created = next(e for e in entries if e["action"] == "inventory.site_create")
    assert "Kantor Uji" in created["target"]
    imported = next(e for e in entries if e["action"] == "inventory.probes_import")
    assert imported["detail"]["created"] == 1


_CSV = {"Content-Type": "text/csv"}
_SITE = {"name": "Kantor Uji", "kind": "other", "code": "33.14.99"}
