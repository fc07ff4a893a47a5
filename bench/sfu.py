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
    .venv/bin/python bench/sfu.py --scenario townhall --sites 228 --client-processes 4

Town hall (issue 12): one host and N sites. The host publishes audio + video and subscribes to
every site; the sites subscribe to the host only. The SFU forwards the host at most
``--audio-speakers`` (default 3) audio streams, the loudest (media/loudest.py), and only the
videos its page shows (``Sfu.set_shown``, last-N): the last site that started speaking (the
speaker view's large tile) plus ``--host-shown - 1`` fixed thumbnails. Every publisher's
pre-encoded Opus carries an RFC 6464 level (``send_levels``) from a speaking schedule all
processes share through the wall clock (``speakers``: one site per 4 s turn, a second one
interjecting in every other turn, everybody else at -70 dBov room noise; with ``--site-audio
muted`` everybody else is muted by the host, as after "Mute all": a muted page's Chromium sends
Opus DTX, 5 packets/s of silence (tests/browser/test_muted_audio.py), so those sites send one
packet every 200 ms at -127 dBov, and the scheduled speakers have the floor). Sites publish a small
video (``--site-video``, "off" for audio only) and receive with a *light* receiver: ICE and
DTLS as usual, but incoming RTP is counted per SSRC from its clear header and dropped without
SRTP decryption (``RtpCounter``): video frames are packets with the marker bit. Unlike a
browser they send no receiver reports, REMB, NACK or PLI (so the SFU's rate control sees a
receiver with nothing to report: its LAN prior), and they never decode or decrypt. Like a
browser they answer the server's keyframe request: their video cycle starts again at its
keyframe (``LightSite.restart``; before 2026-12-06 evening they ignored it, and a site the host
started showing waited for the cycle's next keyframe, up to 2 s).
Like a page, a site the SFU says nobody has seen for ``--camera-pause`` seconds
(``MediaEvents.video_seen``; default 10, as the server's) stops sending its video, and starts
again at its keyframe when told it is seen; ``--camera-pause 0`` keeps every camera sending
(the gate then drops what nobody sees, as before 2026-12-06 night).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import os
import random
import resource
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiortc.clock import current_ntp_time
from aiortc.mediastreams import MediaStreamTrack

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media import Cascade, KindStats, MediaSettings, Sfu, SfuStats, TrackInfo, hooks, rtp_peek
from media.cascade import build as build_cascade
from media.errors import MediaError
from media.loudest import LoudestSettings
from media.testing import (
    LOOPBACK,
    VIDEO_CLOCK,
    ClientPeer,
    PreEncodedTrack,
    encode_opus_cycle,
    encode_vp8_cycle,
    wait_for,
)

BOTH = frozenset({"audio", "video"})
# One JSON line carries an SDP: a town hall host's has an m-line per site (~1 KB each).
LINE_LIMIT = 16 * 1024 * 1024


# ----------------------------------------------------------------------------- wire


async def send(writer: asyncio.StreamWriter, msg: dict[str, Any]) -> None:
    writer.write(json.dumps(msg).encode() + b"\n")
    await writer.drain()


# ----------------------------------------------------------------------------- server side


class WireEvents:
    def __init__(self) -> None:
        self.writers: dict[str, asyncio.StreamWriter] = {}  # peer -> its client process
        self.follower: SpeakerFollower | None = None  # town hall: the host's speaker view
        self.told_tracks: set[str] = set()  # peers whose client is told ``tracks_changed``
        self.lost: list[tuple[float, str, str]] = []  # (when, peer, state)
        self.subscribed_at = 0.0

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        msg = {"op": "offer", "peer": peer_id, "sdp": sdp, "tracks": tracks}
        await send(self.writers[peer_id], msg)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        writer = self.writers.get(peer_id)
        if peer_id in self.told_tracks and writer is not None:  # media:tracks, as signaling
            msg = {"op": "tracks", "peer": peer_id, "tracks": tracks}
            writer.write(json.dumps(msg).encode() + b"\n")

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        if self.follower is not None:
            self.follower.level(peer_id, level_dbov)

    def peer_state(self, peer_id: str, state: str) -> None:
        if state in ("disconnected", "failed", "closed"):  # town hall: an overload's trace
            self.lost.append((time.monotonic(), peer_id, state))

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        pass

    def video_seen(self, publisher: str, seen: bool) -> None:
        """As a page does on ``media:limits`` ``unseen``: a town hall's light site stops
        sending its video while unseen and starts again at a keyframe (``--camera-pause``);
        the fanout scenario's publishers keep sending."""
        if seen:
            PAUSED.discard(publisher)
        else:
            PAUSED.add(publisher)
        writer = self.writers.get(publisher)
        if writer is not None:
            msg = {"op": "seen", "peer": publisher, "seen": seen}
            writer.write(json.dumps(msg).encode() + b"\n")


PAUSED: set[str] = set()
"""Publishers whose pages were told nobody sees them (``video_seen``), now."""


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


def kinds(args: argparse.Namespace, subscriber: str) -> frozenset[str]:
    """What a subscription carries: in a town hall without site video, the host hears the
    sites (there is nothing of theirs to see)."""
    if args.scenario == "townhall" and subscriber == "host" and args.site_video == "off":
        return frozenset({"audio"})
    return BOTH


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


def server_settings(args: argparse.Namespace) -> MediaSettings:
    return MediaSettings(
        host_addresses=LOOPBACK,
        forwarding=args.forwarding,
        rate_control=not args.no_rate_control,
        loudest=LoudestSettings(limit=args.audio_speakers),
        drop_unheard_audio=not args.keep_unheard_audio,
        drop_unseen_video=not args.keep_unseen_video,
        pause_unseen_after=args.camera_pause,
        direct_srtp=not args.queued_srtp,
        cpu_limit=args.cpu_limit,
        udp_read_batch=args.read_batch,
    )


async def run_server(args: argparse.Namespace) -> None:
    events = WireEvents()
    settings = server_settings(args)
    sfu: Sfu | Cascade
    worker: asyncio.subprocess.Process | None = None
    if args.workers > 1:
        sfu, worker = await start_cascade(settings, events, args)
    else:
        sfu = Sfu(settings, events)
    pubs, subs, pairs = plan(args)
    nprocs = args.client_processes
    done = asyncio.get_running_loop().create_future()
    measuring: asyncio.Future[None] | None = None
    arrived: dict[str, int] = {"connected": 0, "receiving": 0}
    watching: asyncio.Future[None] | None = None
    reports: list[dict[str, Any]] = []
    # Every client process, including one with no client of its own (--subscribers 0 with two
    # processes): each must get its marks, or it never reports.
    processes: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal measuring, watching
        processes.append(writer)
        while line := await reader.readline():
            msg = json.loads(line)
            op = msg["op"]
            if op == "offer":
                events.writers[msg["peer"]] = writer
                began = time.monotonic()
                sdp, tracks = await sfu.answer(msg["peer"], msg["sdp"])
                OVERLOAD.negotiation(msg["peer"], "answer", began)
                await send(
                    writer, {"op": "answer", "peer": msg["peer"], "sdp": sdp, "tracks": tracks}
                )
            elif op == "answer":
                try:
                    began = time.monotonic()
                    await sfu.accept_answer(msg["peer"], msg["sdp"])
                    OVERLOAD.negotiation(msg["peer"], "accept_answer", began)
                except MediaError:  # its connection was lost meanwhile (an overload's trace)
                    arrived["late answers"] = arrived.get("late answers", 0) + 1
            elif op in arrived:
                arrived[op] += 1
                if arrived[op] < nprocs:
                    continue
                if op == "connected":
                    if args.scenario == "townhall":
                        townhall_setup(sfu, events, args)
                        events.subscribed_at = time.monotonic()
                        hooks_logger = logging.getLogger("media.hooks")
                        hooks_logger.setLevel(logging.INFO)
                        hooks_logger.addHandler(OVERLOAD)
                        watching = asyncio.ensure_future(OVERLOAD.watch())
                    for subscriber, publisher in pairs:
                        await sfu.subscribe(subscriber, publisher, kinds(args, subscriber))
                else:
                    # In a task: answers to late server offers must still be read meanwhile.
                    measuring = asyncio.ensure_future(measure(sfu, list(processes), args))
            elif op == "report":
                reports.append(msg)
                if len(reports) == nprocs:
                    done.set_result(reports)
                break

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=LINE_LIMIT)
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
        # Setting up hundreds of connections takes a while on two shared cores.
        got = await asyncio.wait_for(done, timeout=args.seconds + 180 + 2 * len(pubs + subs))
        if args.scenario == "townhall":
            print_townhall(args, got, events)
            if arrived.get("late answers"):
                print(f"answers to offers of lost connections: {arrived['late answers']}")
        else:
            print_report(args, merge(got), pubs, subs, pairs)
    finally:
        if measuring is not None and not measuring.done():
            measuring.cancel()
        if watching is not None:
            watching.cancel()
        await sfu.close()
        server.close()
        for client in [*clients, *([worker] if worker is not None else [])]:
            if client.returncode is None:
                client.terminate()
            await client.wait()


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    first = min(reports, key=lambda r: r["index"])
    out: dict[str, Any] = {"load_before": first["load_before"]}
    for key in ("video_fps", "audio_pps", "slow"):
        out[key] = [x for r in reports for x in r[key]]
    for key in ("client_cpu", "flowing", "tracks", "silent_video", "silent_audio", "delivered"):
        out[key] = sum(r[key] for r in reports)
    out["video_fps"] = out["video_fps"] or [0.0]
    out["audio_pps"] = out["audio_pps"] or [0.0]
    return out


RESULT: dict[str, Any] = {}


class Overload(logging.Handler):
    """The server's event-loop lag (a 0.1 s sleep that wakes late) and its ICE consent
    expiries (media/hooks.py logs each), from the subscriptions on: how an overload shows."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.expired: list[float] = []
        self.lags: list[tuple[float, float]] = []  # (when, lag in s)
        self.host_calls: list[tuple[float, str, float]] = []  # (when, Sfu call, seconds)
        self.queues: list[tuple[float, list[int]]] = []  # (when, rx_queue of each socket)

    def negotiation(self, peer: str, call: str, began: float) -> None:
        """The host's SDP calls (hundreds of m-lines in aiortc): how long each took."""
        if peer == "host":
            self.host_calls.append((began, call, time.monotonic() - began))

    def emit(self, record: logging.LogRecord) -> None:
        if "consent to send expired" in record.getMessage():
            self.expired.append(time.monotonic())

    async def watch(self) -> None:
        ticks = 0
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.1)
            self.lags.append((t, time.monotonic() - t - 0.1))
            ticks += 1
            if ticks % 10 == 0:
                self.queues.append((time.monotonic(), socket_queues()))

    def queue_report(self, since: float) -> str:
        """The server's UDP sockets' receive queues (bytes waiting unread), sampled each 1 s."""
        if not self.queues:
            return "n/a"
        when, worst = max(self.queues, key=lambda q: max(q[1], default=0))
        top = sorted(worst, reverse=True)
        many = max(sum(1 for b in q if b > 64 * 1024) for _t, q in self.queues)
        return (
            f"largest {top[0] if top else 0} bytes ({when - since:.0f} s after the "
            f"subscriptions; that sample's next: {top[1:4]}); at most {many} sockets at once "
            f"with over 64 KiB unread"
        )


OVERLOAD = Overload()


def socket_queues() -> list[int]:
    """rx_queue (bytes) of this process's UDP sockets, from /proc/net/udp."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    out = []
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            out.append(int(fields[4].split(":")[1], 16))
    return out


def host_uplink(sfu: Sfu | Cascade) -> tuple[int, int]:
    """(packets expected, packets received) from the host by the server (its receivers' RTP
    statistics; a bench may look inside): the gap is what was lost before the server read it,
    a full socket buffer included. With ``--workers`` the host is on this process's SFU."""
    local = sfu.local if isinstance(sfu, Cascade) else sfu
    peer = local._peers.get("host")
    expected = received = 0
    for pub in peer.publications.values() if peer is not None else ():
        e, r = hooks.receiver_media_counts(pub.receiver)
        expected, received = expected + e, received + r
    return expected, received


async def measure(
    sfu: Sfu | Cascade, writers: list[asyncio.StreamWriter], args: argparse.Namespace
) -> None:
    await asyncio.sleep(args.warmup)
    paused_at_start = len(PAUSED)
    h0 = host_uplink(sfu)
    (s0, w0), t0, u0 = await every_worker(sfu), time.monotonic(), udp_receive_errors()
    await asyncio.gather(*(send(w, {"op": "mark"}) for w in writers))
    await asyncio.sleep(args.seconds)
    (s1, w1), t1, u1 = await every_worker(sfu), time.monotonic(), udp_receive_errors()
    c0, c1 = sum(w0), sum(w1)
    h1 = host_uplink(sfu)
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
        peers_at_start=s0.connected_peers,
        start=t0,
        host_uplink=(h1[0] - h0[0], h1[1] - h0[1]),
        udp_rcvbuf_errors=u1 - u0,
        thinned=s1.thinned - s0.thinned,
        switches=s1.layer_switches - s0.layer_switches,
        layers={k: v - s0.layer_packets.get(k, 0) for k, v in s1.layer_packets.items()},
        unheard=s1.unheard_audio_dropped - s0.unheard_audio_dropped,
        unseen=s1.unseen_video_dropped - s0.unseen_video_dropped,
        paused=(paused_at_start, len(PAUSED)),
        load=(s0.load_ceiling, s1.load_ceiling, s1.load_steps_down, s1.cpu_share),
        cpu_by_worker=[(b - a) / (t1 - t0) for a, b in zip(w0, w1, strict=True)],
    )


