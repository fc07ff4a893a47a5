"""The in-memory RoomStore: copies in and out, like a shared store."""

from __future__ import annotations

import pytest

from rooms.memory import MemoryRoomStore
from rooms.model import (
    ChatMessage,
    Participant,
    ParticipantRole,
    ParticipantState,
    Room,
    SessionState,
)


def room() -> Room:
    return Room("r1", "Rapat", SessionState.OPEN, 1, 0.0)


def person(pid: str, resume: str | None = None) -> Participant:
    return Participant(
        pid, "r1", pid, ParticipantRole.PARTICIPANT, ParticipantState.LOBBY, resume_hash=resume
    )


async def test_rooms_and_participants_are_copies() -> None:
    store = MemoryRoomStore()
    r = room()
    await store.put_room(r)
    r.title = "changed outside"
    stored = await store.get_room("r1")
    assert stored is not None and stored.title == "Rapat"
    p = person("p_1")
    await store.put_participant(p)
    p.state = ParticipantState.ADMITTED
    again = await store.get_participant("r1", "p_1")
    assert again is not None and again.state is ParticipantState.LOBBY
    assert await store.room_ids() == ["r1"]


async def test_participants_in_join_order_and_resume_lookup() -> None:
    store = MemoryRoomStore()
    await store.put_room(room())
    for pid in ("p_2", "p_1", "p_3"):
        await store.put_participant(person(pid, resume=f"hash-{pid}"))
    assert [p.id for p in await store.participants("r1")] == ["p_2", "p_1", "p_3"]
    found = await store.find_by_resume("r1", "hash-p_1")
    assert found is not None and found.id == "p_1"
    assert await store.find_by_resume("r1", "nope") is None
    assert await store.find_by_resume("other", "hash-p_1") is None


async def test_participant_needs_its_room() -> None:
    with pytest.raises(KeyError):
        await MemoryRoomStore().put_participant(person("p_1"))


async def test_chat_history_is_bounded_and_delete_forgets_all() -> None:
    store = MemoryRoomStore(chat_history=3)
    await store.put_room(room())
    await store.put_participant(person("p_1"))
    for i in range(5):
        await store.append_chat("r1", ChatMessage("p_1", "Pak", f"m{i}", float(i)))
    assert [m.text for m in await store.chat("r1")] == ["m2", "m3", "m4"]
    await store.delete_room("r1")
    assert await store.get_room("r1") is None
    assert await store.participants("r1") == []
    assert await store.chat("r1") == []
