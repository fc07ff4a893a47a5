"""The admin API end to end: users, sign out everywhere, and the audit trail it leaves."""

from __future__ import annotations

import csv
import io

from tests.conftest import ADMIN_USER, RunningServer
from tests.security.helpers import anonymous


async def test_user_lifecycle_and_audit_trail(server: RunningServer) -> None:
    admin = await server.signed_in_session()
    try:
        async with admin.post(
            "/api/admin/users",
            json={"username": "camat-sine", "role": "site", "site_code": "33.14.12"},
        ) as resp:
            assert resp.status == 201
            created = await resp.json()
        user_id, first_password = created["user"]["id"], created["generated_password"]
        async with admin.post(
            "/api/admin/users", json={"username": "Camat-Sine", "role": "host"}
        ) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "username_taken"
        async with admin.post("/api/admin/users", json={"username": "x", "role": "site"}) as resp:
            assert (await resp.json())["error"] == "invalid_site_code"

        site = await server.signed_in_session("camat-sine", first_password)
        site2 = await server.signed_in_session("camat-sine", first_password)
        async with admin.post(f"/api/admin/users/{user_id}/sign-out", json={}) as resp:
            assert (await resp.json()) == {"ok": True, "ended": 2}
        for http in (site, site2):
            async with http.get("/api/me") as resp:
                assert (await resp.json())["user"] is None
            await http.close()

        async with admin.post(f"/api/admin/users/{user_id}/password", json={}) as resp:
            new_password = (await resp.json())["generated_password"]
        assert new_password != first_password
        async with admin.post(f"/api/admin/users/{user_id}/disable", json={}) as resp:
            assert resp.status == 200
        async with anonymous(server) as http:
            async with http.post(
                "/api/session", json={"username": "camat-sine", "password": new_password}
            ) as resp:
                assert resp.status == 401
                assert "disabled" in (await resp.json())["message"]
        async with admin.post(f"/api/admin/users/{user_id}/enable", json={}) as resp:
            assert resp.status == 200
        again = await server.signed_in_session("camat-sine", new_password)
        await again.close()
        async with admin.post("/api/admin/users/1/disable", json={}) as resp:
            assert resp.status == 409
        async with admin.post("/api/admin/users/999/disable", json={}) as resp:
            assert resp.status == 404

        async with admin.get("/api/admin/users") as resp:
            users = {u["username"]: u for u in (await resp.json())["items"]}
        assert users["camat-sine"]["site_code"] == "33.14.12"
        assert users["camat-sine"]["disabled"] is False

        async with admin.get("/api/admin/audit", params={"action": "user."}) as resp:
            page = await resp.json()
        actions = [e["action"] for e in page["items"]][::-1]
        assert actions == [
            "user.create",
            "user.sign_out_everywhere",
            "user.password_reset",
            "user.disable",
            "user.enable",
        ]
        assert all(e["actor"] == ADMIN_USER and e["address"] == "127.0.0.1" for e in page["items"])
        async with admin.get("/api/admin/audit", params={"action": "auth."}) as resp:
            auth = [(e["action"], e["actor"]) for e in (await resp.json())["items"]]
        assert ("auth.sign_in_failed", "camat-sine") in auth
        assert ("auth.sign_in", "camat-sine") in auth
        async with admin.get("/api/admin/audit.csv") as resp:
            assert resp.content_type == "text/csv"
            assert "attachment" in resp.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO(await resp.text())))
        assert {"user.create", "auth.sign_in_failed"} <= {r["action"] for r in rows}
        text = str(rows) + str(page)
        assert first_password not in text and new_password not in text
    finally:
        await admin.close()