async def start_cascade(
    settings: MediaSettings, events: WireEvents, args: argparse.Namespace
) -> tuple[Cascade, asyncio.subprocess.Process]:
    """``--workers 2``: this process's SFU and a second worker process's, one session spread
    over both as ``pendopo run --workers 2`` does (media/cascade.py)."""
    run = Path(tempfile.mkdtemp(prefix="pendopo-bench-"))
    mine, theirs = run / "w1.sock", run / "w2.sock"
    worker = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--cascade-worker", str(theirs), str(mine), *sys.argv[1:]
    )
    cascade = build_cascade(settings, [mine, theirs], events)
    await cascade.start()
    deadline = time.monotonic() + 60
    while not cascade.workers[1].up:
        if time.monotonic() > deadline:
            raise RuntimeError("the second worker did not link")
        await asyncio.sleep(0.1)
    return cascade, worker


async def run_cascade_worker(args: argparse.Namespace) -> None:
    """The second worker of ``--workers 2``: its SFU served on its socket until killed."""
    mine, theirs = (Path(p) for p in args.cascade_worker)
    settings = server_settings(args)
    cascade = build_cascade(settings, [mine, theirs], WireEvents())
    await cascade.start()
    await asyncio.Event().wait()


async def every_worker(sfu: Sfu | Cascade) -> tuple[SfuStats, list[float]]:
    """The SFU counters summed over every worker, and each worker's CPU seconds."""
    if not isinstance(sfu, Cascade):
        return sfu.stats(), [cpu_seconds()]
    total, cpus = sfu.local.stats(), [cpu_seconds()]
    for link in sfu.workers[1:]:
        found = await link.call("stats")
        total = add_stats(total, stats_from(found["stats"]))
        cpus.append(float(found["cpu"]))
    return total, cpus


