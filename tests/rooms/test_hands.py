"""Raised hands: the queue's order, who may raise, lower and give the floor."""

from __future__ import annotations

from rooms import Joiner, RoomService
from rooms.hands import queue
from tests.rooms.test_service import HOST, Clock, clock, code_of, db, service

__all__ = ["clock", "db", "service"]  # fixtures


async def _room_with(service: RoomService, names: list[str]) -> tuple[str, str, list[str]]:
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    ids = []
    for name in names:
        p = (await service.join(room.id, Joiner(name, site_code="33.14.06"))).participant
        await service.admit(room.id, host.id, p.id)
        ids.append(p.id)
    return room.id, host.id, ids


async def queue_of(service: RoomService, room: str) -> list[str]:
    return queue(await service.participants(room))


async def test_hands_queue_in_the_order_raised(service: RoomService, clock: Clock) -> None:
    room, _host, (a, b, c) = await _room_with(service, ["A", "B", "C"])
    for who in (c, a, b):
        clock.now += 1
        await service.raise_hand(room, who, True)
    assert await queue_of(service, room) == [c, a, b]
    clock.now += 1
    await service.raise_hand(room, c, True)  # raising again keeps the place
    assert await queue_of(service, room) == [c, a, b]
    await service.raise_hand(room, c, False)
    clock.now += 1
    await service.raise_hand(room, c, True)  # down and up again: to the end
    assert await queue_of(service, room) == [a, b, c]


async def test_only_the_host_lowers_or_gives_the_floor(service: RoomService, clock: Clock) -> None:
    room, host, (a, b) = await _room_with(service, ["A", "B"])
    await service.raise_hand(room, a, True)
    clock.now += 1
    await service.raise_hand(room, b, True)
    assert await code_of(service.lower_hand(room, b, a)) == "forbidden"
    assert await code_of(service.give_floor(room, b, b)) == "forbidden"
    await service.mute(room, host, a, hard=True)
    given = await service.give_floor(room, host, a)
    assert given.mic and not given.hard_muted and given.hand_raised_at is None
    # the floor holder's audio gets a slot whenever they speak (media/loudest.py priority)
    assert (await service.room(room)).floor == a
    await service.lower_hand(room, host, b)
    assert await queue_of(service, room) == []
    await service.give_floor(room, host, b)
    assert (await service.room(room)).floor == b  # one floor at a time


async def test_lobby_cannot_raise_and_leaving_drops_the_hand(
    service: RoomService, clock: Clock
) -> None:
    room, host, (a,) = await _room_with(service, ["A"])
    waiting = (await service.join(room, Joiner("D", site_code="33.14.06"))).participant
    assert await code_of(service.raise_hand(room, waiting.id, True)) == "not_admitted"
    await service.raise_hand(room, a, True)
    await service.leave(room, a)
    assert await queue_of(service, room) == []
    assert await code_of(service.give_floor(room, host, a)) == "not_found"
