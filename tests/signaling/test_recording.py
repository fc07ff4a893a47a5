"""Recording (issue 10): only the host starts and stops it, everyone is told it is on, the
admitted participants' forwarded packets land in WebM files that decode, and a participant
waiting in the lobby is never recorded. Real aiortc peers on a real server."""

from __future__ import annotations

import asyncio

import av

from edge.keys import RECORDINGS
from signaling.client import ProtocolError
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, hosted_room, join_admitted, join_lobby, wait


def _recording_flag(person: Person) -> bool:
    return bool(person.client.state and person.client.state["room"].get("recording"))


async def test_only_the_host_records_and_the_lobby_is_never_recorded(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    lurah = await join_admitted(server, room, host, "Lurah Gondang")
    waiting = await join_lobby(server, room, "Lurah Tanon")
    people.extend([lurah, waiting])
    await waiting.start_media()  # connected from the lobby, sending media the server receives
    await lurah.frames(host, "video", 3)

    try:
        await lurah.client.call("host:record", {"on": True})
    except ProtocolError as exc:
        assert exc.code == "forbidden"
    else:
        raise AssertionError("a participant who is not the host started a recording")
    try:
        await host.client.call("host:record", {"on": "yes"})
    except ProtocolError as exc:
        assert exc.code == "invalid_request"
    else:
        raise AssertionError("a malformed host:record was accepted")

    ack = await host.client.call("host:record", {"on": True})
    assert ack == {"ok": True, "recording": True}
    await lurah.client.wait_until(lambda: _recording_flag(lurah), what="recording shown")
    await asyncio.sleep(4.0)
    ack = await host.client.call("host:record", {"on": False})
    assert ack["recording"] is False
    await lurah.client.wait_until(lambda: not _recording_flag(lurah), what="recording off")

    library = server.app[RECORDINGS]
    await wait(lambda: bool(library.of_room(room)), what="recording listed")
    meta = library.of_room(room)[0]
    assert meta.stopped_at is not None and meta.duration_s is not None
    assert 3.0 <= meta.duration_s <= 10.0
    recorded = {p.id for p in meta.participants}
    assert recorded == {host.id, lurah.id}, "the lobby participant was recorded"
    for person in (host, lurah):
        entry = next(p for p in meta.participants if p.id == person.id)
        assert entry.name == person.name
        path = library.file(room, meta.id, entry.file)
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        with av.open(str(path)) as container:
            audio = sum(1 for p in container.demux(audio=0) if p.size)
        assert frames >= 10, f"{person.name}: {frames} video frames recorded"
        assert audio >= 50, f"{person.name}: {audio} audio packets recorded"