def stats_from(raw: dict[str, Any]) -> SfuStats:
    kinds = {"forwarded", "received"}
    plain = {k: v for k, v in raw.items() if k not in kinds}
    out = SfuStats(**plain)
    for name in kinds:
        setattr(out, name, {k: KindStats(**v) for k, v in raw[name].items()})
    return out


def add_stats(a: SfuStats, b: SfuStats) -> SfuStats:
    """``a`` plus ``b``: counters summed; the load guard's state is ``a``'s (this worker's)."""
    out = copy.deepcopy(a)
    for f in dataclasses.fields(SfuStats):
        mine, theirs = getattr(out, f.name), getattr(b, f.name)
        if f.name in ("forwarded", "received"):
            for kind, counts in theirs.items():
                for g in dataclasses.fields(KindStats):
                    both = getattr(mine[kind], g.name) + getattr(counts, g.name)
                    setattr(mine[kind], g.name, both)
        elif f.name == "layer_packets":
            for layer, n in theirs.items():
                mine[layer] = mine.get(layer, 0) + n
        elif f.name in ("cpu_share", "load_steps_down", "load_ceiling"):
            continue  # the load guard's: this worker's
        elif isinstance(mine, int | float) and isinstance(theirs, int | float):
            setattr(out, f.name, mine + theirs)
    return out


def workers_part(r: dict[str, Any]) -> str:
    """With ``--workers``: each server process's share of the server's CPU."""
    shares = r.get("cpu_by_worker") or []
    if len(shares) < 2:
        return ""
    return " (workers " + " + ".join(f"{c:.3f}" for c in shares) + ")"


def unheard_line(args: argparse.Namespace) -> str:
    """Publishers' quiet audio and unseen video dropped before SRTP (they count in the received
    packets)."""
    elapsed = RESULT["elapsed"]
    audio = (
        "unheard audio kept: --keep-unheard-audio"
        if args.keep_unheard_audio
        else f"of which unheard audio dropped before SRTP: {RESULT['unheard'] / elapsed:.0f}/s"
    )
    video = (
        "unseen video kept: --keep-unseen-video"
        if args.keep_unseen_video
        else f"unseen video dropped before SRTP: {RESULT['unseen'] / elapsed:.0f}/s"
    )
    start, end = RESULT["paused"]
    paused = (
        f"; cameras paused by their pages (unseen): {start} at the window's start, {end} at its end"
        if args.camera_pause > 0 and args.scenario == "townhall"
        else ""
    )
    return f"{audio}; {video}{paused}"


def load_line(args: argparse.Namespace) -> str:
    """What the server's load guard (media/load_guard.py) did."""
    if args.cpu_limit <= 0:
        return "load guard off (--cpu-limit 0)"
    start, end, steps, share = RESULT["load"]
    shown = "n/a" if share is None else f"{share:.2f}"
    return (
        f"load guard (limit {args.cpu_limit:.2f} of a core): video ceiling {start} at the "
        f"window's start, {end} at its end, {steps} step(s) down in all; last CPU share {shown}"
    )


def srtp_line(args: argparse.Namespace) -> str:
    """Where received SRTP is handled."""
    if args.queued_srtp:
        return "received SRTP queued for the DTLS task (--queued-srtp)"
    return "received SRTP handled as read"


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
        f"{args.forwarding} forwarding, rate control {'off' if args.no_rate_control else 'on'}, "
        f"{srtp_line(args)}"
    )
    print(f"load average before/after: {report['load_before']} / {os.getloadavg()[:3]}")
    print(f"window {r['elapsed']:.1f} s, connected peers {r['peers']}")
    print(f"server CPU: {r['cpu']:.3f} core-s/s ({r['cpu_seconds']:.2f} s){workers_part(r)}")
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
        f"received RTP packets/s: {r['inbound'] / r['elapsed']:.0f} ({unheard_line(args)}); "
        f"server CPU per packet "
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
            delivered=report["delivered"],
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


def received_packets(clients: dict[str, ClientPeer]) -> int:
    """Media packets every receiver of these clients got, RTX excluded: what a server
    delivered, counted the same way whichever server it is (bench/janus.py)."""
    return sum(
        hooks.receiver_media_counts(receiver)[1]
        for c in clients.values()
        for receiver in c.pc.getReceivers()
    )


async def run_client(args: argparse.Namespace) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=LINE_LIMIT)
    pubs, _subs, pairs = plan(args)
    mine = share(args, args.client_index)
    media = (
        encode_opus_cycle(),
        encode_vp8_cycle(args.width, args.height, args.fps, args.bitrate, 40),
    )
    clients: dict[str, ClientPeer] = {}
    for name in mine:
        c = ClientPeer(
            name, host_addresses=(args.client_address,), keep_times=False, decode=args.decode
        )
        if name in pubs:
            c.publish(fps=args.fps, pre_encoded=media)
        clients[name] = c
    answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
    loop = asyncio.get_running_loop()
    marks: list[dict[str, tuple[int, int]]] = []
    packet_marks: list[int] = []  # media packets the subscribers received (RTX excluded)
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
                packet_marks.append(received_packets(clients))
                mark_times.append(time.monotonic())
                cpu_marks.append(cpu_seconds())
                if len(marks) == 2:
                    return

    task = loop.create_task(reader_loop())
    for name, c in clients.items():
        if args.server_offers and name not in pubs:  # Janus: a subscriber's server offers
            await send(writer, {"op": "join", "peer": name})
            continue
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
            "delivered": packet_marks[1] - packet_marks[0],
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


