"""The inventory-backed site directory and the call-quality store, on a real SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from network_inventory import Inventory, revision
from network_inventory.call_quality import CallQuality, CallSample
from network_inventory.directory import RECHECK_S, InventorySites
from network_inventory.history import SiteStatus
from network_inventory.state import State, Track
from pendopo.db import Database
from pendopo.schema import components
from rooms.sites import LinkHealth

USER = "test"


@pytest.fixture
async def inventory(new_database: Callable[[str], Database]) -> AsyncIterator[Inventory]:
    db = new_database("t.sqlite3")
    db.open(components())
    try:
        yield Inventory(db)
    finally:
        db.close()


async def _sites(inv: Inventory) -> dict[str, int]:
    ids = {}
    office = await inv.create_site({"name": "Kantor Bupati Sragen", "kind": "kabupaten",
                                    "code": "33.14"}, user=USER)  # fmt: skip
    ids["33.14"] = office.id
    for code, name in (("33.14.12", "Tanon"), ("33.14.06", "Gondang")):
        site = await inv.create_site(
            {"name": name, "kind": "kecamatan", "code": code, "parent": "33.14"}, user=USER
        )
        ids[code] = site.id
    for code, name in (("33.14.06.2002", "Wonotolo"), ("33.14.06.2001", "Bumiaji")):
        site = await inv.create_site(
            {"name": name, "kind": "desa", "code": code, "parent": "33.14.06"}, user=USER
        )
        ids[code] = site.id
    await inv.create_site({"name": "Puskesmas", "kind": "other", "parent": "33.14.06"}, user=USER)
    return ids


async def test_builtin_kecamatan_until_the_inventory_has_codes(inventory: Inventory) -> None:
    sites = InventorySites(inventory)
    gondang = await sites.get("33.14.06")
    assert gondang is not None and gondang.name == "Gondang"
    assert len(await sites.children(None)) == 20
    assert await sites.link("33.14.06") is None

    await _sites(inventory)  # the change is heard: the snapshot is read again
    assert [s.name for s in await sites.children(None)] == ["Gondang", "Tanon"]
    assert [s.name for s in await sites.children("33.14")] == ["Gondang", "Tanon"]
    villages = await sites.children("33.14.06")
    assert [(s.code, s.name, s.kind) for s in villages] == [
        ("33.14.06.2001", "Bumiaji", "desa"),
        ("33.14.06.2002", "Wonotolo", "desa"),
    ]  # by name; the uncoded puskesmas cannot be picked
    village = await sites.get("33.14.06.2002")
    assert village is not None and village.parent == "33.14.06"
    assert await sites.get("33.14.11") is None  # real codes now: no built-in fallback
    sites.close()


async def test_link_health_from_prober_state_and_primary_uplink(inventory: Inventory) -> None:
    ids = await _sites(inventory)
    status: dict[int, SiteStatus] = {}
    sites = InventorySites(inventory, lambda: status)
    assert await sites.link("33.14.06") is None  # no uplink, no state: nothing known

    await inventory.create_link(
        {"site": "33.14.06", "parent": "33.14", "medium": "fiber", "capacity_kbps": 10_000,
         "status": "active", "priority": 1},
        user=USER,
    )  # fmt: skip
    await inventory.create_link(
        {"site": "33.14.06", "parent": "33.14", "medium": "vsat", "capacity_kbps": 2048,
         "status": "active", "priority": 0},
        user=USER,
    )  # fmt: skip
    assert await sites.link("33.14.06") == LinkHealth("UNKNOWN", None, None, "vsat", 2048)

    status[ids["33.14.06"]] = SiteStatus(Track(ids["33.14.06"], shown=State.DOWN), None, 1.0)
    assert await sites.link("33.14.06") == LinkHealth("DOWN", None, 1.0, "vsat", 2048)
    status[ids["33.14.12"]] = SiteStatus(Track(ids["33.14.12"], shown=State.UP), 12.5, 0.0)
    assert await sites.link("33.14.12") == LinkHealth("UP", 12.5, 0.0, None, None)
    assert await sites.site_id("33.14.12") == ids["33.14.12"]
    sites.close()


def _sample(code: str, room: str, at: float, rtt: float, loss_in: float) -> CallSample:
    return CallSample(code, room, "p_1", at, 10.0, rtt, loss_in, 0.0, 2.0, 600.0, 1200.0)


async def test_call_quality_buckets_sessions_and_retention(inventory: Inventory) -> None:
    ids = await _sites(inventory)
    store = CallQuality(inventory.db)
    now = 1_764_000_000.0
    old = now - 40 * 86400
    written = await store.record(
        [
            _sample("33.14.06", "room-a", now - 7200, 20.0, 0.0),
            _sample("33.14.06", "room-a", now - 7190, 40.0, 0.1),
            _sample("33.14.06", "room-b", now - 60, 30.0, 0.0),
            _sample("33.14.99", "room-b", now - 60, 30.0, 0.0),  # unknown site: dropped
        ],
        now,
    )
    assert written == 3
    report = await store.site_report(ids["33.14.06"], "24h", now)
    assert report["step"] == 300 and len(report["points"]) == 2
    first = report["points"][0]
    assert first["samples"] == 2 and first["rtt_median"] == 30.0 and first["loss"] == 0.05
    assert [s["room_id"] for s in report["sessions"]] == ["room-b", "room-a"]
    last = await store.last_sessions(["33.14.06", "33.14.12"], now)
    assert list(last) == ["33.14.06"] and last["33.14.06"]["room_id"] == "room-b"

    # Retention: samples older than 30 days go the next time it runs (at most hourly).
    await store.record([_sample("33.14.12", "room-c", old, 10.0, 0.0)], now + 1)
    assert (await store.site_report(ids["33.14.12"], "30d", now))["points"] == []
    await store.record([], now + 3601)
    rows = await inventory.db.fetchone("SELECT count(*) FROM call_quality_samples WHERE at < ?",
                                       (now - 30 * 86400,))  # fmt: skip
    assert rows is not None and rows[0] == 0


async def test_a_change_committed_by_another_process_is_read_within_a_second(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _sites(inventory)
    now = [1000.0]
    sites = InventorySites(inventory, clock=lambda: now[0])
    names = [s.name for s in await sites.children("33.14.06")]
    assert names == ["Bumiaji", "Wonotolo"]
    reads = []
    read = inventory.db.read

    async def counted(fn: Any) -> Any:
        reads.append(fn)
        return await read(fn)

    monkeypatch.setattr(inventory.db, "read", counted)
    # Another process (pendopo import-regions, a sqlite3 or psql shell): its own connection to
    # the same database, no event.
    other = Database(inventory.db.backend)
    other.open()
    try:
        await other.execute_write(
            "UPDATE sites SET name = 'Wonotolo Baru' WHERE code = '33.14.06.2002'"
        )
    finally:
        other.close()
    now[0] += RECHECK_S / 2
    assert [s.name for s in await sites.children("33.14.06")] == names
    assert reads == []  # within RECHECK_S the snapshot answers without any database read
    now[0] += RECHECK_S
    assert [s.name for s in await sites.children("33.14.06")] == ["Bumiaji", "Wonotolo Baru"]
    assert len(reads) == 2  # the revision, then the snapshot
    now[0] += RECHECK_S * 2
    await sites.children("33.14.06")
    assert len(reads) == 3  # nothing changed: the revision alone
    sites.close()


async def test_the_revision_counts_changes_of_sites_links_and_probes(inventory: Inventory) -> None:
    async def current() -> int:
        return await inventory.db.read(revision.read)

    start = await current()
    ids = await _sites(inventory)
    after_sites = await current()
    assert after_sites > start
    link = await inventory.create_link(
        {"site": ids["33.14.12"], "parent": ids["33.14"], "medium": "vsat"}, user=USER
    )
    assert await current() > after_sites
    before = await current()
    probe = await inventory.create_probe(
        {"site": ids["33.14.12"], "kind": "icmp", "host": "127.0.0.1"}, user=USER
    )
    await inventory.delete_probe(probe.id, user=USER)
    await inventory.delete_link(link.id, user=USER)
    assert await current() == before + 3
    # call-quality samples and probe history are not inventory changes
    steady = await current()
    await inventory.db.execute_write("CREATE TABLE scratch (x INTEGER)")
    await inventory.db.execute_write("INSERT INTO scratch VALUES (1)")
    assert await current() == steady
