"""Benchmark of the pass-through SFU: server CPU per forwarded packet, delivered fps, memory.

The Sfu runs in this process; the synthetic clients run in a SEPARATE process (this file with
``--client``), so the server's CPU is measured alone (``resource.getrusage`` of this process,
decoder threads included). The two talk JSON lines over a loopback TCP socket, like signaling.

Publishers loop pre-encoded VP8 (keyframe every 2 s) and Opus, so the client process spends
nothing on encoding; subscribers count complete encoded frames (``--decode`` to decode them).

    .venv/bin/python bench/sfu.py --scenario fanout --publishers 1 --subscribers 20 --seconds 30
    .venv/bin/python bench/sfu.py --scenario session --sites 20 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media import MediaSettings, Sfu, TrackInfo
from media.testing import (
    LOOPBACK,
    ClientPeer,
    encode_opus_cycle,
    encode_vp8_cycle,
    wait_for,
)

BOTH = frozenset({"audio", "video"})


# ----------------------------------------------------------------------------- wire


async def send(writer: asyncio.StreamWriter, msg: dict[str, Any]) -> None:
    writer.write(json.dumps(msg).encode() + b"\n")
    await writer.drain()


# ----------------------------------------------------------------------------- server side


class WireEvents:
    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        assert self.writer is not None
        await send(self.writer, {"op": "offer", "peer": peer_id, "sdp": sdp, "tracks": tracks})

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        pass

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        pass

    def peer_state(self, peer_id: str, state: str) -> None:
        pass


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def plan(args: argparse.Namespace) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(publishers, subscribers-only, subscriptions as (subscriber, publisher))."""
    if args.scenario == "fanout":
        pubs = [f"pub{i}" for i in range(args.publishers)]
        subs = [f"sub{i}" for i in range(args.subscribers)]
        return pubs, subs, [(s, p) for s in subs for p in pubs]
    sites = [f"site{i}" for i in range(args.sites)]
    pairs = [(s, "host") for s in sites] + [("host", s) for s in sites]
    return ["host", *sites], [], pairs


async def run_server(args: argparse.Namespace) -> None:
    events = WireEvents()
    sfu = Sfu(MediaSettings(host_addresses=LOOPBACK), events)
    pubs, subs, pairs = plan(args)
    done = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        events.writer = writer
        while line := await reader.readline():
            msg = json.loads(line)
            op = msg["op"]
            if op == "offer":
                sdp, tracks = await sfu.answer(msg["peer"], msg["sdp"])
                await send(
                    writer, {"op": "answer", "peer": msg["peer"], "sdp": sdp, "tracks": tracks}
                )
            elif op == "answer":
                await sfu.accept_answer(msg["peer"], msg["sdp"])
            elif op == "connected":
                for subscriber, publisher in pairs:
                    await sfu.subscribe(subscriber, publisher, BOTH)
            elif op == "receiving":
                await measure(sfu, writer, args)
            elif op == "report":
                done.set_result(msg)
                break

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", "--port", str(port), *sys.argv[1:]
    )
    try:
        report = await asyncio.wait_for(done, timeout=args.seconds + 180)
        print_report(args, report, pubs, subs, pairs)
    finally:
        await sfu.close()
        server.close()
        if client.returncode is None:
            client.terminate()
        await client.wait()


RESULT: dict[str, Any] = {}


async def measure(sfu: Sfu, writer: asyncio.StreamWriter, args: argparse.Namespace) -> None:
    await asyncio.sleep(args.warmup)
    s0, c0, t0 = sfu.stats(), cpu_seconds(), time.monotonic()
    await send(writer, {"op": "mark"})
    await asyncio.sleep(args.seconds)
    s1, c1, t1 = sfu.stats(), cpu_seconds(), time.monotonic()
    await send(writer, {"op": "mark"})
    packets = {k: s1.forwarded[k].packets - s0.forwarded[k].packets for k in ("audio", "video")}
    octets = {k: s1.forwarded[k].bytes - s0.forwarded[k].bytes for k in ("audio", "video")}
    inbound = sum(s1.received[k].packets - s0.received[k].packets for k in ("audio", "video"))
    RESULT.update(
        cpu=(c1 - c0) / (t1 - t0),
        cpu_seconds=c1 - c0,
        elapsed=t1 - t0,
        packets=packets,
        inbound=inbound,
        octets=octets,
        rss=rss_mb(),
        keyframes=s1.keyframe_requests_sent - s0.keyframe_requests_sent,
        rtx=(s1.rtx_resent - s0.rtx_resent, s1.rtx_dropped - s0.rtx_dropped),
        dropped={k: s1.forwarded[k].dropped - s0.forwarded[k].dropped for k in ("audio", "video")},
        peers=s1.connected_peers,
    )