# ----------------------------------------------------------------------------- town hall

TURN = 4.0  # seconds per speaking turn of the town hall's schedule
LOUD, SECOND, QUIET = -20, -30, -70  # dBov: the turn's speaker, an interjection, room noise
SPEAKING = LoudestSettings().speaking_level  # at or above: speech, for the SFU and the page
SAMPLE = 0.25  # seconds between the host's checks of whom it hears and sees


def speakers(n: int, t: float) -> list[tuple[int, float]]:
    """The town hall's speaking schedule at wall-clock time ``t`` (every process reads the same
    clock): (site index, onset) of the sites speaking, the turn's speaker first. One site
    speaks per ``TURN``; in every other turn a second one interjects from 1 s to 3 s."""
    k = int(t // TURN)
    start = k * TURN
    out = [((k * 37 + 11) % n, start)]
    interjector = (k * 53 + 5) % n
    if k % 2 and n > 1 and start + 1 <= t < start + 3 and interjector != out[0][0]:
        out.append((interjector, start + 1))
    return out


def site_level(index: int, n: int, t: float) -> int:
    for i, (site, _onset) in enumerate(speakers(n, t)):
        if site == index:
            return LOUD if i == 0 else SECOND
    return QUIET


def send_levels(sender: Any, level: Callable[[], int]) -> None:
    """aiortc writes the RFC 6464 ``ssrc-audio-level`` extension only for audio it encodes
    itself (from the samples); packets of a pre-encoded track get ``level()`` (dBov) here."""
    original = sender._next_encoded_frame

    async def next_frame(codec: Any) -> Any:
        frame = await original(codec)
        if frame is not None:
            frame.audio_level = level()
        return frame

    sender._next_encoded_frame = next_frame


class RtpCounter:
    """A light receiver's count of what arrives, per SSRC, from the RTP header that SRTP leaves
    in the clear (RFC 3711 encrypts the payload only): packets, and packets with the marker bit
    (a video frame's last packet; aiortc and browsers set it on every Opus packet too). Nothing
    is decrypted, so a forged or corrupt packet would be counted as well."""

    def __init__(self) -> None:
        self.streams: dict[int, list[int]] = {}  # ssrc -> [packets, marked packets]

    def add(self, data: bytes) -> bool:
        """Count an RTP datagram (True); anything else (STUN, DTLS, RTCP) is not counted."""
        if not rtp_peek.is_rtp(data):
            return False
        ssrc = int.from_bytes(data[8:12], "big")
        stream = self.streams.get(ssrc)
        if stream is None:
            stream = self.streams[ssrc] = [0, 0]
        stream[0] += 1
        if data[1] & 0x80:
            stream[1] += 1
        return True

    def totals(self, kinds: dict[int, str]) -> tuple[int, int]:
        """(video frames, audio packets) over the SSRCs ``kinds`` names (RTX is not media)."""
        frames = packets = 0
        for ssrc, (count, marked) in self.streams.items():
            kind = kinds.get(ssrc)
            if kind == "video":
                frames += marked
            elif kind == "audio":
                packets += count
        return frames, packets


def sdp_ssrc_kinds(sdp: str) -> dict[int, str]:
    """SSRC -> "audio" / "video" / "rtx" from the sender's SDP (its ``a=ssrc`` lines)."""
    found: dict[int, str] = {}
    rtx: set[int] = set()
    kind = ""
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split()[0]
        elif line.startswith("a=ssrc-group:FID "):
            rtx.update(int(x) for x in line.split()[2:])
        elif line.startswith("a=ssrc:"):
            found.setdefault(int(line[7:].split()[0]), kind)
    found.update(dict.fromkeys(rtx, "rtx"))
    return found


def count_without_decrypting(pc: Any, counter: RtpCounter) -> None:
    """After ICE gathering: every RTP datagram the connection's sockets receive is counted and
    dropped before aioice, DTLS and SRTP see it; STUN, DTLS and RTCP take the usual path."""
    transceiver = pc.getTransceivers()[0]  # BUNDLE: one ICE connection carries everything
    for protocol in hooks.ice_connection(transceiver)._protocols:
        original = protocol.datagram_received

        def received(data: bytes, addr: Any, original: Any = original) -> None:
            if not counter.add(data):
                original(data, addr)

        setattr(protocol, "datagram_received", received)  # noqa: B010 - this instance only


class SpeakerFollower:
    """The host page's speaker view, as js/speaker-view.js does it from the server's levels:
    the last site that started speaking is the large tile; with ``thumbnails`` fixed sites
    beside it, those are the videos it shows (``Sfu.set_shown``: the others are not sent)."""

    def __init__(self, sfu: Sfu, host: str, thumbnails: list[str]) -> None:
        self.sfu, self.host, self.thumbnails = sfu, host, thumbnails
        self.speaking: set[str] = set()
        self.large: str | None = None
        self.switches = 0
        sfu.set_shown(host, frozenset(thumbnails))

    def level(self, peer_id: str, level_dbov: int) -> None:
        if peer_id == self.host:
            return
        if level_dbov < SPEAKING:
            self.speaking.discard(peer_id)
        elif peer_id not in self.speaking:
            self.speaking.add(peer_id)
            if peer_id != self.large:
                self.large = peer_id
                self.switches += 1
                shown = [peer_id, *(t for t in self.thumbnails if t != peer_id)]
                self.sfu.set_shown(self.host, frozenset(shown[: len(self.thumbnails) + 1]))


def townhall_setup(sfu: Sfu, events: WireEvents, args: argparse.Namespace) -> None:
    """Before the subscriptions: the host's audio has priority (as signaling gives the host),
    each site's page shows the host, the host's page follows the speaker."""
    sfu.set_audio_priority("host", True)
    for i in range(args.sites):
        sfu.set_shown(f"site{i}", frozenset({"host"}))
    if args.site_video != "off":
        thumbs = [f"site{i}" for i in range(min(args.sites, max(0, args.host_shown - 1)))]
        events.follower = SpeakerFollower(sfu, "host", thumbs)
    events.told_tracks.add("host")


def _spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"min {min(values):.1f} median {statistics.median(values):.1f} max {max(values):.1f}"


def print_townhall(
    args: argparse.Namespace, reports: list[dict[str, Any]], events: WireEvents
) -> None:
    r = RESULT
    reports = sorted(reports, key=lambda x: x["index"])
    total = r["packets"]["audio"] + r["packets"]["video"]
    elapsed = r["elapsed"]
    sites = [s for rep in reports for s in rep["sites"]]
    host = next((rep["host"] for rep in reports if rep.get("host")), None)
    fps = [s["fps"] for s in sites]
    aps = [s["aps"] for s in sites]
    delivered = sum(rep["delivered"] for rep in reports)
    print(
        f"scenario townhall: 1 host + {args.sites} sites, host video {args.width}x{args.height} "
        f"{args.fps:.0f} fps, site video {args.site_video}, site audio {args.site_audio}, "
        f"host audio slots {args.audio_speakers}, host shows {args.host_shown} video(s), "
        f"{args.forwarding} forwarding, {args.client_processes} client processes, "
        f"{srtp_line(args)}"
    )
    print(f"load average before/after: {reports[0]['load_before']} / {os.getloadavg()[:3]}")
    print(
        f"window {elapsed:.1f} s, connected peers {r['peers_at_start']} at its start, "
        f"{r['peers']} at its end, of {args.sites + 1}"
    )
    if OVERLOAD.lags:
        worst, when = max((lag, t - events.subscribed_at) for t, lag in OVERLOAD.lags)
        window = [lag for t, lag in OVERLOAD.lags if t >= RESULT["start"]] or [0.0]
        print(
            f"server event-loop lag: worst {worst:.2f} s ({when:.0f} s after the subscriptions), "
            f"in the window median {statistics.median(window):.3f} s, max {max(window):.2f} s; "
            f"ICE consent expiries at the server: {len(OVERLOAD.expired)}"
            + (
                f" ({min(OVERLOAD.expired) - events.subscribed_at:.0f} to "
                f"{max(OVERLOAD.expired) - events.subscribed_at:.0f} s after the subscriptions)"
                if OVERLOAD.expired
                else ""
            )
        )
    if OVERLOAD.lags:
        worst5 = sorted(OVERLOAD.lags, key=lambda x: -x[1])[:5]
        print(
            "worst event-loop lags (s after the subscriptions: lag): "
            + ", ".join(f"{t - events.subscribed_at:.0f}: {lag:.2f}" for t, lag in worst5)
            + f"; lags over 1 s: {sum(1 for _t, lag in OVERLOAD.lags if lag > 1)}"
        )
    print(f"server UDP receive queues: {OVERLOAD.queue_report(events.subscribed_at)}")
    if OVERLOAD.host_calls:
        print(
            "the host's SDP calls at the server (s after the subscriptions: call, seconds): "
            + ", ".join(
                f"{t - events.subscribed_at:.0f}: {call} {took:.2f}"
                for t, call, took in OVERLOAD.host_calls
            )
        )
    if events.lost:
        after = [t - events.subscribed_at for t, _peer, _state in events.lost]
        states = sorted({state for _t, _peer, state in events.lost})
        print(
            f"connections lost ({'/'.join(states)}): {len({p for _t, p, _s in events.lost})} "
            f"peers, {min(after):.1f} to {max(after):.1f} s after the subscriptions"
        )
    clients = [rep["client_cpu"] for rep in reports]
    print(
        "CPU (core-s/s): server "
        f"{r['cpu']:.3f}{workers_part(r)}; clients "
        + " ".join(f"[{rep['index']}: {rep['client_cpu']:.3f}]" for rep in reports)
        + f"; clients total {sum(clients):.3f}; total {r['cpu'] + sum(clients):.3f}"
    )
    print(
        f"forwarded RTP packets/s: {total / elapsed:.0f} (video "
        f"{r['packets']['video'] / elapsed:.0f}, audio {r['packets']['audio'] / elapsed:.0f}); "
        f"received {r['inbound'] / elapsed:.0f}/s ({unheard_line(args)})"
    )
    if total:
        print(f"server CPU per forwarded packet: {1e6 * r['cpu_seconds'] / total:.1f} µs")
    print(f"server RSS: {r['rss']:.0f} MB")
    expected, received = r["host_uplink"]
    print(
        f"the host's packets read by the server: {received / elapsed:.0f}/s of "
        f"{expected / elapsed:.0f}/s sent ({100 * (expected - received) / max(1, expected):.1f} % "
        f"lost before the server read them)"
    )
    below = sum(1 for f in fps if f < 15)
    print(
        f"host video at the sites (fps): {_spread(fps)}; sites below 15 fps: {below} of {len(fps)}"
    )
    print(
        f"host audio at the sites (packets/s): {_spread(aps)}; sites below 47.5/s (95 %): "
        f"{sum(1 for a in aps if a < 47.5)}"
    )
    print(
        f"RTP counted by the sites' light receivers: {delivered / elapsed:.0f} packets/s "
        f"({delivered / elapsed / max(1, len(sites)):.1f} per site; the server forwarded "
        f"{total / elapsed:.0f}/s to everyone, the host included)"
    )
    if host is not None:
        print(
            f"host receives: audio {len(host['audio'])} stream(s) at "
            f"{_spread(host['audio'])} packets/s; video {len(host['video'])} stream(s) "
            f"flowing at {_spread(host['video'])} fps"
        )
        print(
            f"host hears each scheduled speaker (from 1.5 s after its onset): "
            f"{100 * host['heard']:.0f} % of {host['samples']} samples; first heard "
            f"{_spread(host['heard_after'])} s after its onset"
        )
        if args.site_video != "off":
            switches = events.follower.switches if events.follower is not None else 0
            print(
                f"host sees its large tile's site (the last to start speaking, from 2.5 s "
                f"after its onset): "
                f"{100 * host['seen']:.0f} %; first frame {_spread(host['seen_after'])} s "
                f"after its onset; large-tile switches {switches}"
            )
    print(
        f"keyframe requests sent {r['keyframes']}, slot drops {r['dropped']}, "
        f"UDP receive-buffer drops (whole machine) {r['udp_rcvbuf_errors']}"
    )
    print(f"video packets sent per layer in the window: {r['layers']}; {load_line(args)}")
    flowing = sum(rep["flowing"] for rep in reports)
    print(
        f"sites receiving the host before the warm-up: {flowing} of {args.sites}; client "
        f"connections closed at the end: {sum(rep['closed'] for rep in reports)}"
    )
    if args.json is not None:
        figures: dict[str, Any] = {
            k: v for k, v in r.items() if isinstance(v, (int, float, dict, tuple))
        }
        figures.update(
            scenario=args.scenario,
            sites=args.sites,
            client_cpu=clients,
            site_fps=fps,
            site_aps=aps,
            below_15=below,
            delivered=delivered,
            host=host,
            flowing=flowing,
            load_before=reports[0]["load_before"],
            load_after=os.getloadavg()[:3],
        )
        args.json.write_text(json.dumps(figures, indent=1))


class HostWatch:
    """In the host's process: every ``SAMPLE`` s, whom its audio slots carry and which of its
    videos deliver frames, against the schedule."""

    def __init__(self, client: ClientPeer, n: int) -> None:
        self.client, self.n = client, n
        self.last: dict[str, int] = {}
        self.samples = self.heard = self.seen = self.video_samples = 0
        self.heard_at: dict[tuple[int, float], float] = {}  # (site, onset) -> first heard
        self.seen_at: dict[tuple[int, float], float] = {}
        self.onsets: set[tuple[int, float]] = set()

    def sample(self, video: bool) -> None:
        now = time.time()
        flowing: dict[str, set[str]] = {"audio": set(), "video": set()}
        for mid, rec in self.client.received.items():
            info = self.client.tracks.get(mid)
            if rec.frames > self.last.get(mid, 0) and info is not None:
                flowing[rec.kind].add(info["participant"])
            self.last[mid] = rec.frames
        for site, onset in speakers(self.n, now):
            name = f"site{site}"
            self.onsets.add((site, onset))
            if name in flowing["audio"]:
                self.heard_at.setdefault((site, onset), now)
            if name in flowing["video"]:
                self.seen_at.setdefault((site, onset), now)
            if now - onset >= 1.5:
                self.samples += 1
                self.heard += name in flowing["audio"]
        # The large tile is the last site that started speaking (it stays large after it
        # stopped, until someone else starts).
        site, onset = max(self.onsets, key=lambda o: o[1])
        if video and now - onset >= 2.5:
            self.video_samples += 1
            self.seen += f"site{site}" in flowing["video"]

    async def run(self, video: bool) -> None:
        while True:
            await asyncio.sleep(SAMPLE)
            self.sample(video)

    def report(self, rates: dict[str, tuple[str, float]], span: float) -> dict[str, Any]:
        # A speaker already speaking when the watch started is not timed from its onset.
        started = min(self.onsets, key=lambda o: o[1], default=(0, 0.0))[1]
        timed = [o for o in self.onsets if o[1] > started]
        return {
            "audio": [rate for kind, rate in rates.values() if kind == "audio" and rate > 0],
            "video": [rate for kind, rate in rates.values() if kind == "video" and rate > 0],
            "samples": self.samples,
            "heard": self.heard / max(1, self.samples),
            "seen": self.seen / max(1, self.video_samples),
            "heard_after": [self.heard_at[o] - o[1] for o in timed if o in self.heard_at],
            "seen_after": [self.seen_at[o] - o[1] for o in timed if o in self.seen_at],
            "unheard": sum(1 for o in timed if o not in self.heard_at),
        }


MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
VP8_CHUNK = 1200  # payload bytes per packet (aiortc: 1300 with the descriptor)


class CameraTrack(PreEncodedTrack):
    """The host's pre-encoded media paced like a camera and a microphone: after a stall (a
    long renegotiation of the host's hundreds of m-lines blocks its event loop for seconds)
    the missed frames are skipped, not sent late in a burst (PreEncodedTrack catches up,
    which ran the host at 24 fps instead of 20 through a 20 s window)."""

    async def recv(self) -> Any:
        if self._start is not None:
            behind = time.monotonic() - (self._start + self.sent / self._rate)
            if behind > 0.25:  # a stall, not timer jitter (which a capture buffer absorbs)
                self._start += int(behind * self._rate) / self._rate
        return await super().recv()


class IdleTrack(MediaStreamTrack):
    """Holds a sender's place (its SSRC, negotiated codec and header extensions) and never
    yields a frame: the light sender sends for it."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.get_running_loop().create_future()  # never resolved: nothing from aiortc


class LightStream:
    """One sendonly m-line of a site sent without aiortc's per-packet Python (which costs
    ~150 µs a packet here: 228 sites x 50 packets/s would take two cores by itself). aiortc
    negotiates and runs ICE + DTLS; then this builds each RTP packet from bytes (the SSRC,
    payload type and header-extension ids aiortc negotiated: mid, abs-send-time and, for
    audio, the RFC 6464 level), protects it with aiortc's own SRTP session and sends it on
    the nominated ICE pair's socket. On the wire it is what aiortc would send."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender
        self.params: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        original = sender.send

        async def send(parameters: Any) -> None:
            if not self.params.done():
                self.params.set_result(parameters)
            await original(parameters)

        sender.send = send
        self.seq = random.getrandbits(16)
        self.timestamp = random.getrandbits(32)
        self.picture_id = random.getrandbits(15)
        self.ready = False

    def start(self) -> None:
        """Once connected (DTLS done, aiortc called ``sender.send``)."""
        params = self.params.result()
        self.payload_type = params.codecs[0].payloadType
        ids = {ext.uri: ext.id for ext in params.headerExtensions}
        mid = params.muxId.encode()
        self.mid_ext = bytes([ids[MID_URI] << 4 | (len(mid) - 1)]) + mid if MID_URI in ids else b""
        self.abs_id = ids.get(ABS_SEND_TIME_URI)
        self.level_id = ids.get(LEVEL_URI)
        self.ssrc = self.sender._ssrc
        dtls = self.sender.transport
        self.srtp = dtls._tx_srtp
        pair = dtls.transport._connection._nominated[1]
        self.transport = pair.protocol.transport
        self.sendto = self.transport.sendto
        self.addr = pair.remote_addr
        self.ready = True

    def send(self, payload: bytes, marker: bool, abs_time: int, level: int | None) -> None:
        ext = self.mid_ext
        if self.abs_id is not None:
            ext += bytes([self.abs_id << 4 | 2]) + abs_time.to_bytes(3, "big")
        if level is not None and self.level_id is not None:
            voiced = 0x80 if level >= SPEAKING else 0
            ext += bytes([self.level_id << 4, voiced | -level])
        ext += bytes(-len(ext) % 4)
        header = struct.pack(
            "!BBHIIHH",
            0x90,
            (0x80 if marker else 0) | self.payload_type,
            self.seq,
            self.timestamp,
            self.ssrc,
            0xBEDE,
            len(ext) // 4,
        )
        self.seq = (self.seq + 1) & 0xFFFF
        self.sendto(self.srtp.protect(header + ext + payload), self.addr)

    def send_frame(self, frame: bytes, abs_time: int) -> None:
        """A VP8 frame in packets (aiortc's descriptor: S bit, 15-bit picture id)."""
        pid = struct.pack("!BH", 0x80, 0x8000 | self.picture_id)
        chunks = [frame[i : i + VP8_CHUNK] for i in range(0, len(frame), VP8_CHUNK)]
        for i, chunk in enumerate(chunks):
            descriptor = bytes([0x90 if i == 0 else 0x80]) + pid
            self.send(descriptor + chunk, i == len(chunks) - 1, abs_time, None)
        self.picture_id = (self.picture_id + 1) & 0x7FFF


