"""Benchmark of the pass-through SFU: server CPU per forwarded packet, delivered fps, memory.

The Sfu runs in this process; the synthetic clients run in SEPARATE processes (this file with
``--client``), so the server's CPU is measured alone (``resource.getrusage`` of this process,
decoder threads included). They talk JSON lines over loopback TCP sockets, like signaling.
By default (``--client-processes 2``) the first publisher (the host) runs in a process of its
own, like a host PC: in one shared process the host's receive socket (20 sites' media) was the
one that overflowed when that process fell behind.

The measured window starts only once media flows on every forwarded track, and the server keeps
reading answers while it measures (a late server offer is answered, not left pending).

Publishers loop pre-encoded VP8 (keyframe every 2 s) and Opus, so the client process spends
nothing on encoding; subscribers count complete encoded frames (``--decode`` to decode them).

    .venv/bin/python bench/sfu.py --scenario fanout --publishers 1 --subscribers 20 --seconds 30
    .venv/bin/python bench/sfu.py --scenario session --sites 20 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from media.loudest import LoudestSettings
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
        self.writers: dict[str, asyncio.StreamWriter] = {}  # peer -> its client process

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        msg = {"op": "offer", "peer": peer_id, "sdp": sdp, "tracks": tracks}
        await send(self.writers[peer_id], msg)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        pass

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        pass

    def peer_state(self, peer_id: str, state: str) -> None:
        pass

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        pass


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def udp_receive_errors() -> int:
    """System-wide UDP datagrams dropped for a full receive buffer (/proc/net/snmp)."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    header, values = [row for row in lines if row[0] == "Udp:"][:2]
    return int(values[header.index("RcvbufErrors")])


