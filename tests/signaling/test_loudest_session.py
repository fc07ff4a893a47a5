"""Audio for hundreds through the real server: in a session of a host and four sites every page
holds three audio m-lines (audio_speakers = 3), and the host's audio is always among them."""

from __future__ import annotations

from media.testing import ClientPeer
from tests.conftest import RunningServer
from tests.signaling.meeting import Person, hosted_room, join_admitted, wait


def audio_mids(peer: ClientPeer) -> set[str]:
    return {mid for mid, info in peer.tracks.items() if info["kind"] == "audio"}


def hears(peer: ClientPeer, participant: str) -> bool:
    return any(
        info["participant"] == participant and info["kind"] == "audio"
        for info in peer.tracks.values()
    )


async def test_four_sites_each_page_three_audio_tracks_with_the_host(
    server: RunningServer, people: list[Person]
) -> None:
    room, host = await hosted_room(server, people)
    sites = []
    for name in ("Lurah Gondang", "Lurah Tanon", "Lurah Jenar", "Lurah Miri"):
        person = await join_admitted(server, room, host, name)
        people.append(person)
        sites.append(person)
    # Every synthetic microphone sends the same loud tone: all five speak at once.
    for site in sites:
        assert site.peer is not None
        peer = site.peer
        await wait(lambda p=peer: hears(p, host.id), within=30, what="the host heard")
        await site.frames(host, "audio", 10)
        await wait(lambda p=peer: len(audio_mids(p)) == 3, within=30, what="three audio mids")
    assert host.peer is not None
    hp = host.peer
    await wait(lambda: len(audio_mids(hp)) == 3, within=30, what="the host: three audio mids")
    heard = {info["participant"] for info in hp.tracks.values() if info["kind"] == "audio"}
    assert heard <= {s.id for s in sites} and len(heard) == 3
    for site in sites:
        assert site.peer is not None
        assert len(audio_mids(site.peer)) == 3  # never four others to mix