class LightSite:
    def __init__(self, index: int, audio: LightStream, video: LightStream | None) -> None:
        self.index, self.audio, self.video = index, audio, video
        self.frames = 0
        self.paused = False  # told nobody sees it: no video until told otherwise
        if video is not None:  # a PLI: the next frame is the cycle's keyframe
            hooks.on_keyframe_request(video.sender, self.restart)

    def restart(self) -> None:
        """Answer a keyframe request as a browser does (with a keyframe, from the next frame
        on): the pre-encoded cycle starts again at its keyframe."""
        self.frames = 0

    def seen(self, seen: bool) -> None:
        """``media:limits`` ``unseen`` as a page applies it: the camera's encodings off, and
        on again starting with a keyframe (Chromium's encoder restarts with one)."""
        if seen and self.paused:
            self.restart()
        self.paused = not seen


DTX_EVERY = 10  # a muted page's Opus DTX: one packet per 10 frames (200 ms), as measured
DTX_PAYLOAD = b"\xf8\xff\xfe"  # an Opus frame of silence (TOC + 2 bytes), as DTX sends


async def light_send_forever(
    sites: list[LightSite],
    opus: list[bytes],
    vp8: list[bytes],
    n: int,
    fps: float,
    muted: bool = False,
) -> None:
    """Every site's media from one timer: each site sends an Opus packet every 20 ms (sites
    spread over four 5 ms phases, not all at once) and a video frame every 1/fps s. A late
    process catches up (sends without sleeping), as aiortc's paced tracks do. ``muted``: a site
    not scheduled to speak sends DTX, one silent packet every ``DTX_EVERY`` frames."""
    tick = 0.005
    every = max(1, round(50 / fps)) if vp8 else 0  # audio periods per video frame
    start = time.monotonic()
    k = 0
    while True:
        k += 1
        wait = start + k * tick - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        phase, period = k % 4, k // 4
        abs_time = (current_ntp_time() >> 14) & 0xFFFFFF
        now = time.time()
        for site in sites:
            if site.index % 4 != phase or not site.audio.ready:
                continue
            audio = site.audio
            if audio.transport.is_closing():  # the connection was lost (consent expired)
                continue
            level = site_level(site.index, n, now)
            if not muted or level != QUIET:
                audio.send(opus[period % len(opus)], True, abs_time, level)
            elif (period + site.index) % DTX_EVERY == 0:
                audio.send(DTX_PAYLOAD, True, abs_time, -127)
            audio.timestamp = (audio.timestamp + 960) & 0xFFFFFFFF
            video = site.video
            if (
                video is not None
                and video.ready
                and not site.paused
                and (period + site.index) % every == 0
            ):
                video.send_frame(vp8[site.frames % len(vp8)], abs_time)
                video.timestamp = (video.timestamp + int(90000 / fps)) & 0xFFFFFFFF
                site.frames += 1


