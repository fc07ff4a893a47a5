"""``room:state`` built once per room and encoded from shared parts (signaling.fanout) is
exactly what encoding each person's own snapshot gives (rooms.views.snapshot)."""

from __future__ import annotations

import json

from rooms import Joiner, RoomService
from rooms.sites import BuiltinSites, site_and_parent
from rooms.views import personal_view, room_view, snapshot
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
