"""Failover: ``kill -9`` of the node serving a session → seconds until every participant's media
flows again on the other node.

A private redis-server (free loopback port) and two ``pendopo run`` processes (node A, node B)
on one data directory. A session on A: the host publishes pre-encoded VP8 + Opus, every site
publishes Opus; all are aiortc clients in this process that gather only 127.0.0.1, made with
``ProtocolClient(failover=True)`` and ``MediaSession(renew=...)`` (what the browser's
MeetingClient does: on a lost node, try the other nodes the join ack listed, join again with the
resume token, start a fresh peer connection). Once every site receives the host's video and
the host receives the sites' audio (``--speakers`` sites encode a tone here, with the RFC 6464
levels the server picks the loudest by; the others loop pre-encoded Opus), A is killed with
SIGKILL. Measured from the kill:

- *joined*: the client's join on B was accepted (signaling is back);
- *media*: its new peer connection received media again — a site the host's video, the host
  a site's audio (the server forwards the loudest few to it).

``--freeze`` stops A with SIGSTOP instead: a machine that vanishes without closing anything.

Each round starts fresh processes. Figures: per round the median and the maximum over the
participants (the maximum is "every participant back in media"); docs/performance.md.

    .venv/bin/python bench/failover.py --sites 21 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.redis_fanout import start_redis
from media.testing import (
    ClientPeer,
    encode_opus_cycle,
    encode_vp8_cycle,
    wait_for,
)
from signaling.client import MediaSession, ProtocolClient
from tests.scaling.nodes import Node, cookie_header, signed_in, start_node

WITHIN = 60.0


async def until(predicate: Callable[[], bool], what: str, laggards: Callable[[], object]) -> None:
    try:
        await wait_for(predicate, WITHIN, what)
    except TimeoutError as exc:
        raise SystemExit(f"{exc}; still waiting: {laggards()}") from None


@dataclass
class Seat:
    client: ProtocolClient
    media: tuple[list[bytes], list[bytes]]
    video: bool
    fps: float
    peer: ClientPeer = field(init=False)

    def new_peer(self) -> ClientPeer:
        self.peer = ClientPeer(self.client.name, keep_times=False, decode=False)
        if self.media[0]:
            self.peer.publish(audio=True, video=self.video, fps=self.fps, pre_encoded=self.media)
        else:  # a speaker: encoded here, with the audio levels the server picks the loudest by
            self.peer.publish(audio=True, video=False)
        return self.peer

    @property
    def id(self) -> str:
        assert self.client.participant_id is not None
        return self.client.participant_id

    def receiving(self, host: Seat, sites: list[Seat], since: float) -> float | None:
        """When this seat's current peer first received media after ``since`` (None: not yet)."""
        if self is host:
            got = [self.peer.from_participant(s.id, "audio") for s in sites]
        else:
            got = [self.peer.from_participant(host.id, "video")]
        times = [r.first_at for r in got if r is not None and r.first_at is not None]
        times = [t for t in times if t >= since]
        return min(times) if times else None


async def one_round(args: argparse.Namespace, work: Path) -> dict[str, list[float]]:
    redis, redis_url = start_redis(work)
    data = work / "data"
    nodes: list[Node] = []
    seats: list[Seat] = []
    opus = encode_opus_cycle()
    vp8 = encode_vp8_cycle(320, 180, args.fps, 300_000, 40)
    try:
        await asyncio.sleep(0.3)
        nodes.append(start_node("node-a", data, redis_url, work))
        await nodes[0].wait_ready()  # the first start migrates and seeds
        nodes.append(start_node("node-b", data, redis_url, work))
        await nodes[1].wait_ready()
        a, b = nodes
        http = await signed_in(a.url)
        try:
            async with http.post("/api/rooms", json={"title": "Rapat darurat"}) as resp:
                room = (await resp.json())["room"]["id"]
            cookie = cookie_header(http, a.url)
        finally:
            await http.close()
        host = Seat(
            ProtocolClient(a.url, cookie=cookie, name="Bupati", failover=True),
            (opus, vp8),
            True,
            args.fps,
        )
        sites = [
            Seat(
                ProtocolClient(a.url, name=f"Desa {i + 1}", failover=True),
                ([] if i < args.speakers else opus, []),
                False,
                0,
            )
            for i in range(args.sites)
        ]
        seats = [host, *sites]
        for seat in seats:
            await seat.client.connect()
            await seat.client.join(room, seat.client.name)
            if seat is not host:  # at once: the lobby caps how many wait from one address
                await host.client.admit(seat.id)
        for seat in seats:
            session = MediaSession(seat.client, seat.new_peer(), seat.new_peer)
            await session.start()
        await until(
            lambda: all(s.receiving(host, sites, 0.0) is not None for s in seats),
            "media before the kill",
            lambda: [s.client.name for s in seats if s.receiving(host, sites, 0.0) is None],
        )
        await asyncio.sleep(args.settle)

        killed = time.monotonic()
        if args.freeze:  # a machine that vanishes: nothing is closed, nothing answers
            a.proc.send_signal(signal.SIGSTOP)
        else:
            a.kill()
        await until(
            lambda: all(s.client.failovers for s in seats),
            "everyone joined again",
            lambda: [s.client.name for s in seats if not s.client.failovers],
        )
        await until(
            lambda: all(s.receiving(host, sites, killed) is not None for s in seats),
            "media after the kill",
            lambda: [s.client.name for s in seats if s.receiving(host, sites, killed) is None],
        )
        joined = [s.client.failovers[0][1] - killed for s in seats]
        media = [(s.receiving(host, sites, killed) or 0.0) - killed for s in seats]
        assert all(s.client.url == b.url for s in seats)
        return {"joined": joined, "media": media}
    finally:
        for seat in seats:
            if hasattr(seat, "peer"):
                await seat.peer.close()
            await seat.client.disconnect()
        for node in nodes:
            if args.freeze and node.proc.poll() is None:
                node.proc.kill()  # stopped: SIGTERM would wait for a SIGCONT
            node.stop()
        redis.terminate()
        redis.wait()


async def drive(args: argparse.Namespace) -> None:
    print(
        f"failover: 1 host (VP8 {args.fps:g} fps + Opus) + {args.sites} sites (Opus,"
        f" {args.speakers} speaking), {'SIGSTOP' if args.freeze else 'kill -9'} of the owning node"
    )
    every: dict[str, list[float]] = {"joined": [], "media": []}
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            got = await one_round(args, Path(tmp))
        for key, values in got.items():
            every[key].append(max(values))
            print(
                f"round {r + 1}: {key:6} median {statistics.median(values):5.2f} s"
                f"  max {max(values):5.2f} s  (of {len(values)} participants)"
            )
    for key, values in every.items():
        print(
            f"all rounds: every participant {key}: median {statistics.median(values):.2f} s,"
            f" worst {max(values):.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="SIGSTOP instead of SIGKILL: a machine that vanishes (no connection is closed)",
    )
    parser.add_argument("--speakers", type=int, default=2, help="sites that speak (a tone)")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds of media before the kill"
    )
    asyncio.run(drive(parser.parse_args()))


if __name__ == "__main__":
    main()
