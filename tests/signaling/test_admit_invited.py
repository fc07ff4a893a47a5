"""`lobby:admit-invited`: the host admits everyone waiting from an invited site at once."""

from __future__ import annotations

import pytest

from signaling.client import ProtocolError
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, admit, create_room, join_host, join_lobby, wait

KECAMATAN = "33.14.06"  # invited kecamatan: its villages count as invited too
VILLAGE_OF_IT = "33.14.06.2002"
OTHER_VILLAGE = "33.14.15.2003"  # invited village
UNINVITED = "33.14.01"


async def test_host_admits_the_invited_and_others_keep_waiting(
    server: RunningServer, people: list[Person]
) -> None:
    room = await create_room(server, "Rapat akbar", [KECAMATAN, OTHER_VILLAGE])
    host = await join_host(server, room)
    people.append(host)
    lurah = await join_lobby(server, room, "Lurah Masaran", site=KECAMATAN)
    village = await join_lobby(server, room, "Kades Masaran", site=VILLAGE_OF_IT)
    tanon = await join_lobby(server, room, "Kades Tanon", site=OTHER_VILLAGE)
    outsider = await join_lobby(server, room, "Lurah Gondang", site=UNINVITED)
    nobody = await join_lobby(server, room, "Tamu", site=None)
    people.extend([lurah, village, tanon, outsider, nobody])
    await host.client.wait_until(lambda: len(host.client.lobby()) == 5, what="five waiting")

    # A participant (admitted, not a host) is refused: authorised on the server.
    await admit(host, lurah, media=False)
    await host.client.wait_until(lambda: len(host.client.lobby()) == 4, what="four waiting")
    with pytest.raises(ProtocolError) as refused:
        await lurah.client.call("lobby:admit-invited", {})
    assert refused.value.code == "forbidden"

    # Bad input: an ack with ok false, an error code and a message.
    ack = await host.client.request("lobby:admit-invited", ["not", "an", "object"])
    assert ack["ok"] is False and ack["error"] == "invalid_request" and ack["message"]

    admitted = await host.client.admit_invited()
    assert sorted(admitted) == sorted([village.id, tanon.id])
    for person in (village, tanon):
        await person.client.wait_event("lobby:result", lambda d: d["status"] == "admitted")
    await host.client.wait_until(
        lambda: {e["id"] for e in host.client.lobby()} == {outsider.id, nobody.id},
        what="only the uninvited still waiting",
    )
    room_state = await host.client.call("room:get", {})
    waiting = {e["id"] for e in room_state["state"]["lobby"]}
    assert waiting == {outsider.id, nobody.id}  # the server's word, not only the push

    # Nobody invited left in the lobby: nothing more to admit.
    assert await host.client.admit_invited() == []


async def test_a_session_without_invited_sites_says_so(
    server: RunningServer, people: list[Person]
) -> None:
    room = await create_room(server, "Rapat akbar", [])
    host = await join_host(server, room)
    people.append(host)
    ack = await host.client.request("lobby:admit-invited", {})
    assert ack == {
        "ok": False,
        "error": "not_found",
        "message": "This session has no invited sites.",
    }
    await wait(lambda: host.client.connected, what="still connected")
