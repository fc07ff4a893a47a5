"""The inventory REST API on a real server: lists, filters, CRUD, auth, errors, imports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from accounts import AccountRole
from edge.keys import ACCOUNTS
from tests.conftest import RunningServer
from tests.network_inventory.helpers import sragen_region_files
from web.inventory_api import IMPORT_MAX_BYTES


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[aiohttp.ClientSession]:
    session = await server.signed_in_session()
    async with session:
        yield session


async def _import_sragen(http: aiohttp.ClientSession) -> dict[str, object]:
    form = aiohttp.FormData()
    for name, data in sragen_region_files():
        form.add_field("files", data, filename=name, content_type="application/octet-stream")
    async with http.post("/api/import/regions", data=form) as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, object] = await resp.json()
        return body


async def test_list_pagination_filters_and_total(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/sites", params={"limit": "50", "offset": "200"}) as resp:
        body = await resp.json()
    assert body["total"] == 229 and body["limit"] == 50 and body["offset"] == 200
    assert len(body["items"]) == 29
    async with http.get("/api/sites", params={"kind": "kecamatan"}) as resp:
        assert (await resp.json())["total"] == 20
    report = await _import_sragen(http)
    assert report["matched"] == {"kecamatan": 20, "village": 208}
    async with http.get("/api/sites", params={"kind": "desa,kelurahan"}) as resp:
        assert (await resp.json())["total"] == 208
    async with http.get("/api/sites", params={"parent": "33.14.10", "kind": "kelurahan"}) as r:
        body = await r.json()
    assert body["total"] == 6 and all(s["parent_code"] == "33.14.10" for s in body["items"])
    async with http.get("/api/sites", params={"status": "planned", "limit": "1"}) as resp:
        body = await resp.json()
    assert body["total"] == 208 and body["items"][0]["uplink_status"] == "planned"
    async with http.get("/api/sites", params={"q": "banyurip"}) as resp:
        body = await resp.json()
    assert {s["code"] for s in body["items"]} == {"33.14.07.2006", "33.14.20.2007"}
    async with http.get("/api/sites/33.14.07.2006") as resp:
        site = await resp.json()
    assert site["kind"] == "desa" and site["boundary"]["type"] == "Polygon"
    async with http.get("/api/links", params={"parent": "33.14", "status": "active"}) as resp:
        assert (await resp.json())["total"] == 20


async def test_site_link_probe_crud_with_change_log(http: aiohttp.ClientSession) -> None:
    await _import_sragen(http)
    new = {"name": "Puskesmas Tangen", "kind": "other", "parent": "33.14.19", "tags": ["health"]}
    async with http.post("/api/sites", json=new) as resp:
        assert resp.status == 201, await resp.text()
        site = await resp.json()
    assert site["parent_code"] == "33.14.19" and site["tags"] == ["health"]
    link = {"site": site["id"], "parent": "33.14.19", "medium": "wireless", "status": "active"}
    async with http.post("/api/links", json=link) as resp:
        assert resp.status == 201, await resp.text()
        link_id = (await resp.json())["id"]
    probe = {"site": site["id"], "kind": "tcp", "host": "127.0.0.1", "port": 8080, "count": 3}
    async with http.post("/api/probes", json=probe) as resp:
        assert resp.status == 201, await resp.text()
        probe_id = (await resp.json())["id"]
    async with http.patch(f"/api/probes/{probe_id}", json={"enabled": False}) as resp:
        assert (await resp.json())["enabled"] is False
    async with http.patch(f"/api/links/{link_id}", json={"capacity_kbps": 2048}) as resp:
        assert (await resp.json())["capacity_kbps"] == 2048
    async with http.patch(f"/api/sites/{site['id']}", json={"contact": "0271 123"}) as resp:
        assert (await resp.json())["contact"] == "0271 123"
    async with http.get("/api/changes", params={"entity": "site", "entity_id": site["id"]}) as resp:
        changes = (await resp.json())["items"]
    assert [c["action"] for c in changes] == ["update", "create"]
    assert changes[0]["user"] == "admin"
    assert changes[0]["before"] == {"contact": None} and changes[0]["after"] == {
        "contact": "0271 123"
    }
    async with http.delete(f"/api/sites/{site['id']}") as resp:
        assert resp.status == 204
    async with http.get(f"/api/probes/{probe_id}") as resp:
        assert resp.status == 404  # its probe targets and links went with it
    async with http.delete("/api/sites/33.14.19") as resp:
        assert resp.status == 409 and (await resp.json())["error"] == "has_children"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/sites", {"name": "X", "kind": "castle"}, "kind"),
        ("POST", "/api/sites", {"name": "X", "kind": "other", "lat": "-7.4", "lon": 1}, "lat"),
        ("POST", "/api/sites", {"name": 5, "kind": "other"}, "name"),
        ("POST", "/api/sites", {"name": "X", "kind": "other", "colour": "red"}, "colour"),
        ("POST", "/api/sites", {"name": "X", "kind": "other", "parent": "99.99"}, "parent"),
        ("POST", "/api/probes", {"site": 1, "kind": "icmp", "host": "300.1.1.1"}, "host"),
        ("POST", "/api/probes", {"site": 1, "kind": "tcp", "host": "10.0.0.1"}, "port"),
        ("POST", "/api/probes", {"site": 1, "kind": "tcp", "host": "a", "port": 70000}, "port"),
        ("POST", "/api/probes", {"site": 1, "kind": "http", "url": "ftp://x"}, "url"),
        ("POST", "/api/links", {"site": 2, "parent": 1, "capacity_kbps": "fast"}, "capacity_kbps"),
        (
            "POST",
            "/api/links",
            {"site": 2, "parent": 1, "target_date": "31/12/2026"},
            "target_date",
        ),
        ("PATCH", "/api/sites/1", {"maintenance_until": "tomorrow"}, "maintenance_until"),
    ],
)
async def test_invalid_input_is_400_with_details(
    http: aiohttp.ClientSession, method: str, path: str, body: dict[str, object], field: str
) -> None:
    async with http.get("/api/changes") as resp:
        before = (await resp.json())["total"]
    async with http.request(method, path, json=body) as resp:
        assert resp.status == 400, await resp.text()
        error = await resp.json()
    assert error["error"] == "validation_failed" and error["message"]
    assert field in {d["field"] for d in error["details"]}
    async with http.get("/api/changes") as resp:
        assert (await resp.json())["total"] == before


async def test_wrong_types_and_unknown_records(http: aiohttp.ClientSession) -> None:
    for params in ({"limit": "abc"}, {"limit": "0"}, {"offset": "-1"}, {"kind": "castle"}):
        async with http.get("/api/sites", params=params) as resp:
            assert resp.status == 400, params
            assert (await resp.json())["error"] == "invalid"
    async with http.post(
        "/api/sites", data=b"[1, 2]", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400 and (await r.json())["error"] == "invalid_json"
    async with http.post(
        "/api/sites", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
    for path in ("/api/sites/99999", "/api/sites/33.14.99", "/api/links/99999", "/api/probes/1"):
        async with http.get(path) as resp:
            assert resp.status == 404, path
            assert (await resp.json())["error"].endswith("not_found")
    async with http.patch("/api/links/99999", json={"status": "active"}) as resp:
        assert resp.status == 404


async def test_reads_need_sign_in_and_mutations_need_an_editor(server: RunningServer) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get("/api/sites") as resp:
            assert resp.status == 401
        async with anonymous.post("/api/sites", json={"name": "X", "kind": "other"}) as resp:
            assert resp.status == 401
        async with anonymous.patch("/api/sites/1", json={"name": "X"}) as resp:
            assert resp.status == 401
    await server.app[ACCOUNTS].create_user("pemantau", "lihat-saja-2026!", AccountRole.VIEWER)
    viewer = await server.signed_in_session("pemantau", "lihat-saja-2026!")
    async with viewer:
        async with viewer.get("/api/sites", params={"limit": "1"}) as resp:
            assert resp.status == 200
        async with viewer.post("/api/sites", json={"name": "X", "kind": "other"}) as resp:
            assert resp.status == 403
        async with viewer.post("/api/import/links", data=b"site_code\n") as resp:
            assert resp.status == 403
    await server.app[ACCOUNTS].create_user("teknisi", "kabel-fiber-2026!", AccountRole.IT)
    it = await server.signed_in_session("teknisi", "kabel-fiber-2026!")
    async with it:
        async with it.patch("/api/sites/1", json={"notes": "ruang server lt. 2"}) as resp:
            assert resp.status == 200


async def test_csv_imports_all_or_nothing_and_export(http: aiohttp.ClientSession) -> None:
    await _import_sragen(http)
    good = (
        "site_code,kind,host,port,url,count\n"
        "33.14.01,icmp,10.14.1.1,,,5\n"
        "33.14.01.2001,tcp,10.14.1.11,22,,3\n"
        "33.14.10,http,,,http://sragen-kota.example:8080/health,2\n"
    )
    async with http.post(
        "/api/import/probes", data=good.encode(), headers={"Content-Type": "text/csv"}
    ) as r:
        assert r.status == 200, await r.text()
        assert await r.json() == {
            "dry_run": False, "rows": 3, "created": 3, "updated": 0, "unchanged": 0
        }  # fmt: skip
    bad = (
        "site_code,kind,host,port\n"
        "33.14.02,icmp,10.14.2.1,\n"
        "33.14.98,icmp,10.14.98.1,\n"
        "33.14.03,tcp,10.14.3.999,22\n"
        "33.14.04,tcp,10.14.4.1,0\n"
        "33.14.05,icmp\n"
    )
    async with http.post(
        "/api/import/probes", data=bad.encode(), headers={"Content-Type": "text/csv"}
    ) as r:
        assert r.status == 400
        error = await r.json()
    assert error["error"] == "invalid_rows"
    rows = {d["row"] for d in error["details"]}
    assert rows == {"probes.csv:6"}  # a malformed row stops the file before any row is checked
    bad = bad.replace("33.14.05,icmp\n", "")
    async with http.post("/api/import/probes?filename=p.csv", data=bad.encode()) as r:
        error = await r.json()
    assert {(d["row"], d.get("field")) for d in error["details"]} == {
        ("p.csv:3", "site_code"), ("p.csv:4", "host"), ("p.csv:5", "port")
    }  # fmt: skip
    async with http.get("/api/probes") as resp:
        assert (await resp.json())["total"] == 3  # nothing of the bad file was written
    async with http.get("/api/export/probes.csv") as resp:
        assert resp.content_type == "text/csv"
        exported = await resp.text()
    async with http.post("/api/import/probes", data=exported.encode()) as r:
        assert (await r.json())["unchanged"] == 3
    async with http.get("/api/export/links.csv") as resp:
        links_csv = await resp.text()
    assert links_csv.count("\n") == 229  # header + 228 uplinks
    edited = links_csv.replace(",33.14.01.2001,", ",33.14.01.2001,", 1)
    lines = edited.splitlines()
    header = lines[0].split(",")
    for i, line in enumerate(lines):
        if ",33.14.01.2001," in line:
            cells = line.split(",")
            cells[header.index("status")] = "active"
            cells[header.index("medium")] = "fiber"
            lines[i] = ",".join(cells)
    async with http.post("/api/import/links", data="\n".join(lines).encode()) as r:
        assert await r.json() == {
            "dry_run": False, "rows": 228, "created": 0, "updated": 1, "unchanged": 227
        }  # fmt: skip
    async with http.get("/api/export/sites.csv") as resp:
        sites_csv = await resp.text()
    assert sites_csv.splitlines()[0].startswith("id,code,parent_id,parent_code,name,kind")
    assert len(sites_csv.splitlines()) == 230


async def test_huge_uploads_get_413(http: aiohttp.ClientSession) -> None:
    huge = b"code,name\n" + b"33.14.01,x\n" * (IMPORT_MAX_BYTES // 11 + 10)
    async with http.post(
        "/api/import/regions", data=huge, headers={"Content-Type": "text/csv"}
    ) as r:
        assert r.status == 413 and (await r.json())["error"] == "too_large"
    form = aiohttp.FormData()
    form.add_field("file", huge, filename="links.csv", content_type="text/csv")
    async with http.post("/api/import/links", data=form) as resp:
        assert resp.status == 413
    async with http.get("/api/changes", params={"entity": "link"}) as resp:
        assert (await resp.json())["total"] == 0
