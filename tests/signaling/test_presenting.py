"""Presenting (issue 10 item 4): a screen share is a publication of its own, on a connection of
its own, forwarded as its own track to every admitted participant — never to the lobby; only
the host, or a participant the host allows, presents; one at a time; leaving ends it. Real
aiortc peers on a real server (ICE on 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from media.testing import ClientPeer
from signaling.client import ProtocolError
from signaling.meeting import MEETING
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, admit, hosted_room, join_lobby, wait

SHARE_FPS = 5.0


class Share:
    """What a page's share connection is: one sendonly video track, answered by present:start."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.peer = ClientPeer(f"{person.name} (layar)")
        self.peer.publish(audio=False, video=True, width=320, height=240, fps=SHARE_FPS)

    async def start(self) -> dict[str, Any]:
        ack = await self.person.client.call("present:start", {"sdp": await self.peer.offer()})
        await self.peer.accept(ack["sdp"])
        return ack

    async def close(self) -> None:
        await self.peer.close()


def _presenting(person: Person) -> Any:
    return (person.client.state or {}).get("presenting")


async def _refused(person: Person, event: str, payload: Any, code: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        await person.client.call(event, payload)
    assert caught.value.code == code, caught.value
    return str(caught.value)


async def test_a_share_reaches_every_admitted_participant_and_no_lobby_peer(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    gondang = await join_lobby(server, room, "Lurah Gondang")
    tanon = await join_lobby(server, room, "Lurah Tanon")
    waiting = await join_lobby(server, room, "Lurah Jenar")
    people.extend([gondang, tanon, waiting])
    await admit(host, gondang)
    await admit(host, tanon)
    await waiting.start_media()  # its connection is up in the lobby
    await host.client.wait_until(
        lambda: any(e["id"] == waiting.id for e in host.client.lobby()), what="lobby entry"
    )
    await gondang.frames(host, "video", 3)

    share = Share(host)
    try:
        ack = await share.start()
        share_id = ack["share"]
        assert share_id != host.id
        # Everyone admitted decodes the share as a track of its own, beside the host's camera.
        for person in (gondang, tanon):
            assert person.peer is not None
            await person.peer.wait_frames(share_id, "video", 5, 30.0)
            await person.frames(host, "video", 3)
            await person.client.wait_until(
                lambda p=person: (_presenting(p) or {}).get("share") == share_id,
                what=f"{person.name} sees who presents",
            )
        assert _presenting(gondang)["participant"] == host.id
        assert _presenting(gondang)["name"] == "Bupati"
        # The lobby peer: nothing of the share, nor a track map naming it.
        assert waiting.peer is not None
        assert waiting.peer.from_participant(share_id, "video") is None
        assert all(t["participant"] != share_id for t in waiting.peer.tracks.values())
        assert "presenting" not in (waiting.client.state or {})

        # Admitted late: its view says who presents, and the share arrives on its connection.
        await host.client.admit(waiting.id)
        result = await waiting.client.wait_event(
            "lobby:result", lambda d: d["status"] == "admitted"
        )
        assert result["room"]["presenting"]["share"] == share_id
        await waiting.peer.wait_frames(share_id, "video", 5, 30.0)

        # Stopping ends the share for everyone.
        await host.client.call("present:stop", {})
        await gondang.client.wait_until(lambda: _presenting(gondang) is None, what="stopped")
        sfu = server.app[MEETING].bridge.sfu
        await wait(lambda: share_id not in sfu._peers, what="share connection closed")
    finally:
        await share.close()


async def test_permission_one_presenter_and_stop_on_leave(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    gondang = await join_lobby(server, room, "Lurah Gondang")
    tanon = await join_lobby(server, room, "Lurah Tanon")
    people.extend([gondang, tanon])
    await admit(host, gondang)
    await admit(host, tanon)
    shares: list[Share] = []
    try:
        # Not allowed: refused, and nobody presents.
        mine = Share(gondang)
        shares.append(mine)
        message = await _refused(
            gondang, "present:start", {"sdp": await mine.peer.offer()}, "forbidden"
        )
        assert "not allowed" in message
        assert _presenting(host) is None
        # Host actions are the host's; bad input is refused with a code, not an error.
        await _refused(
            gondang, "host:present-allow", {"participant": tanon.id, "allowed": True}, "forbidden"
        )
        await _refused(host, "host:present-allow", {"participant": gondang.id}, "invalid_request")
        await _refused(
            host, "host:present-allow", {"participant": "p_nobody", "allowed": True}, "not_found"
        )
        await _refused(host, "host:present-allow", "yes", "invalid_request")

        # A share whose offer is not SDP is refused, and nobody presents.
        await _refused(host, "present:start", {"sdp": "v=0\r\nnot sdp\r\n"}, "invalid_sdp")
        await host.client.wait_until(lambda: _presenting(host) is None, what="no presenter")

        # The host allows the lurah; the state says so.
        await host.client.call("host:present-allow", {"participant": gondang.id, "allowed": True})
        await gondang.client.wait_until(
            lambda: (gondang.client.participant("Lurah Gondang") or {}).get("may_present") is True,
            what="may_present",
        )
        # One presenter at a time: while the host presents, the lurah is refused ...
        host_share = Share(host)
        shares.append(host_share)
        await host_share.start()
        message = await _refused(
            gondang, "present:start", {"sdp": await Share(gondang).peer.offer()}, "forbidden"
        )
        assert "Bupati is presenting" in message
        await host.client.call("present:stop", {})

        # ... and presents once the host stopped; everyone else receives the lurah's share.
        mine = Share(gondang)
        shares.append(mine)
        share_id = (await mine.start())["share"]
        for person in (host, tanon):
            assert person.peer is not None
            await person.peer.wait_frames(share_id, "video", 5, 30.0)
        await tanon.client.wait_until(
            lambda: (_presenting(tanon) or {}).get("participant") == gondang.id, what="presenter"
        )

        # The presenter leaves: the share ends for everyone.
        await gondang.client.leave()
        await tanon.client.wait_until(lambda: _presenting(tanon) is None, what="share ended")
        sfu = server.app[MEETING].bridge.sfu
        await wait(lambda: share_id not in sfu._peers, what="share connection closed")
    finally:
        for share in shares:
            await share.close()


async def test_revoking_permission_stops_the_share(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    gondang = await join_lobby(server, room, "Lurah Gondang")
    people.append(gondang)
    await admit(host, gondang)
    await host.client.call("host:present-allow", {"participant": gondang.id, "allowed": True})
    mine = Share(gondang)
    try:
        await mine.start()
        await host.client.wait_until(lambda: _presenting(host) is not None, what="presenting")
        await host.client.call("host:present-allow", {"participant": gondang.id, "allowed": False})
        stopped = await gondang.client.wait_event("present:stopped")
        assert stopped == {"reason": "revoked"}
        await host.client.wait_until(lambda: _presenting(host) is None, what="share stopped")
    finally:
        await mine.close()
