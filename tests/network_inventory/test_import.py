"""Kemendagri import of the Sragen files shipped in the repo: codes, kinds, coordinates,
boundaries, spelling."""

from __future__ import annotations

import json

import pytest

from network_inventory import Inventory, ValidationError
from network_inventory.importer import kind_from_code
from tests.network_inventory.helpers import sragen_file, sragen_region_files


async def _change_count(inv: Inventory) -> int:
    row = await inv.db.fetchone("SELECT count(*) FROM change_log")
    assert row is not None
    return int(row[0])


async def test_shipped_data_matches_all_228_and_sets_kinds(sragen: Inventory) -> None:
    report = (await sragen.import_regions(sragen_region_files(), user="it")).public()
    assert report["matched"] == {"kecamatan": 20, "village": 208}
    assert report["kinds"] == {"desa": 196, "kelurahan": 12}
    assert report["added"] == [] and report["unmatched"] == []
    # the three spelling variants of the field guide, each reported as a fuzzy match
    fuzzy = {(f["parent"], f["matched"], f["name"]) for f in report["fuzzy"]}
    assert fuzzy == {
        ("Kalijambe", "Samberembe", "Sambirembe"),
        ("Sambungmacan", "Banyuurip", "Banyurip"),
        ("Jenar", "Banyuurip", "Banyurip"),
    }
    renamed = {(r["from"], r["to"], r["rule"]) for r in report["renamed"]}
    assert ("Sambung Macan", "Sambungmacan", "normalised") in renamed
    assert ("Geneng Duwur", "Genengduwur", "normalised") in renamed
    assert report["rules"] == {"name": 208, "normalised": 17, "fuzzy": 3}
    assert any("33.14" in note for note in report["notes"])  # the office takes the regency code

    kinds = await sragen.db.fetchall("SELECT kind, count(*) FROM sites GROUP BY kind")
    assert {r[0]: r[1] for r in kinds} == {
        "kabupaten": 1,
        "kecamatan": 20,
        "desa": 196,
        "kelurahan": 12,
    }
    missing = await sragen.db.fetchone(
        "SELECT count(*) FROM sites WHERE kind <> 'kabupaten'"
        " AND (code IS NULL OR lat IS NULL OR boundary IS NULL)"
    )
    assert missing is not None and missing[0] == 0


async def test_duplicate_names_join_on_code_and_parent(sragen: Inventory) -> None:
    await sragen.import_regions(sragen_region_files(), user="it")
    for code, parent in (("33.14.07.2006", "33.14.07"), ("33.14.20.2007", "33.14.20")):
        site = await sragen.get_site(code)
        assert site.name == "Banyurip" and site.parent_code == parent
    # every village sits under the kecamatan its code names
    wrong = await sragen.db.fetchone(
        "SELECT count(*) FROM sites s JOIN sites p ON p.id = s.parent_id"
        " WHERE s.kind IN ('desa', 'kelurahan') AND p.code <> substr(s.code, 1, 8)"
    )
    assert wrong is not None and wrong[0] == 0
    kelurahan = await sragen.list_sites(kinds=["kelurahan"], parent="33.14.10")
    assert {s.name for s in kelurahan.items} == {
        "Sine", "Sragen Kulon", "Sragen Tengah", "Sragen Wetan", "Nglorog", "Karang Tengah"
    }  # fmt: skip
    site = await sragen.get_site("33.14.01.2001")
    assert site.boundary is not None and json.loads(site.boundary)["type"] == "Polygon"
    assert site.lat == pytest.approx(-7.439848) and site.lon == pytest.approx(110.781924)


async def test_second_run_matches_by_code_and_changes_nothing(sragen: Inventory) -> None:
    files = sragen_region_files()
    await sragen.import_regions(files, user="it")
    before = await _change_count(sragen)
    export_before = await sragen.export_csv("sites")
    report = (await sragen.import_regions(files, user="it")).public()
    assert report["rules"] == {"code": 228}
    assert report["updated"] == 0 and report["renamed"] == [] and report["fuzzy"] == []
    assert await _change_count(sragen) == before
    assert await sragen.export_csv("sites") == export_before


