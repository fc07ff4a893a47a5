"""The KPT service catalogue and its board, on a real database seeded with Sragen's sites."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from network_inventory import Conflict, Inventory, NotFound, ValidationError
from network_inventory.catalogue import ServiceCatalogue
from network_inventory.history import SiteStatus
from network_inventory.service_board import Availability, availability
from network_inventory.state import State, Track
from network_inventory.uptime import WIB, Period, previous_month, site_uptime, time_in_states
from pendopo.db import Database
from pendopo.schema import components


@pytest.fixture
async def db(new_database: Callable[[str], Database]) -> AsyncIterator[Database]:
    database = new_database("kpt.sqlite3")
    database.open(components())
    try:
        await Inventory(database).first_start("Kabupaten Sragen")
        yield database
    finally:
        database.close()


@pytest.fixture
async def catalogue(db: Database) -> ServiceCatalogue:
    return ServiceCatalogue(db)


async def _kecamatan(db: Database) -> dict[str, int]:
    rows = await db.fetchall("SELECT code, id FROM sites WHERE kind = 'kecamatan'")
    return {r[0]: r[1] for r in rows}


async def test_seed_is_the_ktp_example_once(catalogue: ServiceCatalogue, db: Database) -> None:
    ktp = await catalogue.seed()
    assert ktp is not None
    assert (ktp.name, ktp.kind.value, ktp.duration, ktp.delegated) == (
        "KTP",
        "perizinan",
        "5 menit",
        True,
    )
    assert len(ktp.offices) == 20 and ktp.offices[0].code == "33.14.01"
    assert [s.name for s in await catalogue.list_services()] == ["KTP"]  # nothing invented
    await catalogue.delete(ktp.id, user="kpt")
    assert await catalogue.seed() is None  # deleted by the KPT: never put back
    assert await catalogue.list_services() == []
    changes = await db.fetchall(
        "SELECT action, user FROM change_log WHERE entity = 'service' ORDER BY id"
    )
    assert [tuple(r) for r in changes] == [("seed", "seed"), ("delete", "kpt")]


async def test_validation_names_every_bad_field(catalogue: ServiceCatalogue) -> None:
    with pytest.raises(ValidationError) as caught:
        await catalogue.create(
            {"name": "=cmd", "kind": "izin", "delegated": "ya", "colour": 1}, user="kpt"
        )
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"name", "kind", "delegated", "colour"}
    with pytest.raises(ValidationError) as caught:
        await catalogue.create(
            {"name": "Uji", "kind": "perizinan", "kecamatan": ["33.14.01"]}, user="k"
        )
    assert caught.value.details[0]["field"] == "kecamatan"  # not delegated: no kecamatan
    with pytest.raises(ValidationError) as caught:
        await catalogue.create(
            {"name": "Uji", "kind": "perizinan", "delegated": True,
             "kecamatan": ["33.14.01.2001", "33.14.99"]},
            user="k",
        )  # fmt: skip
    messages = [d["message"] for d in caught.value.details]
    assert messages == ["33.14.01.2001 is not a kecamatan", "no kecamatan 33.14.99"]
    assert await catalogue.list_services() == []


async def test_update_logs_only_changes_and_names_are_unique(
    catalogue: ServiceCatalogue, db: Database
) -> None:
    ktp = await catalogue.seed()
    assert ktp is not None
    other = await catalogue.create({"name": "Layanan B", "kind": "non-perizinan"}, user="kpt")
    with pytest.raises(Conflict):
        await catalogue.update(other.id, {"name": "ktp"}, user="kpt")
    same = await catalogue.update(ktp.id, {"duration": "5 menit"}, user="kpt")
    assert same.updated_at == ktp.updated_at
    changed = await catalogue.update(ktp.id, {"kecamatan": ["33.14.02", "33.14.01"]}, user="kpt")
    assert [o.code for o in changed.offices] == ["33.14.01", "33.14.02"]
    row = await db.fetchone(
        "SELECT action, before, after FROM change_log WHERE entity = 'service'"
        " ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and row["action"] == "update"
    assert '"kecamatan"' in row["after"] and '"duration"' not in row["after"]
    undelegated = await catalogue.update(ktp.id, {"delegated": False}, user="kpt")
    assert undelegated.offices == ()
    with pytest.raises(NotFound):
        await catalogue.get(987654)


async def test_csv_round_trip_and_all_or_nothing(catalogue: ServiceCatalogue) -> None:
    await catalogue.seed()
    await catalogue.create(
        {"name": "Layanan B", "kind": "non-perizinan", "duration": "1 hari", "notes": "a, b"},
        user="kpt",
    )
    text = await catalogue.export_csv()
    assert text.splitlines()[0] == "id,name,kind,duration,delegated,kecamatan,notes"
    report = await catalogue.import_csv(text.encode(), "services.csv", user="kpt")
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 0, 0, 2)
    assert await catalogue.export_csv() == text
    short = await catalogue.import_csv(b"name,kind\r\nKTP,perizinan\r\n", "k.csv", user="kpt")
    assert short.unchanged == 1  # columns left out keep their values (KTP stays delegated at 20)
    assert await catalogue.export_csv() == text
    bad = text + "\r\n,Layanan C,perizinan,,maybe,33.14.01,\r\n,Layanan D,izin,,false,,\r\n"
    with pytest.raises(ValidationError) as caught:
        await catalogue.import_csv(bad.encode(), "s.csv", user="kpt")
    assert caught.value.code == "invalid_rows"
    assert caught.value.message.startswith("s.csv: 2 invalid row(s) of 4")
    assert {d["row"] for d in caught.value.details} == {"s.csv:5", "s.csv:6"}
    new = "name,kind,delegated,kecamatan\r\nLayanan C,perizinan,ya,33.14.03;33.14.04\r\n"
    dry = await catalogue.import_csv(new.encode(), "n.csv", user="kpt", dry_run=True)
    assert dry.created == 1 and dry.dry_run
    assert len(await catalogue.list_services()) == 2
    await catalogue.import_csv(new.encode(), "n.csv", user="kpt")
    made = next(s for s in await catalogue.list_services() if s.name == "Layanan C")
    assert [o.code for o in made.offices] == ["33.14.03", "33.14.04"]


def test_time_in_states_leaves_maintenance_and_unknown_out() -> None:
    changes = [(10.0, State.DOWN), (20.0, State.MAINTENANCE), (50.0, State.UP)]
    up = time_in_states(State.UP, changes, 0.0, 100.0)
    assert (up.available_s, up.interrupted_s) == (60.0, 10.0)
    assert up.percent == round(100 * 60 / 70, 2)
    assert time_in_states(None, [], 0.0, 100.0).percent is None
    assert time_in_states(State.UNREACHABLE, [], 0.0, 100.0).percent == 0.0


def test_previous_month_is_the_regency_calendar_month() -> None:
    now = datetime(2026, 12, 1, 0, 30, tzinfo=WIB).timestamp()  # 30 Nov 17:30 UTC
    period = previous_month(now)
    assert period.label == "2026-11"
    assert period.start == datetime(2026, 11, 1, tzinfo=WIB).timestamp()
    assert period.end == datetime(2026, 12, 1, tzinfo=WIB).timestamp()


async def test_site_uptime_from_the_event_log(db: Database) -> None:
    site = (await _kecamatan(db))["33.14.06"]
    period = Period(1000.0, 2000.0, "test")
    events = [(900.0, "unknown", "up"), (1500.0, "up", "down"), (1750.0, "down", "up")]

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO inventory_events (at, site_id, previous, state) VALUES (?, ?, ?, ?)",
            [(at, site, p, s) for at, p, s in events],
        )

    await db.write(write)
    uptime = await db.read(lambda c: site_uptime(c, site, period))
    assert (uptime.available_s, uptime.interrupted_s) == (750.0, 250.0)
    assert uptime.percent == 75.0


def _status(site_id: int, state: State, since: float) -> SiteStatus:
    return SiteStatus(Track(site_id, state, state, since=since), rtt_ms=12.0)


async def test_board_follows_each_kecamatan_state(
    catalogue: ServiceCatalogue, db: Database
) -> None:
    await catalogue.seed()
    await catalogue.create({"name": "Layanan B", "kind": "non-perizinan"}, user="kpt")
    codes = await _kecamatan(db)
    since = time.time() - 600
    statuses = {sid: _status(sid, State.UP, since) for sid in codes.values()}
    statuses[codes["33.14.06"]] = _status(codes["33.14.06"], State.DOWN, since)
    statuses[codes["33.14.07"]] = _status(codes["33.14.07"], State.MAINTENANCE, since)
    statuses[codes["33.14.08"]] = _status(codes["33.14.08"], State.DEGRADED, since)
    del statuses[codes["33.14.09"]]
    month = previous_month(time.time())
    half = (month.start + month.end) / 2
    events = [(month.start - 100, "unknown", "up"), (half, "up", "down")]
    await db.write(
        lambda conn: conn.executemany(
            "INSERT INTO inventory_events (at, site_id, previous, state) VALUES (?, ?, ?, ?)",
            [(at, codes["33.14.06"], p, s) for at, p, s in events],
        )
    )
    board = await catalogue.board(statuses)
    by_name = {k["name"]: k for k in board["kecamatan"]}
    names = await db.fetchall("SELECT code, name FROM sites WHERE kind = 'kecamatan'")
    name = {r[0]: r[1] for r in names}
    assert by_name[name["33.14.06"]]["status"] == "interrupted"
    assert by_name[name["33.14.06"]]["since"] is not None
    assert by_name[name["33.14.06"]]["availability_last_month"] == 50.0
    assert by_name[name["33.14.07"]]["availability_last_month"] is None
    assert board["last_month"] == month.label
    assert by_name[name["33.14.07"]]["status"] == "maintenance"
    assert by_name[name["33.14.08"]]["status"] == "available"
    assert by_name[name["33.14.09"]]["status"] == "unknown"
    assert by_name[name["33.14.09"]]["since"] is None
    assert by_name[name["33.14.01"]]["services"] == ["KTP"]
    ktp, other = board["services"]
    assert ktp["available_at"] == 17 and len(ktp["offices"]) == 20
    assert other == {
        "name": "Layanan B",
        "kind": "non-perizinan",
        "duration": None,
        "delegated": False,
        "offices": [],
        "available_at": 0,
    }
    assert board["structure"] == {"perizinan": 52, "non_perizinan": 10, "delegated": 16}
    assert availability(State.UNREACHABLE) is Availability.INTERRUPTED
    assert availability(State.PLANNED) is Availability.UNKNOWN
