"""socket.io fan-out CPU: one process, one process through Redis, two processes through Redis.

Servers are Pendopo's socket.io configuration (``signaling.server.create_server``) on aiohttp,
each in its own process (this file with ``serve``); clients (python-socketio, websocket) run in
this process, spread evenly over the servers. Node 0 emits ``rounds`` messages to each of
``rooms`` socket.io rooms; with two servers half the receivers are on node 1, reached through
Redis pub/sub. Reported: server CPU (user+system of every server process, from /proc) per
delivered message. A private redis-server is started on a free loopback port (never 6379).

    .venv/bin/python bench/redis_fanout.py --clients 200 --rooms 10 --rounds 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAYLOAD = {"from": "p_0123456789", "name": "Bupati", "text": "x" * 60, "ts": 1764340000.1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- server process


def serve(port: int, redis_url: str | None) -> None:
    import gc

    from aiohttp import web

    from pendopo.config import Settings
    from signaling.server import attach, create_server

    sio = create_server(Settings(redis_url=redis_url))
    app = web.Application()
    attach(app, sio)

    @sio.on("enter")
    async def enter(sid: str, room: str) -> bool:
        await sio.enter_room(sid, room)
        return True

    @sio.on("blast")
    async def blast(sid: str, data: dict[str, Any]) -> bool:
        for _ in range(int(data["rounds"])):
            for room in data["rooms"]:
                await sio.emit("chat", PAYLOAD, room=room)
            await asyncio.sleep(0.002)
        return True

    gc.freeze()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


# ----------------------------------------------------------------------------- driver


async def wait_port(port: int, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def scenario(
    name: str, servers: int, redis_url: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    import socketio

    ports = [free_port() for _ in range(servers)]
    procs = start_servers(ports, redis_url)
    clients: list[socketio.AsyncClient] = []
    try:
        for port in ports:
            await wait_port(port)
        received = 0
        expected = args.rounds * args.clients
        all_in = asyncio.Event()

        def counter() -> Any:
            async def on_chat(data: Any) -> None:
                nonlocal received
                received += 1
                if received >= expected:
                    all_in.set()

            return on_chat

        rooms = [f"r{i}" for i in range(args.rooms)]
        for i in range(args.clients):
            client = socketio.AsyncClient(reconnection=False)
            client.on("chat", counter())
            await client.connect(f"http://127.0.0.1:{ports[i % servers]}", transports=["websocket"])
            await client.call("enter", rooms[i % len(rooms)])
            clients.append(client)
        control = clients[0]  # on node 0
        await asyncio.sleep(1.0)
        before = [cpu_seconds(p.pid) for p in procs]
        started = time.monotonic()
        await control.call("blast", {"rooms": rooms, "rounds": args.rounds}, timeout=300)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), 60)
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.5)  # late deliveries still cost CPU; count it all
        after = [cpu_seconds(p.pid) for p in procs]
        cpu = sum(after) - sum(before)
        return {
            "scenario": name,
            "delivered": received,
            "expected": expected,
            "seconds": round(elapsed, 2),
            "server_cpu_s": round(cpu, 2),
            "per_node_cpu_s": [round(a - b, 2) for a, b in zip(after, before, strict=True)],
            "us_per_delivered": round(cpu / max(received, 1) * 1e6, 1),
        }
    finally:
        for client in clients:
            await client.disconnect()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def start_servers(ports: list[int], redis_url: str | None) -> list[subprocess.Popen[bytes]]:
    procs = []
    for port in ports:
        cmd = [sys.executable, __file__, "serve", "--port", str(port)]
        if redis_url:
            cmd += ["--redis-url", redis_url]
        procs.append(subprocess.Popen(cmd))
    return procs


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    return proc, f"redis://127.0.0.1:{port}/0"


async def drive(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis, url = start_redis(Path(tmp))
        try:
            await asyncio.sleep(0.5)
            for name, servers, redis_url in (
                ("1 process, in-process manager", 1, None),
                ("1 process, Redis manager", 1, url),
                ("2 processes, Redis manager", 2, url),
            ):
                print(await scenario(name, servers, redis_url, args), flush=True)
        finally:
            redis.terminate()
            redis.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--redis-url")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port, args.redis_url)
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
