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
from tests.signaling.test_presenting import Share, _presenting


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


async def test_a_screen_share_is_recorded_as_its_own_file(
    server: RunningServer, people: list[Person]
) -> None:
    """A share running when recording starts, and one started during it, each get a file of
    their own (video only, no transcoding) placed on the recording's clock, marked as whose
    screen it is."""
    room, host = await hosted_room(server, people)
    lurah = await join_admitted(server, room, host, "Lurah Gondang")
    people.append(lurah)
    await lurah.frames(host, "video", 3)
    library = server.app[RECORDINGS]
    first, second = Share(host), Share(host)
    try:
        share = (await first.start())["share"]
        assert lurah.peer is not None
        await lurah.peer.wait_frames(share, "video", 3, 30.0)
        await host.client.call("host:record", {"on": True})
        # recording.json is written as each file starts: the running share is in it at once
        await wait(
            lambda: any(
                p.screen_of == host.id for m in library.of_room(room) for p in m.participants
            ),
            what="the running share recorded",
        )
        await lurah.peer.wait_frames(share, "video", 10, 30.0)  # while recording
        await host.client.call("present:stop", {})
        await lurah.client.wait_until(lambda: _presenting(lurah) is None, what="stopped")
        await first.close()

        await lurah.frames(host, "video", 10)  # a stretch without a share
        share = (await second.start())["share"]  # started while recording
        await lurah.peer.wait_frames(share, "video", 15, 30.0)
        await host.client.call("present:stop", {})
        await lurah.client.wait_until(lambda: _presenting(lurah) is None, what="stopped")
        await lurah.frames(host, "video", 5)
        await host.client.call("host:record", {"on": False})
    finally:
        await first.close()
        await second.close()

    await wait(
        lambda: bool(library.of_room(room)) and library.of_room(room)[0].stopped_at is not None,
        what="recording stopped",
    )
    meta = library.of_room(room)[0]
    assert meta.duration_s is not None
    screens = [p for p in meta.participants if p.screen_of is not None]
    people_files = {p.id for p in meta.participants if p.screen_of is None}
    assert people_files == {host.id, lurah.id}
    assert [p.id for p in screens] == [f"{host.id}.screen"] * 2, meta.participants
    assert [p.file for p in screens] == [f"{host.id}.screen.webm", f"{host.id}.screen-2.webm"]
    one, two = screens
    assert one.screen_of == host.id and one.name == host.name
    assert one.end_s is not None and two.end_s is not None
    assert one.start_s <= one.end_s <= two.start_s < two.end_s <= meta.duration_s
    for entry in screens:
        path = library.file(room, meta.id, entry.file)
        with av.open(str(path)) as container:
            assert container.streams.video[0].codec_context.name == "vp8"
            frames = sum(1 for _ in container.decode(video=0))
        with av.open(str(path)) as container:
            audio = sum(1 for p in container.demux(audio=0) if p.size)
        assert frames >= 5, f"{entry.file}: {frames} video frames recorded"
        assert audio == 0, "a share has no sound"
