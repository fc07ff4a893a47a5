"""One session over two workers (media/cascade.py): real peer connections on both, packets
relayed between them over loopback UDP, calls and events over the workers' Unix sockets.

Both workers run in this test's event loop, each as ``pendopo run --workers 2`` builds it
(``cascade.build``): worker A serves the room (its cascade is the bridge's SFU), worker B only
lends its SFU. The clients are aiortc peers that decode what they get.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from media import MediaSettings
from media.cascade import Cascade, build
from media.loudest import LoudestSettings
from media.testing import LOOPBACK, ClientPeer, LoopbackEvents, connect, wait_for

BOTH = frozenset({"audio", "video"})


@dataclass
class TwoWorkers:
    a: Cascade
    b: Cascade
    events: LoopbackEvents
    clients: list[ClientPeer]

    def client(self, name: str, **kwargs: object) -> ClientPeer:
        client = ClientPeer(name, **kwargs)  # type: ignore[arg-type]
        self.events.clients[name] = client
        self.clients.append(client)
        return client


@pytest.fixture
async def workers(tmp_path: Path) -> AsyncIterator[TwoWorkers]:
    settings = MediaSettings(host_addresses=LOOPBACK, loudest=LoudestSettings(limit=0))
    async with two_workers(tmp_path, settings) as both:
        yield both


@contextlib.asynccontextmanager
async def two_workers(tmp_path: Path, settings: MediaSettings) -> AsyncIterator[TwoWorkers]:
    first, second = tmp_path / "w1.sock", tmp_path / "w2.sock"
    events = LoopbackEvents()
    a = build(settings, [first, second], events)
    b = build(settings, [second, first], LoopbackEvents())
    events.sfu = a
    await a.start()
    await b.start()
    both = TwoWorkers(a, b, events, [])
    try:
        await wait_for(lambda: a.workers[1].up and b.workers[1].up, 10, what="linked")
        yield both
    finally:
        for client in both.clients:
            await client.close()
        await a.close()
        await b.close()
        await events.close()


async def host_and_site(workers: TwoWorkers) -> dict[str, ClientPeer]:
    """A host connected to worker A and a site placed on worker B, both publishing."""
    peers = {}
    for name in ("host", "site1"):
        peer = workers.client(name, keep_times=False)
        peer.publish(audio=True, video=True, width=160, height=120, fps=10)
        await connect(workers.a, name, peer)
        peers[name] = peer
    assert workers.a.placed("site1") == 1
    return peers


async def test_a_session_over_two_workers_reaches_everyone(workers: TwoWorkers) -> None:
    a = workers.a
    names = ["host", "site1", "site2", "site3"]
    peers = {}
    for name in names:
        peer = workers.client(name, keep_times=False)
        peer.publish(audio=True, video=True, width=160, height=120, fps=10)
        await connect(a, name, peer)
        peers[name] = peer
    # Placed by count: the host here, then the other worker, then alternately.
    assert [a.placed(n) for n in names] == [0, 1, 0, 1]
    await wait_for(lambda: all(p.state == "connected" for p in peers.values()), what="connected")
    for site in names[1:]:
        await a.subscribe(site, "host", BOTH)
        await a.subscribe("host", site, BOTH)
    await a.subscribe("site1", "site2", BOTH)  # B's subscriber of A's publisher
    await a.subscribe("site2", "site3", BOTH)  # A's subscriber of B's publisher

    host = peers["host"]
    for site in names[1:]:
        video = await peers[site].wait_frames("host", "video", 5, within=30)
        assert (video.width, video.height) == (160, 120)
        await peers[site].wait_frames("host", "audio", 10, within=30)
        await host.wait_frames(site, "video", 5, within=30)
        await host.wait_frames(site, "audio", 10, within=30)
    await peers["site1"].wait_frames("site2", "video", 5, within=30)
    await peers["site2"].wait_frames("site3", "video", 5, within=30)

    # The media of site1 and site3 went through worker B's SFU; each relayed stream crosses
    # once, whatever the number of subscribers there.
    local, other = a.local.stats(), workers.b.local.stats()
    assert local.peers == 2 + 2  # its two connections + the two relayed publishers
    assert other.connected_peers == 2 and other.slots > 0
    assert other.forwarded["video"].packets > 0 and local.forwarded["video"].packets > 0
    assert not workers.events.errors


async def test_mute_and_forget_reach_the_other_worker(workers: TwoWorkers) -> None:
    a = workers.a
    peers = await host_and_site(workers)
    await a.subscribe("site1", "host", BOTH)
    site = peers["site1"]
    await site.wait_frames("host", "video", 3, within=30)

    a.set_forwarding("host", "video", False)
    await wait_for(lambda: ("host", "video") in workers.b.local._disabled, 5, what="muted on B")
    a.set_forwarding("host", "video", True)
    await site.wait_frames("host", "video", 3, within=30)

    await a.forget("host")
    await wait_for(lambda: "host" not in workers.b.local._peers, 5, what="forgotten on B")
    assert a.placed("host") is None


async def test_a_camera_nobody_sees_on_the_other_worker_is_told_to_pause(tmp_path: Path) -> None:
    """``video_seen`` of a publisher connected to worker B reaches the bridge's events over
    the workers' link, both ways."""
    settings = MediaSettings(
        host_addresses=LOOPBACK, loudest=LoudestSettings(limit=0), pause_unseen_after=1.0
    )
    async with two_workers(tmp_path, settings) as workers:
        a = workers.a
        peers = await host_and_site(workers)
        await a.subscribe("site1", "host", BOTH)
        await a.subscribe("host", "site1", frozenset({"audio"}))  # heard, not seen
        await peers["site1"].wait_frames("host", "video", 3, within=30)
        told = workers.events.seen
        await wait_for(lambda: ("site1", False) in told, 10, what="site1 told unseen")
        assert ("host", False) not in told  # site1 sees the host
        await a.subscribe("host", "site1", BOTH)
        await wait_for(lambda: told[-1] == ("site1", True), 5, what="site1 told seen")
        await peers["host"].wait_frames("site1", "video", 3, within=30)
        assert not workers.events.errors
