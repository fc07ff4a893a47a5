"""Presenting's rules (rooms.presenting) in RoomService and in the forwarding plan."""

from __future__ import annotations

from rooms import Joiner, ParticipantState, RoomService
from rooms.forwarding import VIDEO_ONLY, plan, reservations
from rooms.model import Participant, ParticipantRole
from rooms.presenting import share_id
from rooms.views import snapshot

from .test_forwarding import people
from .test_service import HOST, LURAH, clock, code_of, db, service  # noqa: F401  (fixtures)


def test_the_share_goes_as_video_to_everyone_present_but_its_presenter() -> None:
    room = people(1, 3, s2=ParticipantState.LOBBY, s1=ParticipantState.DISCONNECTED)
    result = plan(room, [], presenter="s0")
    shared = {sub for (sub, pub), kinds in result.items() if pub == "s0.screen"}
    assert shared == {"h0", "s1"}  # not the presenter, not the lobby; a dropped seat keeps it
    assert all(result[(sub, "s0.screen")] == VIDEO_ONLY for sub in shared)
    # a lobby participant's connection holds a slot for it, so admission needs no offer
    assert reservations(room, [], presenter="s0")["s2"]["video"] == 4
    assert reservations(room, [])["s2"]["video"] == 3
    # a presenter no longer present shares nothing
    assert not any(pub == "s2.screen" for _s, pub in plan(room, [], presenter="s2"))


def test_share_id_is_no_participant_id() -> None:
    assert share_id("p_0123456789") == "p_0123456789.screen"


async def test_who_may_present_and_one_at_a_time(service: RoomService) -> None:  # noqa: F811
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    a = (await service.join(room.id, LURAH)).participant
    b = (await service.join(room.id, Joiner("Bu Sri"))).participant
    await service.admit(room.id, host.id, a.id)
    assert await code_of(service.start_presenting(room.id, b.id)) == "not_admitted"  # lobby
    await service.admit(room.id, host.id, b.id)
    assert await code_of(service.start_presenting(room.id, a.id)) == "forbidden"
    assert await code_of(service.allow_present(room.id, a.id, b.id, True)) == "forbidden"
    assert await code_of(service.allow_present(room.id, host.id, host.id, True)) == (
        "invalid_request"
    )
    await service.allow_present(room.id, host.id, a.id, True)
    await service.allow_present(room.id, host.id, b.id, True)
    assert await service.start_presenting(room.id, a.id) is None
    assert (await service.room(room.id)).presenter == a.id
    assert await code_of(service.start_presenting(room.id, b.id)) == "forbidden"  # busy
    assert await code_of(service.stop_presenting(room.id, b.id)) == "forbidden"
    # the host takes over and is told whom from
    taken = await service.start_presenting(room.id, host.id)
    assert taken is not None and taken.id == a.id
    stopped = await service.stop_presenting(room.id, host.id)
    assert stopped is not None and stopped.id == host.id
    assert await service.stop_presenting(room.id, host.id) is None  # nothing to stop


async def test_the_share_ends_with_leave_drop_removal_or_revocation(
    service: RoomService,  # noqa: F811
) -> None:
    room = await service.create_room("Rapat", 1)
    first = await service.join(room.id, HOST)
    host, host_token = first.participant, first.resume_token
    a = (await service.join(room.id, LURAH)).participant
    await service.admit(room.id, host.id, a.id)
    await service.allow_present(room.id, host.id, a.id, True)

    async def presenter() -> str | None:
        return (await service.room(room.id)).presenter

    await service.start_presenting(room.id, a.id)
    _p, stopped = await service.allow_present(room.id, host.id, a.id, False)
    assert stopped and await presenter() is None
    await service.allow_present(room.id, host.id, a.id, True)
    await service.start_presenting(room.id, a.id)
    await service.disconnect(room.id, a.id)
    assert await presenter() is None
    # a page that comes back (reload, even before its old socket was noticed gone) has no share
    await service.start_presenting(room.id, host.id)
    again = await service.join(room.id, HOST, resume=host_token)
    assert again.resumed and again.replaced
    assert await presenter() is None
    await service.start_presenting(room.id, host.id)
    await service.leave(room.id, host.id)
    assert await presenter() is None


async def test_the_state_says_who_presents(service: RoomService) -> None:  # noqa: F811
    room = await service.create_room("Rapat", 1)
    host = (await service.join(room.id, HOST)).participant
    await service.start_presenting(room.id, host.id)
    everyone = await service.participants(room.id)
    view = snapshot(await service.room(room.id), everyone, host, {}, {})
    assert view["presenting"] == {
        "participant": host.id,
        "name": "Bupati",
        "share": share_id(host.id),
    }
    assert view["participants"][0]["may_present"] is True
    lurah = Participant(
        "p_x", room.id, "Lurah", ParticipantRole.PARTICIPANT, ParticipantState.LOBBY
    )
    assert "presenting" not in snapshot(await service.room(room.id), everyone, lurah, {}, {})
