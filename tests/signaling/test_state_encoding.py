"""``room:state`` built once per room and encoded from shared parts (signaling.fanout) is
exactly what encoding each person's own snapshot gives (rooms.views.snapshot)."""

from __future__ import annotations

import json

import pytest

import signaling.fanout
from rooms import Joiner, RoomService
from rooms.model import Participant
from rooms.sites import BuiltinSites, site_and_parent
from rooms.view_delta import diff, personal_delta, sent
from rooms.views import RoomView, personal_view, room_view, snapshot
from signaling.fanout import SharedEncoder
from tests.rooms.test_service import HOST, LURAH, clock, db, service  # noqa: F401  (fixtures)


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


async def test_every_view_encodes_as_its_own_snapshot(service: RoomService) -> None:  # noqa: F811
    room = await service.create_room("Town hall", 1)
    host = (await service.join(room.id, HOST)).participant
    lurah = (await service.join(room.id, LURAH)).participant
    camat = (await service.join(room.id, Joiner("Bu Camat", site_code="33.14.01"))).participant
    waiting = (await service.join(room.id, Joiner("Bu Sri \u00e9"))).participant
    gone = (await service.join(room.id, Joiner("Pak Dropped"))).participant
    for p in (lurah, camat, gone):
        await service.admit(room.id, host.id, p.id)
    await service.raise_hand(room.id, camat.id, True)
    await service.raise_hand(room.id, lurah.id, True)
    await service.set_media(room.id, lurah.id, mic=False, camera=None)
    await service.set_receive(room.id, camat.id, False, auto="weak_link")
    await service.start_presenting(room.id, host.id)
    await service.speaking(room.id, camat.id, True)
    await service.disconnect(room.id, gone.id)

    current = await service.room(room.id)
    everyone = await service.participants(room.id)
    sites = {}
    for code in ("33.14.06", "33.14.01"):
        site, parent = await site_and_parent(BuiltinSites(), code)
        assert site is not None
        sites[code] = site
        if parent is not None:
            sites[parent.code] = parent
    shared = room_view(current, everyone, sites, {})
    encoder = SharedEncoder(shared)
    viewers = [p for p in everyone if p.active]
    assert {p.id for p in viewers} == {host.id, lurah.id, camat.id, waiting.id, gone.id}
    for viewer in viewers:
        own = snapshot(current, everyone, viewer, sites, {})
        view = personal_view(shared, viewer)
        assert encoder.encode(view) == compact(own)
        # an admission's message wraps the view: the same bytes as encoding it whole
        admitted = {"status": "admitted", "room": view, "tracks": {"2": {"kind": "audio"}}}
        assert encoder.encode(admitted) == compact({**admitted, "room": own})
    host_view = json.loads(encoder.encode(personal_view(shared, host)))
    assert [p["id"] for p in host_view["lobby"]] == [waiting.id]
    assert set(host_view["hands"]) == {camat.id, lurah.id}
    assert "lobby" not in json.loads(encoder.encode(personal_view(shared, lurah)))
    assert json.loads(encoder.encode(personal_view(shared, waiting)))["participants"] == []


async def test_a_push_encodes_its_changes_once_and_each_page_gets_its_own_delta(
    service: RoomService,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A town hall's push: the changed participants' entries are JSON-encoded once for all the
    pages (it was once per page: 229 encodings of the same entry each tick), pages whose deltas
    are alike share one encoding, and every page's bytes are still exactly its own delta's."""
    room = await service.create_room("Town hall", 1)
    host = (await service.join(room.id, HOST)).participant
    sites = [(await service.join(room.id, Joiner(f"Site {i}"))).participant for i in range(20)]
    for p in sites:
        await service.admit(room.id, host.id, p.id)
    waiting = (await service.join(room.id, Joiner("Bu Sri \u00e9"))).participant

    async def view() -> tuple[RoomView, list[Participant]]:
        current = await service.room(room.id)
        everyone = await service.participants(room.id)
        return room_view(current, everyone, {}, {}), [p for p in everyone if p.active]

    before, _ = await view()
    given = {p.id: sent(p, 1) for p in (await view())[1]}
    await service.set_media(room.id, sites[3].id, mic=False, camera=None)
    await service.raise_hand(room.id, sites[5].id, True)
    await service.set_receive(room.id, sites[7].id, False, auto="weak_link")
    shared, active = await view()
    change = diff(before, shared)
    assert change.participants is not None

    encoded: list[object] = []

    def counting(value: object) -> str:
        encoded.append(value)
        return compact(value)

    monkeypatch.setattr(signaling.fanout, "_dumps", counting)
    encoder = SharedEncoder(shared, change)
    messages = {}
    for p in active:
        delta = personal_delta(change, p, given[p.id], 2)
        if delta is not None:
            messages[p.id] = encoder.encode(delta)
            assert messages[p.id] == compact(delta), p.name
    # the lobby is sent room fields only (none changed): nothing
    assert set(messages) == {p.id for p in active} - {waiting.id}
    assert sum(1 for v in encoded if v is change.participants) == 1
    assert sum(1 for v in encoded if v is change.hands) == 1
    # the host and the sites share one message; site 7's has its own ``receive``
    assert len(set(messages.values())) == 2
    assert json.loads(messages[sites[7].id])["receive"] == {"video": False, "auto": "weak_link"}
    assert messages[host.id] == messages[sites[0].id]
