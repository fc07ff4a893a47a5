"""One behavioural suite for every RoomStore: in-memory and Redis, so they cannot drift apart.

The Redis variant runs against a private redis-server (tests/scaling/redis_server.py) and is
skipped, with the reason, when the binary is missing. ``stores`` yields two store objects over
the same data: for memory one object twice, for Redis two clients — what a second node sees.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from rooms.memory import MemoryRoomStore
from rooms.model import (
    ChatMessage,
    Participant,
    ParticipantRole,
    ParticipantState,
    Room,
    SessionState,
)
from rooms.redis_store import RedisRoomStore
from rooms.store import RoomStore
from tests.scaling.redis_server import redis_url

__all__ = ["redis_url"]

CHAT = 3


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RoomStore, RoomStore]]:
    if request.param == "memory":
        store = MemoryRoomStore(chat_history=CHAT)
        yield store, store
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    clients = [Redis.from_url(url, decode_responses=True) for _ in range(2)]
    try:
        yield (
            RedisRoomStore(clients[0], prefix=prefix, chat_history=CHAT),
            RedisRoomStore(clients[1], prefix=prefix, chat_history=CHAT),
        )
    finally:
        for client in clients:
            await client.aclose()


def room(room_id: str = "r1", created_at: float = 0.0) -> Room:
    return Room(room_id, "Rapat", SessionState.OPEN, 1, created_at)


def person(pid: str, room_id: str = "r1", resume: str | None = None) -> Participant:
    return Participant(
        pid, room_id, pid, ParticipantRole.PARTICIPANT, ParticipantState.LOBBY, resume_hash=resume
    )


async def test_values_round_trip_whole_and_as_copies(
    stores: tuple[RoomStore, RoomStore],
) -> None:
    a, b = stores
    r = Room("r1", "Rapat koordinasi — Sragen", SessionState.LOCKED, None, 1764340000.25)
    r.recent_speakers, r.speaking = ["p_2", "p_1"], ["p_2"]
    await a.put_room(r)
    p = Participant(
        "p_1", "r1", "Bu Sri Rahayu", ParticipantRole.HOST, ParticipantState.DISCONNECTED,
        site_code="33.14.12.2004", user_id=7, mic=False, camera=False, hard_muted=True,
        receive_video=False, resume_hash="h1", joined_at=12.5, disconnected_at=99.75,
    )  # fmt: skip
    await a.put_participant(p)
    assert await b.get_room("r1") == r
    assert await b.get_participant("r1", "p_1") == p
    r.title, p.state = "changed outside", ParticipantState.LEFT
    stored_room, stored_p = await b.get_room("r1"), await b.get_participant("r1", "p_1")
    assert stored_room is not None and stored_room.title == "Rapat koordinasi — Sragen"
    assert stored_p is not None and stored_p.state is ParticipantState.DISCONNECTED
    assert await b.get_room("nope") is None
    assert await b.get_participant("r1", "nope") is None


async def test_rooms_listed_once_in_creation_order(stores: tuple[RoomStore, RoomStore]) -> None:
    a, b = stores
    for i, rid in enumerate(("r2", "r1", "r3")):
        await a.put_room(room(rid, created_at=float(i)))
    await a.put_room(room("r2", created_at=0.0))  # replacing keeps one entry
    assert await b.room_ids() == ["r2", "r1", "r3"]
    await b.delete_room("r1")
    assert await a.room_ids() == ["r2", "r3"]


async def test_participants_keep_join_order_when_rewritten(
    stores: tuple[RoomStore, RoomStore],
) -> None:
    a, b = stores
    await a.put_room(room())
    ids = [f"p_{i:03d}" for i in range(150, 0, -1)]  # more than a small Redis hash holds
    for pid in ids:
        await a.put_participant(person(pid))
    admitted = person("p_100")
    admitted.state = ParticipantState.ADMITTED
    await a.put_participant(admitted)
    listed = await b.participants("r1")
    assert [p.id for p in listed] == ids
    assert next(p for p in listed if p.id == "p_100").state is ParticipantState.ADMITTED
    assert await b.participants("other") == []


async def test_resume_lookup_follows_the_current_token(
    stores: tuple[RoomStore, RoomStore],
) -> None:
    a, b = stores
    await a.put_room(room())
    await a.put_room(room("r2"))
    await a.put_participant(person("p_1", resume="old"))
    await a.put_participant(person("p_2", resume="other"))
    found = await b.find_by_resume("r1", "old")
    assert found is not None and found.id == "p_1"
    fresh = person("p_1", resume="new")  # a resume spends the old token
    await a.put_participant(fresh)
    assert await b.find_by_resume("r1", "old") is None
    again = await b.find_by_resume("r1", "new")
    assert again is not None and again.id == "p_1"
    gone = person("p_1", resume=None)  # left: no token at all
    await a.put_participant(gone)
    assert await b.find_by_resume("r1", "new") is None
    p2 = await b.find_by_resume("r1", "other")
    assert p2 is not None and p2.id == "p_2"
    assert await b.find_by_resume("r2", "other") is None


async def test_a_participant_needs_its_room(stores: tuple[RoomStore, RoomStore]) -> None:
    a, b = stores
    with pytest.raises(KeyError):
        await a.put_participant(person("p_1"))
    assert await b.participants("r1") == []


async def test_chat_is_bounded_and_delete_forgets_everything(
    stores: tuple[RoomStore, RoomStore],
) -> None:
    a, b = stores
    await a.put_room(room())
    await a.put_participant(person("p_1", resume="h"))
    for i in range(5):
        await a.append_chat("r1", ChatMessage("p_1", "Pak Sutrisno", f"pesan {i}", float(i)))
    assert [m.text for m in await b.chat("r1")] == ["pesan 2", "pesan 3", "pesan 4"]
    assert (await b.chat("r1"))[0] == ChatMessage("p_1", "Pak Sutrisno", "pesan 2", 2.0)
    await b.delete_room("r1")
    assert await a.get_room("r1") is None
    assert await a.participants("r1") == []
    assert await a.get_participant("r1", "p_1") is None
    assert await a.find_by_resume("r1", "h") is None
    assert await a.chat("r1") == []
    assert await a.room_ids() == []
