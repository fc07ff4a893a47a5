"""Scheduled sessions: the join window, its survival of a restart, and the attendance rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from pendopo.db import Database
from rooms import (
    BuiltinSites,
    Joiner,
    MemoryRoomStore,
    ParticipantState,
    RoomError,
    RoomRecords,
    RoomService,
)
from rooms.attendance import COMPONENT as ATTENDANCE
from rooms.attendance import AttendanceLog, report
from rooms.schedule import Schedule, join_window_open, wib_clock
from rooms.schema import COMPONENT as ROOMS
from rooms.sites import DirectorySite
from tests.rooms.test_service import Clock, code_of

START = 1_796_004_000.0  # 2026-11-30 09:00 WIB (02:00 UTC)
EARLY = 30 * 60.0


@pytest.fixture
async def db(new_database: Callable[[str], Database]) -> AsyncIterator[Database]:
    """Room records on SQLite and on PostgreSQL."""
    database = new_database("rooms.sqlite3")
    database.open([ROOMS, ATTENDANCE])
    try:
        yield database
    finally:
        database.close()


def service_at(db: Database, clock: Clock) -> RoomService:
    return RoomService(MemoryRoomStore(), RoomRecords(db), clock=clock, join_early=EARLY)


HOST = Joiner("Bupati", user_id=1, may_host=True)
LURAH = Joiner("Pak Sutrisno", site_code="33.14.06")


def test_the_window_opens_a_set_time_before_the_start() -> None:
    assert wib_clock(START) == "09.00"
    assert not join_window_open(START, EARLY, START - EARLY - 1)
    assert join_window_open(START, EARLY, START - EARLY)
    assert join_window_open(START, EARLY, START + 3600)
    assert join_window_open(None, EARLY, 0.0)  # unscheduled: open at once
    schedule = Schedule(START, 90, "Laporan")
    assert schedule.ends_at == START + 90 * 60 and schedule.opens_at(EARLY) == START - EARLY


async def test_participants_wait_for_the_window_hosts_do_not(db: Database) -> None:
    clock = Clock()
    clock.now = START - EARLY - 60
    service = service_at(db, clock)
    room = await service.create_room("Rapat", 1, ("33.14.06",), Schedule(START, 60))
    with pytest.raises(RoomError) as refused:
        await service.join(room.id, LURAH)
    assert refused.value.code == "not_yet_open" and "08.30 WIB" in refused.value.message
    assert refused.value.details == {"opens_at": START - EARLY, "starts_at": START}
    host = (await service.join(room.id, HOST)).participant
    assert host.state is ParticipantState.ADMITTED  # the host prepares before the window
    clock.now = START - EARLY
    lurah = (await service.join(room.id, LURAH)).participant
    assert lurah.state is ParticipantState.LOBBY
    # A restart reads the start back from the record: the rule holds on.
    clock.now = START - EARLY - 1
    fresh = service_at(db, clock)
    assert await code_of(fresh.join(room.id, LURAH)) == "not_yet_open"


async def test_upcoming_lists_what_has_not_run_out(db: Database) -> None:
    clock = Clock()
    clock.now = START
    service = service_at(db, clock)
    soon = await service.create_room("Soon", 1, ("33.14.06.2001",), Schedule(START + 3600, 60))
    running = await service.create_room("Running", 1, (), Schedule(START - 600, 60))
    over = await service.create_room("Over", 1, (), Schedule(START - 7200, 60))
    loose = await service.create_room("Unscheduled", 1)
    upcoming = await service.records.upcoming(START)
    assert [r.id for r in upcoming] == [running.id, soon.id, loose.id]
    assert over.id not in [r.id for r in upcoming]
    record = upcoming[1]
    # a kecamatan seat sees a session inviting one of its villages, a village seat its kecamatan's
    assert record.invites("33.14.06") and record.invites("33.14.06.2001")
    assert not record.invites("33.14.05") and not record.invites("33.14.06.2002")


class Directory(BuiltinSites):
    """The built-in kecamatan plus two villages named alike in two kecamatan."""

    def __init__(self) -> None:
        super().__init__()
        for site in (
            DirectorySite("33.14.03.2009", "Jati", "desa", "33.14.03"),
            DirectorySite("33.14.15.2003", "Jati", "desa", "33.14.15"),
        ):
            self._by_code[site.code] = site


async def test_attendance_rows_times_reconnects_and_absent_sites(db: Database) -> None:
    clock = Clock()
    clock.now = START
    service = service_at(db, clock)
    invited = ("33.14.03.2009", "33.14.15.2003", "33.14.06")
    room = await service.create_room("Rapat", 1, invited, Schedule(START, 60))
    log = AttendanceLog(db)
    host = (await service.join(room.id, HOST)).participant
    a = (await service.join(room.id, Joiner("Bu Sri", site_code="33.14.03.2009"))).participant
    b = (await service.join(room.id, Joiner("Pak Budi", site_code="33.14.15.2003"))).participant
    waiting = (await service.join(room.id, Joiner("Pak Tono", site_code="33.14.06"))).participant
    await log.admitted(host, START)
    await log.admitted(a, START + 60)
    await log.admitted(b, START + 120)
    await log.dropped(b, START + 600)  # 8 minutes, then away for 2
    await log.reconnected(b, START + 720)
    await log.left(a, START + 1260)  # 20 minutes
    await log.left(waiting, START + 1300)  # never admitted: no row, nothing to close
    await log.ended(room.id, START + 1920)
    await log.ended(room.id, START + 9999)  # a second end changes nothing
    rows = {x.name: x for x in await log.attendees(room.id)}
    assert set(rows) == {"Bupati", "Bu Sri", "Pak Budi"}
    assert rows["Bu Sri"].present_s == 1200 and rows["Bu Sri"].left_at == START + 1260
    assert rows["Pak Budi"].present_s == 480 + 1200 and rows["Pak Budi"].reconnects == 1
    assert rows["Bupati"].left_at == START + 1920

    record = await service.records.get(room.id)
    assert record is not None
    found = await report(record, rows.values(), Directory(), START + 99999)
    assert found.absent_sites == ["33.14.06"]
    assert [(x.kecamatan, x.site, x.name) for x in found.lines] == [
        ("", "", "Bupati"),
        ("Gondang", "Gondang", ""),
        ("Masaran", "Jati, Masaran", "Bu Sri"),
        ("Sumberlawang", "Jati, Sumberlawang", "Pak Budi"),
    ]
    assert all(x.invited for x in found.lines[1:])
