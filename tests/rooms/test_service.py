"""RoomService rules over a memory store and real SQLite room records (a controllable clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from pendopo.db import Database
from rooms import Joiner, MemoryRoomStore, ParticipantState, RoomError, RoomRecords, RoomService
from rooms.model import SessionState
from rooms.schema import COMPONENT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(new_database: Callable[[str], Database]) -> AsyncIterator[Database]:
    """Room records on SQLite and on PostgreSQL."""
    database = new_database("rooms.sqlite3")
    database.open([COMPONENT])
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(db: Database, clock: Clock) -> RoomService:
    return RoomService(MemoryRoomStore(), RoomRecords(db), grace=60.0, clock=clock)


HOST = Joiner("Bupati", user_id=1, may_host=True)
LURAH = Joiner("Pak Sutrisno", site_code="33.14.06")


async def code_of(coro: object) -> str:
    with pytest.raises(RoomError) as info:
        await coro  # type: ignore[misc]
    return info.value.code


async def test_host_is_admitted_others_wait_in_the_lobby(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    assert len(room.id) >= 10
    host = (await service.join(room.id, HOST)).participant
    assert host.state is ParticipantState.ADMITTED and host.is_host
    lurah = (await service.join(room.id, LURAH)).participant
    assert lurah.state is ParticipantState.LOBBY and not lurah.is_host
    assert await code_of(service.admit(room.id, lurah.id, lurah.id)) == "not_admitted"
    admitted = await service.admit(room.id, host.id, lurah.id)
    assert admitted.state is ParticipantState.ADMITTED
    assert await code_of(service.admit(room.id, host.id, lurah.id)) == "not_found"


async def test_participants_cannot_act_as_host(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    a = (await service.join(room.id, LURAH)).participant
    b = (await service.join(room.id, Joiner("Bu Sri"))).participant
    await service.admit(room.id, host.id, a.id)
    for action in (
        service.admit(room.id, a.id, b.id),
        service.deny(room.id, a.id, b.id),
        service.remove(room.id, a.id, host.id),
        service.mute(room.id, a.id, host.id, True),
        service.allow_unmute(room.id, a.id, a.id),
        service.mute_all(room.id, a.id, False),
        service.lock(room.id, a.id, True),
        service.end(room.id, a.id),
    ):
        assert await code_of(action) == "forbidden"


async def test_deny_and_remove_are_final_even_with_the_resume_token(
    service: RoomService,
) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    denied = await service.join(room.id, LURAH)
    await service.deny(room.id, host.id, denied.participant.id)
    assert await code_of(service.join(room.id, LURAH, denied.resume_token)) == "denied"
    kept = await service.join(room.id, Joiner("Bu Sri"))
    await service.admit(room.id, host.id, kept.participant.id)
    removed = await service.remove(room.id, host.id, kept.participant.id)
    assert removed.state is ParticipantState.REMOVED
    assert await code_of(service.join(room.id, LURAH, kept.resume_token)) == "removed"
    assert await code_of(service.leave(room.id, kept.participant.id)) == "not_in_room"


async def test_resume_within_grace_skips_the_lobby(service: RoomService, clock: Clock) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    joined = await service.join(room.id, LURAH)
    await service.admit(room.id, host.id, joined.participant.id)
    await service.disconnect(room.id, joined.participant.id)
    clock.now += 59
    assert await service.expire(room.id, joined.participant.id) is None  # not yet
    again = await service.join(room.id, LURAH, joined.resume_token)
    assert again.resumed and again.participant.id == joined.participant.id
    assert again.participant.state is ParticipantState.ADMITTED
    assert again.resume_token != joined.resume_token
    # the old token is spent
    third = await service.join(room.id, LURAH, joined.resume_token)
    assert not third.resumed and third.participant.state is ParticipantState.LOBBY


async def test_a_resume_token_keeps_a_place_in_the_lobby(service: RoomService) -> None:
    """The lobby connection went without a disconnect (its node died): the same seat, even in
    a room locked since."""
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    waiting = await service.join(room.id, LURAH)
    await service.lock(room.id, host.id, True)
    again = await service.join(room.id, LURAH, waiting.resume_token)
    assert again.resumed and again.participant.id == waiting.participant.id
    assert again.participant.state is ParticipantState.LOBBY
    lobby = [p.id for p in await service.participants(room.id) if p.state.value == "lobby"]
    assert lobby == [waiting.participant.id]
    assert await code_of(service.join(room.id, LURAH, waiting.resume_token)) == "room_locked"


async def test_after_the_grace_a_resume_token_means_the_lobby(
    service: RoomService, clock: Clock
) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    joined = await service.join(room.id, LURAH)
    await service.admit(room.id, host.id, joined.participant.id)
    await service.disconnect(room.id, joined.participant.id)
    clock.now += 61
    left = await service.expire(room.id, joined.participant.id)
    assert left is not None and left.state is ParticipantState.LEFT
    again = await service.join(room.id, LURAH, joined.resume_token)
    assert not again.resumed and again.participant.state is ParticipantState.LOBBY


async def test_lobby_disconnect_leaves_at_once(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    waiting = (await service.join(room.id, LURAH)).participant
    gone = await service.disconnect(room.id, waiting.id)
    assert gone is not None and gone.state is ParticipantState.LEFT


async def test_mute_hard_mute_and_unmute(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    p = (await service.join(room.id, LURAH)).participant
    await service.admit(room.id, host.id, p.id)
    soft = await service.mute(room.id, host.id, p.id, hard=False)
    assert not soft.mic and not soft.hard_muted
    assert (await service.set_media(room.id, p.id, mic=True, camera=None)).mic
    await service.mute(room.id, host.id, p.id, hard=True)
    assert await code_of(service.set_media(room.id, p.id, mic=True, camera=None)) == "forbidden"
    assert (await service.set_media(room.id, p.id, mic=None, camera=False)).camera is False
    await service.allow_unmute(room.id, host.id, p.id)
    assert (await service.set_media(room.id, p.id, mic=True, camera=None)).mic
    muted = await service.mute_all(room.id, host.id, hard=True)
    assert [m.id for m in muted] == [p.id] and muted[0].hard_muted


async def test_lock_refuses_new_joins_but_not_hosts_or_resumes(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    p = await service.join(room.id, LURAH)
    await service.admit(room.id, host.id, p.participant.id)
    await service.disconnect(room.id, p.participant.id)
    assert (await service.lock(room.id, host.id, True)).state is SessionState.LOCKED
    assert await code_of(service.join(room.id, Joiner("Bu Sri"))) == "room_locked"
    assert (await service.join(room.id, LURAH, p.resume_token)).resumed
    assert (await service.join(room.id, HOST)).participant.is_host
    assert (await service.lock(room.id, host.id, False)).state is SessionState.OPEN
    record = await service.records.get(room.id)
    assert record is not None and record.state is SessionState.OPEN


async def test_end_persists_and_room_records_survive_a_new_service(
    service: RoomService, db: Database, clock: Clock
) -> None:
    room = await service.create_room("Rapat", 7)
    other = await service.create_room("Rapat kedua", 7)
    host = (await service.join(room.id, HOST)).participant
    waiting = (await service.join(room.id, LURAH)).participant
    ended = await service.end(room.id, host.id)
    assert {p.id for p in ended.participants} == {host.id, waiting.id}
    assert await code_of(service.join(room.id, LURAH)) == "room_ended"
    assert await code_of(service.end(room.id, None)) == "room_ended"
    # a restart: a new store, the same database
    fresh = RoomService(MemoryRoomStore(), RoomRecords(db), clock=clock)
    assert (await fresh.room(room.id)).state is SessionState.ENDED
    revived = await fresh.room(other.id)
    assert revived.title == "Rapat kedua" and revived.created_by == 7
    assert (await fresh.join(other.id, LURAH)).participant.state is ParticipantState.LOBBY
    assert await code_of(fresh.room("no-such-room")) == "not_found"
    records, total = await fresh.records.list()
    assert total == 2 and {r.id for r in records} == {room.id, other.id}


async def test_chat_is_for_admitted_participants(service: RoomService, clock: Clock) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    waiting = (await service.join(room.id, LURAH)).participant
    assert await code_of(service.chat(room.id, waiting.id, "halo")) == "not_admitted"
    message = await service.chat(room.id, host.id, "Selamat pagi")
    assert message.name == "Bupati" and message.ts == clock.now
    assert [m.text for m in await service.store.chat(room.id)] == ["Selamat pagi"]


async def test_speaking_keeps_recent_speakers(service: RoomService) -> None:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    assert await service.speaking(room.id, host.id, True)
    assert not await service.speaking(room.id, host.id, True)
    live = await service.room(room.id)
    assert live.speaking == [host.id] and live.recent_speakers == [host.id]
    assert await service.speaking(room.id, host.id, False)
    assert (await service.room(room.id)).recent_speakers == [host.id]
