"""Pendopo's SFU side by side with Janus VideoRoom, same load, one invocation, alternating.

Each round runs, for every ``--subscribers`` N, one measurement of each server (Janus first in
odd rounds, Pendopo first in even ones) with the same synthetic clients: ``bench/sfu.py``'s
client processes (one for the publisher, one for the N subscribers), a publisher looping
pre-encoded VP8 (``--width`` x ``--height`` at ``--fps``) and Opus at 50 packets/s, and N
subscribers that count what they receive.

- **Pendopo**: ``bench/sfu.py --subscribers N --json ...`` as it is (its Sfu in its own process,
  CPU from ``getrusage``).
- **Janus**: ``/usr/bin/janus`` (Debian ``janus``) started afresh for each measurement on a
  minimal configuration (bench/janus_server.py: the VideoRoom plugin and the HTTP transport
  alone, no STUN/TURN) in a network namespace of this benchmark's own (bench/janus_netns.py);
  this process plays ``bench/sfu.py``'s server side
  towards the client processes and drives a VideoRoom over Janus's HTTP API (a room, the
  publisher's ``join`` + ``publish``, each subscriber's ``join`` + ``start``). CPU: the Janus
  process's utime + stime from /proc (every thread), RSS from /proc.

Both measure the same window: warm-up once media flows on every track, then ``--seconds``.
Per forwarded packet: server CPU over the media packets the subscribers *received* in the window
(aiortc's per-SSRC counts, RTX excluded), the same count for both servers; the subscribers'
frames/s are printed next to it so a server that forwards little cannot look cheap. Fixed cost:
server CPU at N=0 (the publisher's streams received, nothing forwarded).

Janus's libnice gathers no candidate on a loopback interface, so Janus runs in a namespace
``pdjn*`` made for the invocation and gathers on its end of a veth pair (10.79.0.1); the client
processes of the Janus runs stay in the root namespace and gather on the pair's other end
(10.79.0.2), where this process also reaches Janus's HTTP API. Nothing else is routed over the
pair, and the namespace has no other interface. The namespace (and with it the pair) is deleted
when the benchmark ends, also on Ctrl-C or SIGTERM. Pendopo's runs use 127.0.0.1 as
``bench/sfu.py`` always does.

Skipped (exit 0) when /usr/bin/janus is not installed (``apt-get install janus``), or when the
namespace cannot be made (not root, no ``ip``).

    .venv/bin/python bench/janus.py --subscribers 0 10 20 40 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # tests.weaklink.processes (janus_netns)

import janus_netns  # noqa: E402
import janus_server  # noqa: E402
import sfu  # noqa: E402  (bench/sfu.py: its clients, wire and client-process split)

ROOM = 1234
FEED = 1  # the publisher's id in the room


# ----------------------------------------------------------------------------- Pendopo


def run_pendopo(n: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(HERE / "sfu.py"), *load_options(n, args)]
        subprocess.run([*command, "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
        figures: dict[str, Any] = json.loads(out.read_text())
    return {
        "cpu": figures["cpu"],
        "cpu_seconds": figures["cpu_seconds"],
        "elapsed": figures["elapsed"],
        "delivered": figures["delivered"],
        "server_forwarded": figures["packets"]["audio"] + figures["packets"]["video"],
        "rss": figures["rss"],
        "video_fps": figures["video_fps"] if n else [],
        "audio_pps": figures["audio_pps"] if n else [],
        "load_before": figures["load_before"][0],
    }


def load_options(n: int, args: argparse.Namespace) -> list[str]:
    """bench/sfu.py's options for the shared load (the clients' too: they parse the same)."""
    return [
        "--subscribers",
        str(n),
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        "--width",
        str(args.width),
        "--height",
        str(args.height),
        "--fps",
        str(args.fps),
        "--bitrate",
        str(args.bitrate),
    ]


# ----------------------------------------------------------------------------- Janus


class JanusSide:
    """bench/sfu.py's server side for its client processes, over a Janus VideoRoom."""

    def __init__(self, janus: janus_server.Session, pid: int, args: argparse.Namespace) -> None:
        self.janus = janus
        self.pid = pid
        self.args = args
        self.nprocs = 2  # bench/sfu.py's default: the publisher's process, the subscribers'
        self.handles: dict[str, int] = {}
        self.published: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.arrived = {"connected": 0, "receiving": 0}
        self.processes: list[asyncio.StreamWriter] = []
        self.reports: list[dict[str, Any]] = []
        self.result: dict[str, Any] = {}
        self.measuring: asyncio.Task[None] | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.processes.append(writer)
        try:
            while line := await reader.readline():
                if await self.on_message(json.loads(line), writer):
                    break
        except Exception as exc:  # a Janus error: fail the measurement, not hang it
            if not self.done.done():
                self.done.set_exception(exc)

    async def on_message(self, msg: dict[str, Any], writer: asyncio.StreamWriter) -> bool:
        op, peer = msg["op"], msg.get("peer", "")
        if op == "offer":  # the publisher's offer
            handle = self.handles[peer] = await self.janus.attach()
            await self.janus.message(handle, janus_server.join_publisher(ROOM, FEED, peer))
            event = await self.janus.message(
                handle, janus_server.publish(), janus_server.jsep("offer", msg["sdp"])
            )
            reply = {"op": "answer", "peer": peer, "sdp": event["jsep"]["sdp"], "tracks": {}}
            await sfu.send(writer, reply)
            self.published.set_result(None)
        elif op == "join":  # a subscriber: VideoRoom offers
            await self.published
            handle = self.handles[peer] = await self.janus.attach()
            event = await self.subscribe(handle)
            offer = {"op": "offer", "peer": peer, "sdp": event["jsep"]["sdp"], "tracks": {}}
            await sfu.send(writer, offer)
        elif op == "answer":
            await self.janus.message(
                self.handles[peer],
                janus_server.start_subscription(),
                janus_server.jsep("answer", msg["sdp"]),
            )
        elif op in self.arrived:
            self.arrived[op] += 1
            if op == "receiving" and self.arrived[op] == self.nprocs:
                self.measuring = asyncio.ensure_future(self.measure())
        elif op == "report":
            self.reports.append(msg)
            if len(self.reports) == self.nprocs:
                self.done.set_result(self.reports)
            return True
        return False

    async def subscribe(self, handle: int) -> dict[str, Any]:
        """A subscriber's ``join``: the feed exists for subscribers only once the publisher's
        PeerConnection is up, a little after its answer."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return await self.janus.message(handle, janus_server.join_subscriber(ROOM, FEED))
            except janus_server.JanusError as exc:
                if "No such feed" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)

    async def measure(self) -> None:
        await asyncio.sleep(self.args.warmup)
        c0, t0 = janus_server.cpu_seconds(self.pid), time.monotonic()
        await asyncio.gather(*(sfu.send(w, {"op": "mark"}) for w in self.processes))
        await asyncio.sleep(self.args.seconds)
        c1, t1 = janus_server.cpu_seconds(self.pid), time.monotonic()
        await asyncio.gather(*(sfu.send(w, {"op": "mark"}) for w in self.processes))
        self.result.update(
            cpu=(c1 - c0) / (t1 - t0),
            cpu_seconds=c1 - c0,
            elapsed=t1 - t0,
            rss=janus_server.rss_mb(self.pid),
        )


async def run_janus_async(
    n: int, args: argparse.Namespace, net: janus_netns.JanusNet
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = await janus_server.start(Path(tmp), janus_netns.JANUS_ADDR, net.exec_prefix())
        try:
            async with aiohttp.ClientSession() as http:
                await janus_server.wait_ready(http, base)
                session = janus_server.Session(http, base)
                await session.open()
                try:
                    admin = await session.attach()
                    await session.message(admin, janus_server.create_room(ROOM, args.bitrate * 2))
                    return await drive(session, proc.pid, n, args) | {"load_before": load_before}
                finally:
                    await session.close()
        except BaseException:
            log = Path(tmp) / "janus.log"
            if log.exists():
                print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            if proc.returncode is None:
                proc.terminate()
            # Janus 1.1.2 sometimes crashes while it stops (after the window: no figure changes).
            if await proc.wait() not in (0, -signal.SIGTERM):
                print(f"note: Janus exited with {proc.returncode} as it stopped", file=sys.stderr)


async def drive(
    session: janus_server.Session, pid: int, n: int, args: argparse.Namespace
) -> dict[str, Any]:
    side = JanusSide(session, pid, args)
    server = await asyncio.start_server(side.handle, "127.0.0.1", 0, limit=sfu.LINE_LIMIT)
    port = server.sockets[0].getsockname()[1]
    client_options = ["--client", "--port", str(port), "--server-offers"]
    # The clients' ICE on the root namespace's end of the pair, the one way to Janus.
    client_options += ["--client-address", janus_netns.CLIENT_ADDR, *load_options(n, args)]
    clients = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "sfu.py"),
            *client_options,
            "--client-index",
            str(i),
        )
        for i in range(side.nprocs)
    ]
    try:
        reports = await asyncio.wait_for(side.done, timeout=args.seconds + 180 + 2 * n)
    finally:
        if side.measuring is not None and not side.measuring.done():
            side.measuring.cancel()
        server.close()
        for client in clients:
            if client.returncode is None:
                client.terminate()
            await client.wait()
    report = sfu.merge(reports)
    return side.result | {
        "delivered": report["delivered"],
        "video_fps": report["video_fps"] if n else [],
        "audio_pps": report["audio_pps"] if n else [],
    }


def run_janus(n: int, args: argparse.Namespace, net: janus_netns.JanusNet) -> dict[str, Any]:
    return asyncio.run(run_janus_async(n, args, net))


# ----------------------------------------------------------------------------- report


def per_packet(run: dict[str, Any]) -> float | None:
    """µs of server CPU per media packet the subscribers received."""
    if not run["delivered"]:
        return None
    return 1e6 * float(run["cpu_seconds"]) / run["delivered"]


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or not b else f"{a / b:.2f}x"


def fps_min(run: dict[str, Any]) -> float | None:
    return min(run["video_fps"]) if run["video_fps"] else None


def print_run(server: str, n: int, rnd: int, run: dict[str, Any]) -> None:
    rate = run["delivered"] / run["elapsed"]
    aps = min(run["audio_pps"]) if run["audio_pps"] else None
    print(
        f"| {rnd + 1} | {n} | {server} | {run['load_before']:.1f} | {run['cpu']:.3f} "
        f"| {rate:,.0f} | {fmt(per_packet(run), '.1f')} | {fmt(fps_min(run), '.1f')} "
        f"| {fmt(aps, '.1f')} | {run['rss']:.0f} | {run['wall']:.0f} |",
        flush=True,
    )


def summary(runs: dict[tuple[str, int], list[dict[str, Any]]], sizes: list[int]) -> None:
    print()
    print(
        "| N | µs/fwd pkt Janus | µs/fwd pkt Pendopo | ratio | CPU core Janus | "
        "CPU core Pendopo | ratio | RSS MB Janus | RSS MB Pendopo | fps min Janus | "
        "fps min Pendopo |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        j, p = runs[("janus", n)], runs[("pendopo", n)]
        jp, pp = median([per_packet(r) for r in j]), median([per_packet(r) for r in p])
        jc, pc = median([r["cpu"] for r in j]), median([r["cpu"] for r in p])
        jr, pr = median([r["rss"] for r in j]), median([r["rss"] for r in p])
        jf = median([fps_min(r) for r in j])
        pf = median([fps_min(r) for r in p])
        print(
            f"| {n} | {fmt(jp, '.1f')} | {fmt(pp, '.1f')} | {ratio(pp, jp)} | {fmt(jc, '.3f')} "
            f"| {fmt(pc, '.3f')} | {ratio(pc, jc)} | {fmt(jr, '.0f')} | {fmt(pr, '.0f')} "
            f"| {fmt(jf, '.1f')} | {fmt(pf, '.1f')} |"
        )
    if 0 in sizes:
        base = {s: median([r["cpu"] for r in runs[(s, 0)]]) or 0.0 for s in ("janus", "pendopo")}
        print()
        print("net of the fixed cost ((CPU at N - median CPU at 0) / received packets/s):")
        for n in sizes:
            if n == 0:
                continue
            net = {
                s: median(
                    [
                        1e6 * (r["cpu"] - base[s]) / (r["delivered"] / r["elapsed"])
                        for r in runs[(s, n)]
                        if r["delivered"]
                    ]
                )
                for s in ("janus", "pendopo")
            }
            print(
                f"  N={n}: Janus {fmt(net['janus'], '.1f')} µs, Pendopo "
                f"{fmt(net['pendopo'], '.1f')} µs ({ratio(net['pendopo'], net['janus'])})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", nargs="+", type=int, default=[0, 10, 20, 40])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--bitrate", type=int, default=700_000, help="VP8 target (bits/s)")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()
    if not janus_server.JANUS.exists():
        print(f"skipped: {janus_server.JANUS} is not installed (Debian: apt-get install janus)")
        return
    reason = janus_netns.unavailable_reason()
    if reason is not None:
        print(f"skipped: {reason}")
        return
    # SIGTERM as SystemExit, so the namespace goes (``with``, atexit) as it does on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with janus_netns.JanusNet() as net:
            compare(args, net)
    except janus_netns.NetUnavailable as exc:
        print(f"skipped: {exc}")


def compare(args: argparse.Namespace, net: janus_netns.JanusNet) -> None:
    print(
        f"Janus in namespace {net.name} at {janus_netns.JANUS_ADDR}, its clients on "
        f"{janus_netns.CLIENT_ADDR} ({net.outside}); load average {os.getloadavg()[:3]}"
    )
    print(
        "| round | N | server | load before | CPU core-s/s | received pkt/s | µs/fwd pkt "
        "| fps min | audio pkt/s min | RSS MB | run s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for rnd in range(args.rounds):
        order = ("janus", "pendopo") if rnd % 2 == 0 else ("pendopo", "janus")
        for n in args.subscribers:
            for server in order:
                began = time.monotonic()
                run = run_janus(n, args, net) if server == "janus" else run_pendopo(n, args)
                run["wall"] = time.monotonic() - began
                runs.setdefault((server, n), []).append(run)
                print_run(server, n, rnd, run)
    summary(runs, args.subscribers)
    print(f"load average after: {os.getloadavg()[:3]}")
    if args.json is not None:
        rows = [{"server": s, "subscribers": n, **r} for (s, n), rs in runs.items() for r in rs]
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