async def run_townhall_client(args: argparse.Namespace) -> None:
    """A town hall client process: the host (a full aiortc client, in a process of its own
    with several processes) or a share of the sites (light receivers)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port, limit=LINE_LIMIT)
    mine = share(args, args.client_index)
    n = args.sites
    opus = encode_opus_cycle()
    host_vp8 = encode_vp8_cycle(args.width, args.height, args.fps, args.bitrate, 40)
    host_low: list[bytes] = []
    if args.host_low != "off":  # the page's second video m-line: the SFU's "low" stream
        w, h = (int(x) for x in args.host_low.split("x"))
        host_low = encode_vp8_cycle(w, h, args.fps, args.host_low_bitrate, 40)
    site_vp8: list[bytes] = []
    if args.site_video != "off":
        w, h = (int(x) for x in args.site_video.split("x"))
        site_vp8 = encode_vp8_cycle(w, h, args.site_fps, args.site_bitrate, int(2 * args.site_fps))
    clients: dict[str, ClientPeer] = {}
    counters: dict[str, RtpCounter] = {}
    light: list[LightSite] = []
    by_name: dict[str, LightSite] = {}
    for name in mine:
        c = ClientPeer(name, keep_times=False, decode=False)
        if name == "host":  # a full aiortc client: paced tracks, decrypts what it receives
            cameras = [
                CameraTrack("audio", opus, 50.0, 48000),
                CameraTrack("video", host_vp8, args.fps, VIDEO_CLOCK),
            ]
            if host_low:
                cameras.append(CameraTrack("video", host_low, args.fps, VIDEO_CLOCK))
            for camera in cameras:
                c.pc.addTransceiver(camera, direction="sendonly")
                c.local_tracks.append(camera)
            send_levels(c.pc.getTransceivers()[0].sender, lambda: LOUD)  # speaks throughout
        else:
            streams = []
            for kind in ("audio", "video") if site_vp8 else ("audio",):
                track = IdleTrack(kind)
                c.local_tracks.append(track)
                sender = c.pc.addTransceiver(track, direction="sendonly").sender
                streams.append(LightStream(sender))
            index = int(name.removeprefix("site"))
            light.append(LightSite(index, streams[0], streams[1] if site_vp8 else None))
            by_name[name] = light[-1]
        clients[name] = c
    answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
    loop = asyncio.get_running_loop()
    marks: list[dict[str, tuple[str, int]]] = []
    mark_times: list[float] = []
    cpu_marks: list[float] = []
    load_before = os.getloadavg()[:3]
    kinds_of: dict[str, dict[int, str]] = {}  # site -> ssrc kinds of the server's offer
    host = clients.get("host")
    watch = HostWatch(host, n) if host is not None else None
    watching: asyncio.Task[None] | None = None

    def snapshot() -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        for name, counter in counters.items():
            frames, packets = counter.totals(kinds_of.get(name, {}))
            out[f"{name}/video"] = ("video", frames)
            out[f"{name}/audio"] = ("audio", packets)
            out[f"{name}/all"] = ("all", sum(s[0] for s in counter.streams.values()))
        if host is not None:
            for mid, rec in host.received.items():
                out[f"host/{mid}"] = (rec.kind, rec.frames)
        return out

    async def reader_loop() -> None:
        nonlocal watching
        while line := await reader.readline():
            msg = json.loads(line)
            if msg["op"] == "answer":
                answers[msg["peer"]].set_result(msg)
            elif msg["op"] == "tracks":
                clients[msg["peer"]].tracks = dict(msg["tracks"])
            elif msg["op"] == "seen":
                site = by_name.get(msg["peer"])
                if site is not None:
                    site.seen(msg["seen"])
            elif msg["op"] == "offer":
                c = clients[msg["peer"]]
                if c.state == "closed":  # its connection was lost (overload): nothing to answer
                    continue
                c.tracks.update(msg["tracks"])
                if msg["peer"] in counters:
                    kinds_of[msg["peer"]] = sdp_ssrc_kinds(msg["sdp"])
                sdp = await c.answer(msg["sdp"])
                await send(writer, {"op": "answer", "peer": msg["peer"], "sdp": sdp})
            elif msg["op"] == "mark":
                marks.append(snapshot())
                mark_times.append(time.monotonic())
                cpu_marks.append(cpu_seconds())
                if watch is not None and watching is None:
                    watching = loop.create_task(watch.run(args.site_video != "off"))
                if len(marks) == 2:
                    return

    def receiving(name: str) -> bool:
        frames, packets = counters[name].totals(kinds_of.get(name, {}))
        return frames > 0 and packets > 0

    task = loop.create_task(reader_loop())
    for name, c in clients.items():
        answers[name] = loop.create_future()
        offer = await c.offer()
        if name != "host":
            counters[name] = RtpCounter()
            count_without_decrypting(c.pc, counters[name])
        await send(writer, {"op": "offer", "peer": name, "sdp": offer})
        msg = await answers[name]
        c.tracks.update(msg["tracks"])
        await c.accept(msg["sdp"])
    setup = 60 + len(clients)
    await wait_for(lambda: all(c.state == "connected" for c in clients.values()), within=setup)
    for site in light:
        for stream in (site.audio, site.video):
            if stream is not None:
                await asyncio.wait_for(stream.params, timeout=setup)
                stream.start()
    sending = (
        loop.create_task(
            light_send_forever(light, opus, site_vp8, n, args.site_fps, args.site_audio == "muted")
        )
        if light
        else None
    )
    await send(writer, {"op": "connected"})
    with contextlib.suppress(TimeoutError):
        await wait_for(lambda: all(receiving(s) for s in counters), within=setup)
    flowing = sum(1 for s in counters if receiving(s))
    await send(writer, {"op": "receiving"})
    await task
    if watching is not None:
        watching.cancel()
    if sending is not None:
        sending.cancel()
    span = mark_times[1] - mark_times[0]
    rates = {
        key: (kind, (end - marks[0].get(key, (kind, 0))[1]) / span)
        for key, (kind, end) in marks[1].items()
    }
    sites = [
        {"site": s, "fps": rates[f"{s}/video"][1], "aps": rates[f"{s}/audio"][1]} for s in counters
    ]
    delivered = sum(
        end - marks[0].get(key, ("all", 0))[1]
        for key, (kind, end) in marks[1].items()
        if kind == "all"
    )
    host_rates = {k: v for k, v in rates.items() if k.startswith("host/")}
    await send(
        writer,
        {
            "op": "report",
            "index": args.client_index,
            "sites": sites,
            "host": watch.report(host_rates, span) if watch is not None else None,
            "delivered": delivered,
            "client_cpu": (cpu_marks[1] - cpu_marks[0]) / span,
            "load_before": load_before,
            "flowing": flowing,
            "closed": sum(1 for c in clients.values() if c.state in ("closed", "failed")),
        },
    )
    for c in clients.values():
        await c.close()
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=("fanout", "session", "townhall"), default="fanout")
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
        default=None,
        help="audio slots per subscriber (MediaSettings.loudest.limit; default 3 in a town "
        "hall, whose publishers send levels; otherwise 0: every pair, "
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
    parser.add_argument(
        "--keep-unheard-audio",
        action="store_true",
        help="publishers' quiet audio that nobody hears goes through DTLS/SRTP and aiortc's "
        "receive path as before (MediaSettings.drop_unheard_audio=False)",
    )
    parser.add_argument(
        "--keep-unseen-video",
        action="store_true",
        help="publishers' video that nobody sees goes through DTLS/SRTP and aiortc's receive "
        "path as before (MediaSettings.drop_unseen_video=False)",
    )
    parser.add_argument(
        "--camera-pause",
        type=float,
        default=10.0,
        help="seconds a camera nobody sees is sent before its page is told to pause it "
        "(MediaSettings.pause_unseen_after; 0: never); the town hall's light sites pause as "
        "a page does, the fanout scenario's publishers never do",
    )
    parser.add_argument(
        "--queued-srtp",
        action="store_true",
        help="received SRTP is queued for aiortc's DTLS task, as before, instead of being "
        "handled in the socket's read callback (MediaSettings.direct_srtp=False)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="list slow tracks")
    parser.add_argument("--decode", action="store_true", help="subscribers decode (costly)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes the session spreads over (media/cascade.py; 1: one SFU)",
    )
    parser.add_argument("--cascade-worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--client-index", type=int, default=0, help=argparse.SUPPRESS)
    # bench/janus.py's clients: ICE on its veth towards Janus's namespace (Janus gathers on no
    # loopback interface), and subscribers that ask the server for its offer (VideoRoom offers).
    parser.add_argument("--client-address", default=LOOPBACK[0], help=argparse.SUPPRESS)
    parser.add_argument("--server-offers", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="synthetic clients run in this many processes (the first publisher alone in one)",
    )
    parser.add_argument(
        "--site-video",
        default="160x120",
        help="town hall: WxH of each site's video, or off (default 160x120: the low layer a "
        "site's thumbnail needs)",
    )
    parser.add_argument(
        "--site-audio",
        choices=("noise", "muted"),
        default="noise",
        help="town hall: sites not scheduled to speak send room noise at 50 packets/s (noise, "
        "a page whose microphone is on) or DTX at 5 packets/s (muted: after the host's "
        "'Mute all')",
    )
    parser.add_argument("--site-fps", type=float, default=10.0, help="town hall: site video fps")
    parser.add_argument(
        "--site-bitrate", type=int, default=60_000, help="town hall: site video target (bits/s)"
    )
    parser.add_argument(
        "--host-low",
        default="off",
        help="town hall: WxH of the host's low stream (a second video m-line, as the page "
        "sends), or off (default: the host sends one video stream)",
    )
    parser.add_argument(
        "--host-low-bitrate",
        type=int,
        default=150_000,
        help="town hall: the host's low stream's target (bits/s)",
    )
    parser.add_argument(
        "--cpu-limit",
        type=float,
        default=MediaSettings().cpu_limit,
        help="the server sheds video above this share of a core (MediaSettings.cpu_limit; "
        "0: never)",
    )
    parser.add_argument(
        "--read-batch",
        type=int,
        default=MediaSettings().udp_read_batch,
        help="datagrams the server reads from a ready socket at once (MediaSettings."
        "udp_read_batch; 1: asyncio's one)",
    )
    parser.add_argument(
        "--host-shown",
        type=int,
        default=6,
        help="town hall: videos the host's page shows (the speaker and N-1 thumbnails; "
        "6: speaker view at 1366x768 shows 5 thumbnails)",
    )
    args = parser.parse_args()
    if args.audio_speakers is None:  # a town hall pools the host's audio; the others do not
        args.audio_speakers = 3 if args.scenario == "townhall" else 0
    if args.cascade_worker:
        asyncio.run(run_cascade_worker(args))
    elif args.client:
        client = run_townhall_client if args.scenario == "townhall" else run_client
        asyncio.run(client(args))
    else:
        asyncio.run(run_server(args))


if __name__ == "__main__":
    main()
