"""A change of the inventory, its change-log entry and its audit record commit together.

Outside testing killed the server (``kill -9``) during a burst of edits and found committed site
creations with a change-log entry and no audit record: the audit record had its own transaction
after the change's. Now it is written inside the change's transaction (``then=`` of
``network_inventory.service``), so a failure between the two — or a crash — keeps neither;
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from edge.keys import DATABASE
from tests.conftest import RunningServer, make_settings, start_server
from tests.scaling.nodes import signed_in, start_node

FAIL_AUDIT = (
    "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.action LIKE 'inventory.%'"
    " OR NEW.action LIKE 'user.%' OR NEW.action LIKE 'invite.%'"
    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
)


@pytest.fixture
async def server(tmp_path: Path, database_url: str | None) -> AsyncIterator[RunningServer]:
    """The server on SQLite, then on PostgreSQL (the trigger below is translated for it)."""
    runner, running = await start_server(make_settings(tmp_path, database_url=database_url))
    try:
        yield running
    finally:
        await runner.cleanup()


async def _count(server: RunningServer, sql: str, *params: object) -> int:
    row = await server.app[DATABASE].fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def _snapshot(server: RunningServer) -> tuple[int, int, int, int, int]:
    return (
        await _count(server, "SELECT count(*) FROM sites"),
        await _count(server, "SELECT count(*) FROM links"),
        await _count(server, "SELECT count(*) FROM probe_targets"),
        await _count(server, "SELECT count(*) FROM change_log"),
        await _count(server, "SELECT count(*) FROM audit_log WHERE action LIKE 'inventory.%'"),
    )


async def test_a_failing_audit_record_undoes_the_change(server: RunningServer) -> None:
    http = await server.signed_in_session()
    try:
        async with http.post("/api/sites", json={"name": "Pos Uji", "kind": "other"}) as resp:
            assert resp.status == 201
            site = await resp.json()
        async with http.post("/api/sites", json={"name": "Kantor Uji", "kind": "other"}) as resp:
            parent = await resp.json()
        link = {"site": site["id"], "parent": parent["id"], "medium": "fiber"}
        async with http.post("/api/links", json=link) as resp:
            assert resp.status == 201, await resp.text()
            link_id = (await resp.json())["id"]
        probe = {"site": site["id"], "kind": "icmp", "host": "127.0.0.1"}
        async with http.post("/api/probes", json=probe) as resp:
            assert resp.status == 201, await resp.text()
            probe_id = (await resp.json())["id"]
        webhook = {"url": "http://127.0.0.1:9/hook"}
        async with http.post("/api/webhooks", json=webhook) as resp:
            assert resp.status == 201, await resp.text()
            hook_id = (await resp.json())["id"]

        await server.app[DATABASE].execute_write(FAIL_AUDIT)
        before = await _snapshot(server)
        hooks_before = await _count(server, "SELECT count(*) FROM inventory_webhooks")
        csv = f"site_id,parent_site_id,medium\r\n{site['id']},{parent['id']},vsat\r\n"
        attempts = [
            ("POST", "/api/sites", {"name": "Pos Baru", "kind": "other"}),
            ("PATCH", f"/api/sites/{site['id']}", {"name": "Pos Ganti"}),
            ("DELETE", f"/api/links/{link_id}", None),
            ("PATCH", f"/api/probes/{probe_id}", {"enabled": False}),
            ("DELETE", f"/api/sites/{site['id']}", None),
            ("POST", "/api/webhooks", webhook),
            ("DELETE", f"/api/webhooks/{hook_id}", None),
        ]
        for method, path, body in attempts:
            async with http.request(method, path, json=body) as resp:
                assert resp.status == 500, (method, path, resp.status, await resp.text())
        async with http.post(
            "/api/import/links", data=csv, headers={"Content-Type": "text/csv"}
        ) as resp:
            assert resp.status == 500, await resp.text()
        # Nothing of any of them was kept: not the change, not its change-log entry.
        assert await _snapshot(server) == before
        assert await _count(server, "SELECT count(*) FROM inventory_webhooks") == hooks_before
        async with http.get(f"/api/sites/{site['id']}") as resp:
            assert (await resp.json())["name"] == "Pos Uji"
        # A dry run writes nothing, so it needs no audit record and still works.
        async with http.post(
            "/api/import/links?dry_run=1", data=csv, headers={"Content-Type": "text/csv"}
        ) as resp:
            assert resp.status == 200, await resp.text()
    finally:
        await http.close()


async def test_user_and_invite_changes_fail_with_their_audit_record(
    server: RunningServer,
) -> None:
    http = await server.signed_in_session()
    try:
        body = {"username": "pemantau", "role": "viewer", "password": "kata-sandi-lama-1"}
        async with http.post("/api/admin/users", json=body) as resp:
            user = (await resp.json())["user"]
        async with http.post("/api/rooms", json={"title": "Rapat"}) as resp:
            room = (await resp.json())["room"]["id"]
        async with http.post(f"/api/rooms/{room}/invites", json={}) as resp:
            invite = (await resp.json())["invite"]["id"]
        await server.app[DATABASE].execute_write(FAIL_AUDIT)
        users = await _count(server, "SELECT count(*) FROM users")
        attempts = [
            ("POST", "/api/admin/users", {"username": "baru", "role": "viewer"}),
            ("POST", f"/api/admin/users/{user['id']}/password", {"password": "kata-sandi-baru-1"}),
            ("POST", f"/api/admin/users/{user['id']}/disable", {}),
            ("POST", f"/api/rooms/{room}/invites", {}),
            ("DELETE", f"/api/rooms/{room}/invites/{invite}", None),
            ("PUT", f"/api/rooms/{room}/invite-policy", {"required": True}),
        ]
        for method, path, payload in attempts:
            async with http.request(method, path, json=payload) as resp:
                assert resp.status == 500, (method, path, resp.status, await resp.text())
        assert await _count(server, "SELECT count(*) FROM users") == users
        assert await _count(server, "SELECT count(*) FROM users WHERE disabled = 1") == 0
        assert await _count(server, "SELECT count(*) FROM invites") == 1
        assert await _count(server, "SELECT count(*) FROM invites WHERE revoked_at IS NULL") == 1
        assert await _count(server, "SELECT count(*) FROM invite_policies WHERE required = 1") == 0
    finally:
        await http.close()
    # The old password still works: the reset was undone with its record.
    again = await server.signed_in_session("pemantau", "kata-sandi-lama-1")
    await again.close()


@pytest.mark.timeout(120)
async def test_kill_9_during_a_burst_of_edits_keeps_no_change_without_its_audit_record(
    tmp_path: Path,
) -> None:
    node = start_node("burst", tmp_path / "data", None, tmp_path)
    try:
        await node.wait_ready()
        http = await signed_in(node.url)
        killed = asyncio.Event()

        async def create(i: int) -> None:
            while not killed.is_set():
                try:
                    body = {"name": f"Pos Burst {i}", "kind": "other"}
                    async with http.post("/api/sites", json=body) as resp:
                        await resp.read()
                    i += 1000
                except (TimeoutError, aiohttp.ClientError):
                    return

        async def kill_mid_burst() -> None:
            db = tmp_path / "data" / "pendopo.sqlite3"
            while True:
                await asyncio.sleep(0.05)
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    made = conn.execute(
                        "SELECT count(*) FROM change_log"
                        " WHERE entity = 'site' AND action = 'create'"
                    ).fetchone()[0]
                if made >= 60:
                    break
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait()
            killed.set()

        try:
            await asyncio.gather(kill_mid_burst(), *(create(i) for i in range(16)))
        finally:
            await http.close()
    finally:
        node.stop()

    conn = sqlite3.connect(tmp_path / "data" / "pendopo.sqlite3")
    try:
        created = conn.execute(
            "SELECT c.entity_id, s.name FROM change_log c JOIN sites s ON s.id = c.entity_id"
            " WHERE c.entity = 'site' AND c.action = 'create'"
        ).fetchall()
        audited = [
            row[0]
            for row in conn.execute(
                "SELECT target FROM audit_log WHERE action = 'inventory.site_create'"
            )
        ]
        sites = conn.execute("SELECT count(*) FROM sites WHERE name LIKE 'Pos Burst %'").fetchone()
    finally:
        conn.close()
    assert len(created) >= 60
    assert sites[0] == len(created)
    missing = [
        name
        for _, name in created
        if not any(t.endswith(f" {name}") or f" {name} (" in t for t in audited)
    ]
    assert not missing, f"{len(missing)} of {len(created)} sites have no audit record: {missing}"
    assert len(audited) == len(created)


async def test_audit_targets_name_sites_with_and_without_a_code(server: RunningServer) -> None:
    http = await server.signed_in_session()
    try:
        async with http.post("/api/sites", json={"name": "Pos Ronda", "kind": "other"}) as resp:
            plain = await resp.json()
        body = {"name": "Desa Uji", "kind": "desa", "code": "33.14.99.2001"}
        async with http.post("/api/sites", json=body) as resp:
            coded = await resp.json()
            assert resp.status == 201, coded
        async with http.get("/api/admin/audit?action=inventory.site_create") as resp:
            targets = [e["target"] for e in (await resp.json())["items"]]
    finally:
        await http.close()
    assert f"site Pos Ronda (id {plain['id']})" in targets
    assert f"site Desa Uji (33.14.99.2001, id {coded['id']})" in targets
    assert not any("None" in t for t in targets), targets