def plan(args: argparse.Namespace) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(publishers, subscribers-only, subscriptions as (subscriber, publisher))."""
    if args.scenario == "fanout":
        pubs = [f"pub{i}" for i in range(args.publishers)]
        subs = [f"sub{i}" for i in range(args.subscribers)]
        return pubs, subs, [(s, p) for s in subs for p in pubs]
    sites = [f"site{i}" for i in range(args.sites)]
    pairs = [(s, "host") for s in sites] + [("host", s) for s in sites]
    return ["host", *sites], [], pairs


def share(args: argparse.Namespace, index: int) -> list[str]:
    """The clients client process ``index`` runs: with several processes the first publisher
    (the host) has one to itself, like a real host PC; the others are dealt round-robin."""
    pubs, subs, _pairs = plan(args)
    everyone = [*pubs, *subs]
    n = args.client_processes
    if n == 1:
        return everyone
    if index == 0:
        return everyone[:1]
    return everyone[1:][index - 1 :: n - 1]


async def run_server(args: argparse.Namespace) -> None:
    events = WireEvents()
    settings = MediaSettings(
        host_addresses=LOOPBACK,
        forwarding=args.forwarding,
        rate_control=not args.no_rate_control,
        loudest=LoudestSettings(limit=args.audio_speakers),
    )
    sfu = Sfu(settings, events)
    pubs, subs, pairs = plan(args)
    nprocs = args.client_processes
    done = asyncio.get_running_loop().create_future()
    measuring: asyncio.Future[None] | None = None
    arrived: dict[str, int] = {"connected": 0, "receiving": 0}
    reports: list[dict[str, Any]] = []
    # Every client process, including one with no client of its own (--subscribers 0 with two
    # processes): each must get its marks, or it never reports.
    processes: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal measuring
        processes.append(writer)
        while line := await reader.readline():
            msg = json.loads(line)
            op = msg["op"]
            if op == "offer":
                events.writers[msg["peer"]] = writer
                sdp, tracks = await sfu.answer(msg["peer"], msg["sdp"])
                await send(
                    writer, {"op": "answer", "peer": msg["peer"], "sdp": sdp, "tracks": tracks}
                )
            elif op == "answer":
                await sfu.accept_answer(msg["peer"], msg["sdp"])
            elif op in arrived:
                arrived[op] += 1
                if arrived[op] < nprocs:
                    continue
                if op == "connected":
                    for subscriber, publisher in pairs:
                        await sfu.subscribe(subscriber, publisher, BOTH)
                else:
                    # In a task: answers to late server offers must still be read meanwhile.
                    measuring = asyncio.ensure_future(measure(sfu, list(processes), args))
            elif op == "report":
                reports.append(msg)
                if len(reports) == nprocs:
                    done.set_result(merge(reports))
                break

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clients = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--client",
            "--port",
            str(port),
            "--client-index",
            str(i),
            *sys.argv[1:],
        )
        for i in range(nprocs)
    ]
    try:
        report = await asyncio.wait_for(done, timeout=args.seconds + 180)
        print_report(args, report, pubs, subs, pairs)
    finally:
        if measuring is not None and not measuring.done():
            measuring.cancel()
        await sfu.close()
        server.close()
        for client in clients:
            if client.returncode is None:
                client.terminate()
            await client.wait()


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    first = min(reports, key=lambda r: r["index"])
    out: dict[str, Any] = {"load_before": first["load_before"]}
    for key in ("video_fps", "audio_pps", "slow"):
        out[key] = [x for r in reports for x in r[key]]
    for key in ("client_cpu", "flowing", "tracks", "silent_video", "silent_audio"):
        out[key] = sum(r[key] for r in reports)
    out["video_fps"] = out["video_fps"] or [0.0]
    out["audio_pps"] = out["audio_pps"] or [0.0]
    return out


RESULT: dict[str, Any] = {}


async def measure(sfu: Sfu, writers: list[asyncio.StreamWriter], args: argparse.Namespace) -> None:
    await asyncio.sleep(args.warmup)
    s0, c0, t0, u0 = sfu.stats(), cpu_seconds(), time.monotonic(), udp_receive_errors()
    await asyncio.gather(*(send(w, {"op": "mark"}) for w in writers))
    await asyncio.sleep(args.seconds)
    s1, c1, t1, u1 = sfu.stats(), cpu_seconds(), time.monotonic(), udp_receive_errors()
    await asyncio.gather(*(send(w, {"op": "mark"}) for w in writers))
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
        udp_rcvbuf_errors=u1 - u0,
        thinned=s1.thinned - s0.thinned,
        switches=s1.layer_switches - s0.layer_switches,
        layers={k: v - s0.layer_packets.get(k, 0) for k, v in s1.layer_packets.items()},
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
    print(
        f"scenario {args.scenario}: {len(pubs)} publishers, {len(pairs)} forwarded a+v pairs, "
        f"{args.forwarding} forwarding, rate control {'off' if args.no_rate_control else 'on'}"
    )
    print(f"load average before/after: {report['load_before']} / {os.getloadavg()[:3]}")
    print(f"window {r['elapsed']:.1f} s, connected peers {r['peers']}")
    print(f"server CPU: {r['cpu']:.3f} core-s/s ({r['cpu_seconds']:.2f} s)")
    print(
        f"forwarded RTP packets/s: {total / r['elapsed']:.0f} "
        f"(video {r['packets']['video'] / r['elapsed']:.0f}, "
        f"audio {r['packets']['audio'] / r['elapsed']:.0f})"
    )
    if total:
        print(f"server CPU per forwarded packet: {1e6 * r['cpu_seconds'] / total:.1f} µs")
    else:  # --subscribers 0: the fixed cost of receiving alone
        print("server CPU per forwarded packet: n/a (nothing forwarded)")
    handled = total + r["inbound"]
    print(
        f"received RTP packets/s: {r['inbound'] / r['elapsed']:.0f}; server CPU per packet "
        f"handled (in + out): {1e6 * r['cpu_seconds'] / max(1, handled):.1f} µs"
    )
    kbps = 8 * r["octets"]["video"] / r["elapsed"] / max(1, len(pairs)) / 1000
    print(f"video payload per pair: {kbps:.0f} kbps")
    if pairs:
        below = sum(1 for f in fps if f < 15)
        print(
            f"delivered video fps per pair: min {min(fps):.1f} "
            f"median {statistics.median(fps):.1f} max {max(fps):.1f} "
            f"(publishers send {args.fps:.0f}); pairs below 15 fps: {below}"
        )
    print(
        f"delivered audio packets/s per pair: min {min(aps):.1f} "
        f"median {statistics.median(aps):.1f}"
    )
    if args.verbose:
        print("slow tracks (subscriber/mid:rate):", " ".join(report["slow"]))
    print(
        f"server RSS: {r['rss']:.0f} MB; "
        f"client CPU ({args.client_processes} processes): {report['client_cpu']:.3f} core-s/s"
    )
    print(
        f"keyframe requests sent {r['keyframes']}, rtx resent/dropped {r['rtx']}, "
        f"slot drops {r['dropped']}"
    )
    print(f"video layers: packets {r['layers']}, thinned {r['thinned']}, switches {r['switches']}")
    print(
        f"tracks with media before the warm-up: {report['flowing']} of {report['tracks']}; "
        f"silent in the window: video {report['silent_video']}, audio {report['silent_audio']}; "
        f"UDP receive-buffer drops (whole machine) {r['udp_rcvbuf_errors']}"
    )
    if args.json is not None:
        figures = {
            key: value for key, value in r.items() if isinstance(value, (int, float, dict, tuple))
        }
        figures.update(
            scenario=args.scenario,
            forwarding=args.forwarding,
            pairs=len(pairs),
            load_before=report["load_before"],
            load_after=os.getloadavg()[:3],
            video_fps=fps,
            audio_pps=aps,
            client_cpu=report["client_cpu"],
            flowing=report["flowing"],
            tracks=report["tracks"],
            silent_video=report["silent_video"],
            silent_audio=report["silent_audio"],
        )
        args.json.write_text(json.dumps(figures, indent=1))


# ----------------------------------------------------------------------------- client side


async def send_later(writer: asyncio.StreamWriter, msg: dict[str, Any], delay: float) -> None:
    await asyncio.sleep(delay)
    await send(writer, msg)


def silent(clients: dict[str, ClientPeer]) -> int:
    """Received tracks that have not delivered a single frame yet."""
    return sum(1 for c in clients.values() for r in c.received.values() if r.frames == 0)


async def run_client(args: argparse.Namespace) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    pubs, _subs, pairs = plan(args)
    mine = share(args, args.client_index)
    media = (
        encode_opus_cycle(),
        encode_vp8_cycle(args.width, args.height, args.fps, args.bitrate, 40),
    )
    clients: dict[str, ClientPeer] = {}
    for name in mine:
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
    pending: set[asyncio.Task[None]] = set()

    async def reader_loop() -> None:
        while line := await reader.readline():
            msg = json.loads(line)
            if msg["op"] == "answer":
                answers[msg["peer"]].set_result(msg)
            elif msg["op"] == "offer":
                c = clients[msg["peer"]]
                c.tracks.update(msg["tracks"])
                sdp = await c.answer(msg["sdp"])
                answer = {"op": "answer", "peer": msg["peer"], "sdp": sdp}
                if args.answer_delay > 0:  # a slow signaling path (VSAT): answer arrives late
                    pending.add(loop.create_task(send_later(writer, answer, args.answer_delay)))
                else:
                    await send(writer, answer)
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
    # Measure only once media flows on every forwarded track: a track that exists (its server
    # offer was applied) is not yet one the server sends on (the answer may still be on its way).
    want = sum(2 for subscriber, _publisher in pairs if subscriber in clients)
    flowing = 0
    with contextlib.suppress(TimeoutError):
        await wait_for(lambda: sum(len(c.received) for c in clients.values()) >= want, within=60)
        await wait_for(lambda: silent(clients) == 0, within=args.settle)
    flowing = want - silent(clients)
    await send(writer, {"op": "receiving"})
    await task
    span = mark_times[1] - mark_times[0]
    video: list[float] = []
    audio: list[float] = []
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
            "index": args.client_index,
            "video_fps": video,
            "audio_pps": audio,
            "client_cpu": (cpu_marks[1] - cpu_marks[0]) / span,
            "load_before": load_before,
            "slow": slow,
            "flowing": flowing,
            "tracks": want,
            "silent_video": sum(1 for f in video if f == 0),
            "silent_audio": sum(1 for f in audio if f == 0),
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
    parser.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="wait up to this long for media on every track before the warm-up",
    )
    parser.add_argument(
        "--answer-delay",
        type=float,
        default=0.0,
        help="clients send answers to server offers this many seconds late (slow signaling)",
    )
    parser.add_argument(
        "--forwarding",
        choices=("frame", "packet"),
        default=MediaSettings().forwarding,
        help="SFU forwarding path (MediaSettings.forwarding; default: the SFU's default)",
    )
    parser.add_argument(
        "--audio-speakers",
        type=int,
        default=0,
        help="audio slots per subscriber (MediaSettings.loudest.limit; default 0: every pair, "
        "the forwarding cost of all of them — the pre-encoded Opus carries no audio levels, so "
        "a limit would forward only silence-chosen slots)",
    )
    parser.add_argument(
        "--no-rate-control",
        action="store_true",
        help="every slot gets the best layer (MediaSettings.rate_control=False): the "
        "synthetic subscribers' REMB drops when their process is CPU-starved, and the "
        "per-receiver controller then (rightly) sends them less, which is not the figure "
        "this benchmark is after",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="list slow tracks")
    parser.add_argument("--decode", action="store_true", help="subscribers decode (costly)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--client-index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="synthetic clients run in this many processes (the first publisher alone in one)",
    )
    args = parser.parse_args()
    asyncio.run(run_client(args) if args.client else run_server(args))


if __name__ == "__main__":
    main()