def print_report(
    args: argparse.Namespace,
    report: dict[str, Any],
    pubs: list[str],
    subs: list[str],
    pairs: list[tuple[str, str]],
) -> None:
    r = RESULT
    total = r["packets"]["audio"] + r["packets"]["video"]
    fps = report["video_fps"]
    aps = report["audio_pps"]
    print(f"scenario {args.scenario}: {len(pubs)} publishers, {len(pairs)} forwarded a+v pairs")
    print(f"load average before/after: {report['load_before']} / {os.getloadavg()[:3]}")
    print(f"window {r['elapsed']:.1f} s, connected peers {r['peers']}")
    print(f"server CPU: {r['cpu']:.3f} core-s/s ({r['cpu_seconds']:.2f} s)")
    print(
        f"forwarded RTP packets/s: {total / r['elapsed']:.0f} "
        f"(video {r['packets']['video'] / r['elapsed']:.0f}, "
        f"audio {r['packets']['audio'] / r['elapsed']:.0f})"
    )
    print(f"server CPU per forwarded packet: {1e6 * r['cpu_seconds'] / max(1, total):.1f} µs")
    handled = total + r["inbound"]
    print(
        f"received RTP packets/s: {r['inbound'] / r['elapsed']:.0f}; server CPU per packet "
        f"handled (in + out): {1e6 * r['cpu_seconds'] / max(1, handled):.1f} µs"
    )
    kbps = 8 * r["octets"]["video"] / r["elapsed"] / max(1, len(pairs)) / 1000
    print(f"video payload per pair: {kbps:.0f} kbps")
    print(
        f"delivered video fps per pair: min {min(fps):.1f} median {statistics.median(fps):.1f} "
        f"max {max(fps):.1f} (publishers send {args.fps:.0f}); "
        f"pairs below 15 fps: {sum(1 for f in fps if f < 15)}"
    )
    print(
        f"delivered audio packets/s per pair: min {min(aps):.1f} "
        f"median {statistics.median(aps):.1f}"
    )
    if args.verbose:
        print("slow tracks (subscriber/mid:rate):", " ".join(report["slow"]))
    print(f"server RSS: {r['rss']:.0f} MB; client process CPU: {report['client_cpu']:.3f} core-s/s")
    print(
        f"keyframe requests sent {r['keyframes']}, rtx resent/dropped {r['rtx']}, "
        f"slot drops {r['dropped']}"
    )


# ----------------------------------------------------------------------------- client side


async def run_client(args: argparse.Namespace) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    pubs, subs, pairs = plan(args)
    media = (
        encode_opus_cycle(),
        encode_vp8_cycle(args.width, args.height, args.fps, args.bitrate, 40),
    )
    clients: dict[str, ClientPeer] = {}
    for name in [*pubs, *subs]:
        c = ClientPeer(name, keep_times=False, decode=args.decode)
        if name in pubs:
            c.publish(fps=args.fps, pre_encoded=media)
        clients[name] = c
    answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
    loop = asyncio.get_running_loop()
    marks: list[dict[str, tuple[int, int]]] = []
    mark_times: list[float] = []
    cpu_marks: list[float] = []
    load_before = os.getloadavg()[:3]

    async def reader_loop() -> None:
        while line := await reader.readline():
            msg = json.loads(line)
            if msg["op"] == "answer":
                answers[msg["peer"]].set_result(msg)
            elif msg["op"] == "offer":
                c = clients[msg["peer"]]
                c.tracks.update(msg["tracks"])
                sdp = await c.answer(msg["sdp"])
                await send(writer, {"op": "answer", "peer": msg["peer"], "sdp": sdp})
            elif msg["op"] == "mark":
                marks.append(
                    {
                        f"{n}/{mid}": (r.frames, 1 if r.kind == "video" else 0)
                        for n, c in clients.items()
                        for mid, r in c.received.items()
                    }
                )
                mark_times.append(time.monotonic())
                cpu_marks.append(cpu_seconds())
                if len(marks) == 2:
                    return

    task = loop.create_task(reader_loop())
    for name, c in clients.items():
        answers[name] = loop.create_future()
        await send(writer, {"op": "offer", "peer": name, "sdp": await c.offer()})
        msg = await answers[name]
        c.tracks.update(msg["tracks"])
        await c.accept(msg["sdp"])
    await wait_for(lambda: all(c.state == "connected" for c in clients.values()), within=60)
    await send(writer, {"op": "connected"})
    want = len(pairs) * 2
    await wait_for(lambda: sum(len(c.received) for c in clients.values()) >= want, within=60)
    await send(writer, {"op": "receiving"})
    await task
    span = mark_times[1] - mark_times[0]
    video, audio = [], []
    slow: list[str] = []
    for key, (end, is_video) in marks[1].items():
        start = marks[0].get(key, (0, 0))[0]
        rate = (end - start) / span
        (video if is_video else audio).append(rate)
        if rate < (15 if is_video else 40):
            slow.append(f"{key}:{rate:.1f}")
    await send(
        writer,
        {
            "op": "report",
            "video_fps": video or [0.0],
            "audio_pps": audio or [0.0],
            "client_cpu": (cpu_marks[1] - cpu_marks[0]) / span,
            "load_before": load_before,
            "slow": slow,
        },
    )
    for c in clients.values():
        await c.close()
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=("fanout", "session"), default="fanout")
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=float, default=20.0)
    parser.add_argument(
        "--bitrate", type=int, default=700_000, help="VP8 rate-control target (bits/s)"
    )
    parser.add_argument("--verbose", action="store_true", help="list slow tracks")
    parser.add_argument("--decode", action="store_true", help="subscribers decode (costly)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(run_client(args) if args.client else run_server(args))


if __name__ == "__main__":
    main()
