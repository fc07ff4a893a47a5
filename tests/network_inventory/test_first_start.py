"""First start: the seed and, in the same transaction, the region data shipped in the repo, so a
fresh installation has Kemendagri codes, kinds, coordinates and boundaries with no import step."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from network_inventory import Inventory, ValidationError
from network_inventory.regions import bundled_dir
from pendopo.app import create_app
from tests.conftest import SRAGEN_DATA, RunningServer, make_settings


async def test_a_fresh_server_has_every_code_kind_and_the_weak_site_record(
    server: RunningServer,
) -> None:
    http = await server.signed_in_session()
    async with http:
        # the join page's picker: 20 kecamatan, each with its villages, all with codes
        async with http.get("/api/sites/picker") as resp:
            kecamatan = (await resp.json())["items"]
        assert len(kecamatan) == 20 and all(k["code"].startswith("33.14.") for k in kecamatan)
        kinds: Counter[str] = Counter()
        for kec in kecamatan:
            async with http.get("/api/sites/picker", params={"parent": kec["code"]}) as resp:
                villages = (await resp.json())["items"]
            assert villages, kec
            assert all(v["code"].startswith(kec["code"] + ".") for v in villages)
            kinds.update(v["kind"] for v in villages)
        assert kinds == {"desa": 196, "kelurahan": 12}
        # the weak-site policy's record (IT staff mark its uplink VSAT here)
        async with http.get("/api/sites/33.14.01") as resp:
            assert resp.status == 200
            site = await resp.json()
        assert site["name"] == "Kalijambe" and site["lat"] is not None
        # the map: 20 kecamatan boundaries
        params = {"kind": "kecamatan", "boundary": "true", "limit": "50"}
        async with http.get("/api/sites", params=params) as resp:
            items = (await resp.json())["items"]
        assert sum(1 for s in items if s["boundary"]) == 20


async def test_first_start_is_one_transaction_and_runs_once(inventory: Inventory) -> None:
    done = await inventory.first_start("Sragen")
    assert done is not None and done.source == SRAGEN_DATA.resolve()
    assert done.imported is not None and done.imported.public()["matched_total"] == 228
    assert "codes of 228 sites" in done.summary()
    uncoded = await inventory.db.fetchone("SELECT count(*) FROM sites WHERE code IS NULL")
    assert uncoded is not None and uncoded[0] == 0  # the office took 33.14 too
    assert await inventory.first_start("Sragen") is None


async def test_a_regency_without_shipped_data_is_seeded_by_name(inventory: Inventory) -> None:
    assert bundled_dir("Kota Surakarta") is None
    done = await inventory.first_start("Kota Surakarta")
    assert done is not None and done.imported is None and done.source is None
    assert "no Kemendagri codes" in done.summary()
    coded = await inventory.db.fetchone("SELECT count(*) FROM sites WHERE code IS NOT NULL")
    assert coded is not None and coded[0] == 0


async def test_bad_region_files_write_nothing(inventory: Inventory, tmp_path: Path) -> None:
    folder = tmp_path / "regions"
    folder.mkdir()
    (folder / "kecamatan.csv").write_text("code,name,lat,lon\n33.14.01,Kalijambe,-97,110\n")
    with pytest.raises(ValidationError):
        await inventory.first_start("Kabupaten Sragen", folder)
    count = await inventory.db.fetchone("SELECT count(*) FROM sites")
    assert count is not None and count[0] == 0  # not even the seed: the next start retries


async def test_a_server_refuses_to_start_on_a_bad_region_data_dir(tmp_path: Path) -> None:
    """A configured folder that cannot be read stops the start with the reason (no half-seeded
    inventory that a later start would never complete)."""
    runner = web.AppRunner(create_app(make_settings(tmp_path, region_data_dir=tmp_path / "no")))
    try:
        with pytest.raises(ValidationError, match="is not a folder"):
            await runner.setup()
    finally:
        await runner.cleanup()