async def test_dry_run_reports_but_writes_nothing(sragen: Inventory) -> None:
    before = await _change_count(sragen)
    report = await sragen.import_regions(sragen_region_files(), user="it", dry_run=True)
    assert report.dry_run and sum(report.matched.values()) == 228
    assert await _change_count(sragen) == before
    coded = await sragen.db.fetchone("SELECT count(*) FROM sites WHERE code IS NOT NULL")
    assert coded is not None and coded[0] == 0


async def test_unknown_parent_is_unmatched_with_reason_and_new_village_added(
    sragen: Inventory,
) -> None:
    await sragen.import_regions(sragen_region_files(), user="it")
    csv = (
        "code,kecamatan_code,name,kind,lat,lon\n"
        "33.14.99.2001,33.14.99,Desa Entah,desa,-7.4,110.9\n"
        "33.14.01.2099,33.14.01,Desa Baru,desa,,\n"
    )
    report = (await sragen.import_regions([("extra.csv", csv)], user="it")).public()
    assert report["unmatched"] == [
        {
            "code": "33.14.99.2001",
            "name": "Desa Entah",
            "level": "village",
            "reason": "parent 33.14.99 is not in the inventory",
        }
    ]
    assert report["added"] == [
        {"code": "33.14.01.2099", "name": "Desa Baru", "parent": "Kalijambe"}
    ]
    assert (await sragen.get_site("33.14.01.2099")).kind == "desa"


async def test_another_regency_file_never_lands_under_this_one(sragen: Inventory) -> None:
    csv = "code,name,lat,lon\n33.10.01,Prambanan,-7.7,110.5\n33.10.02,Gantiwarno,-7.7,110.6\n"
    report = (await sragen.import_regions([("klaten.csv", csv)], user="it")).public()
    assert report["matched"] == {} and report["added"] == []
    assert len(report["unmatched"]) == 2
    office = (await sragen.picker(None))[0]
    assert office["code"] is None


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("33.14.01.2001,33.14.01,Keden,desa,-97.0,110.7", "lat"),
        ("33.14.01.2001,33.14.02,Keden,desa,-7.4,110.7", "kecamatan_code"),
        ("33.14.01.2001,33.14.01,Keden,kelurahan,-7.4,110.7", "kind"),
        ("33-14-01,33.14.01,Keden,desa,-7.4,110.7", "code"),
        ("33.14.01.2001,33.14.01,,desa,-7.4,110.7", "name"),
        ("33.14.01.2001,33.14.01,Keden,desa,abc,110.7", "lat"),
        ("33.14.01.2001,33.14.01,Keden,desa,-7.4", None),  # malformed: 5 fields of 6
    ],
)
async def test_bad_rows_reject_the_whole_file(
    sragen: Inventory, row: str, problem: str | None
) -> None:
    before = await _change_count(sragen)
    good = "33.14.01.2002,33.14.01,Trobayan,desa,-7.44,110.79"
    text = f"code,kecamatan_code,name,kind,lat,lon\n{good}\n{row}\n"
    with pytest.raises(ValidationError) as caught:
        await sragen.import_regions(
            [("sragen_kecamatan.csv", sragen_file("sragen_kecamatan.csv").read_bytes()),
             ("bad.csv", text)],
            user="it",
        )  # fmt: skip
    details = caught.value.details
    assert details and details[0]["row"] == "bad.csv:3"
    if problem:
        assert details[0]["field"] == problem
    assert await _change_count(sragen) == before  # the good file was not written either


async def test_bad_headers_and_files_are_refused(sragen: Inventory) -> None:
    cases: list[tuple[str, bytes | str, str]] = [
        ("x.csv", "kode,nama\n1,2\n", "invalid_header"),
        ("x.csv", b"\xff\xfe\x00", "invalid_file"),
        ("x.geojson", "{}", "invalid_file"),
        ("x.txt", "code,name\n", "invalid_file"),
    ]
    for name, data, code in cases:
        with pytest.raises(ValidationError) as caught:
            await sragen.import_regions([(name, data)], user="it")
        assert caught.value.code == code


def test_kind_follows_the_kemendagri_code_rule() -> None:
    assert kind_from_code("33.14.10.1001") == "kelurahan"
    assert kind_from_code("33.14.10.2001") == "desa"
    assert kind_from_code("33.14.10") == "kecamatan"
