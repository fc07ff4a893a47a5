"""``room:delta`` building (rooms.view_delta): each viewer's delta says what changed in its own
view, no more, and applying it to the view it builds on gives the view a fresh snapshot gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from rooms import Joiner, RoomService
from rooms.model import Participant, ParticipantRole, ParticipantState
from rooms.view_delta import (
    RoomDelta,
    apply_delta,
    diff,
    list_delta,
    needs_snapshot,
    personal_delta,
    sent,
)
from rooms.views import RoomView, personal_view, room_view
from tests.rooms.test_service import HOST, LURAH, clock, db, service  # noqa: F401  (fixtures)

Step = Callable[[], Awaitable[object]]


async def _state(rooms: RoomService, room_id: str) -> tuple[RoomView, dict[str, Participant]]:
    room = await rooms.room(room_id)
    everyone = await rooms.participants(room_id)
    return room_view(room, everyone, {}, {}), {p.id: p for p in everyone if p.active}


async def town_hall_steps(
    service: RoomService,  # noqa: F811
) -> list[tuple[str, dict[str, Any], RoomDelta | None, dict[str, Any]]]:
    """(viewer role, its view before, its delta, its fresh view after) for each step of a small
    town hall and each viewer whose view keeps its shape."""
    room = await service.create_room("Town hall", 1)
    host = (await service.join(room.id, HOST)).participant
    lurah = (await service.join(room.id, LURAH)).participant
    camat = (await service.join(room.id, Joiner("Bu Camat", site_code="33.14.01"))).participant
    await service.admit(room.id, host.id, lurah.id)
    await service.admit(room.id, host.id, camat.id)
    waiting = (await service.join(room.id, Joiner("Bu Sri"))).participant
    first = (await service.join(room.id, Joiner("Pak Dulu"))).participant
    late = (await service.join(room.id, Joiner("Pak Telat"))).participant
    steps: list[Step] = [
        lambda: service.set_media(room.id, lurah.id, mic=False, camera=None),
        lambda: service.raise_hand(room.id, camat.id, True),
        lambda: service.speaking(room.id, camat.id, True),
        lambda: service.set_receive(room.id, camat.id, False, auto="weak_link"),
        lambda: service.start_presenting(room.id, host.id),
        lambda: service.join(room.id, Joiner("Pak Baru")),  # the lobby grows
        lambda: service.lock(room.id, host.id, True),  # a room field
        lambda: service.disconnect(room.id, lurah.id),
        lambda: service.leave(room.id, camat.id),  # gone from the list
        lambda: service.admit(room.id, host.id, late.id),
        lambda: service.admit(room.id, host.id, first.id),  # listed before late: "order"
    ]
    roles = {host.id: "host", lurah.id: "participant", camat.id: "participant", waiting.id: "lobby"}
    out: list[tuple[str, dict[str, Any], RoomDelta | None, dict[str, Any]]] = []
    shared, people = await _state(service, room.id)
    for version, step in enumerate(steps, start=1):
        await step()
        new_shared, new_people = await _state(service, room.id)
        change = diff(shared, new_shared)
        for pid, role in roles.items():
            before, after = people.get(pid), new_people.get(pid)
            if before is None or after is None or needs_snapshot(sent(before, 0), after):
                continue
            delta = personal_delta(change, after, sent(before, version - 1), version)
            out.append(
                (role, personal_view(shared, before), delta, personal_view(new_shared, after))
            )
        shared, people = new_shared, new_people
    return out


async def test_applying_each_viewers_delta_gives_its_fresh_view(
    service: RoomService,  # noqa: F811
) -> None:
    cases = await town_hall_steps(service)
    assert {role for role, *_ in cases} == {"host", "participant", "lobby"}
    for role, before, delta, after in cases:
        if delta is None:
            assert before == after, role
            continue
        assert apply_delta({**before, "version": delta["base"]}, delta) == {
            **after,
            "version": delta["version"],
        }, (role, delta)


async def test_a_delta_tells_each_viewer_no_more_than_its_view(
    service: RoomService,  # noqa: F811
) -> None:
    cases = await town_hall_steps(service)
    for role, _before, delta, _after in cases:
        if delta is None:
            continue
        if role == "lobby":  # the room and itself only, as its room:state
            assert set(delta) <= {"base", "version", "room"}, delta
        if role != "host":
            assert "lobby" not in delta, delta
    host_lobby = [d for role, _, d, _ in cases if role == "host" and d and "lobby" in d]
    assert host_lobby, "the host is told the lobby grew"
    assert any("order" in d.get("participants", {}) for _, _, d, _ in cases if d)
    lobby_told = [d for role, _, d, _ in cases if role == "lobby" and d]
    assert lobby_told and all("room" in d for d in lobby_told)  # only the lock reached it


async def test_a_mute_sends_only_that_participants_entry(
    service: RoomService,  # noqa: F811
) -> None:
    room = await service.create_room("Town hall", 1)
    host = (await service.join(room.id, HOST)).participant
    sites = [(await service.join(room.id, Joiner(f"Lurah {i}"))).participant for i in range(20)]
    for p in sites:
        await service.admit(room.id, host.id, p.id)
    shared, people = await _state(service, room.id)
    await service.set_media(room.id, sites[3].id, mic=False, camera=None)
    new_shared, new_people = await _state(service, room.id)
    delta = personal_delta(
        diff(shared, new_shared), new_people[sites[7].id], sent(people[sites[7].id], 4), 5
    )
    assert delta is not None
    assert delta["base"] == 4 and delta["version"] == 5
    assert set(delta) == {"base", "version", "participants"}
    assert [e["id"] for e in delta["participants"]["set"]] == [sites[3].id]
    assert delta["participants"]["set"][0]["mic"] is False
    assert delta["participants"]["gone"] == [] and "order" not in delta["participants"]


def test_list_delta_says_the_order_only_when_appending_would_not_give_it() -> None:
    a, b, c = ({"id": x, "v": 0} for x in "abc")
    assert list_delta([a, b], [a, b]) is None
    assert list_delta([a, b], [a, b, c]) == {"set": [c], "gone": []}
    assert list_delta([a, c], [a, b, c]) == {"set": [b], "gone": [], "order": ["a", "b", "c"]}
    assert list_delta([a, b, c], [c, b]) == {"set": [], "gone": ["a"], "order": ["c", "b"]}


def test_a_changed_shape_needs_a_snapshot() -> None:
    waiting = Participant("p", "r", "Bu Sri", ParticipantRole.PARTICIPANT, ParticipantState.LOBBY)
    admitted = replace(waiting, state=ParticipantState.ADMITTED)
    assert needs_snapshot(None, waiting)  # never given a version
    assert not needs_snapshot(sent(waiting, 3), waiting)
    assert needs_snapshot(sent(waiting, 3), admitted)  # its view grows the room's lists
    assert not needs_snapshot(sent(admitted, 3), replace(admitted, mic=False))
