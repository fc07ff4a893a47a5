"""Signaling for hundreds: ``room:state`` pushes in a 228-site town hall, and relayed chat over
1,000 clients in 100 rooms (issue 12 item 6).

    .venv/bin/python bench/signaling.py [--scenario A|B|AB] [--workers 3] [--seconds 20]

The server is Pendopo's app (``pendopo.app.create_app``, start-up objects frozen as ``pendopo
run`` does) in its own process on a free loopback port with a temporary data folder; one extra
socket.io event, ``bench:speaking``, feeds a speaking change into the same path the SFU's audio
levels take (``MediaBridge._speaking``): there is no media here. Clients are python-socketio
``AsyncClient``s (websocket) spread over ``--workers`` client processes (this file with
``clients``), so the client side is less of a bottleneck; the host of scenario A runs in this
process. Latencies are ``time.monotonic()`` (one clock for every process of the machine) from
just before the client's emit to the handler of the push in each receiving client, so they
include the client processes' own queueing: their CPU is printed too.

A: 1 host + ``--sites`` (228) sites in one session, the sites admitted together by "admit
everyone invited"; then for ``--seconds`` a town hall's events at ``--rate`` per second (mute
and unmute, hand raise and lower, speaking on and off, a site leaving and being admitted
again), never the same person and kind twice within 2 s. For each event, every client's first
push showing it counts, a whole ``room:state`` or a ``room:delta`` (applied to the page's state as
web/static/js/protocol.js does, ``room:get`` after a version gap): latency p50/p95/p99/max,
deliveries seen / expected, pushes of each kind the measured clients got, server CPU (cores) and
RSS. Then the split of each timed sighting (``SPLIT``; ``--no-split`` leaves it out): when the
server's tick began building the push, queued it on the last socket, wrote it to the first, the
last and this client's socket (``watch_pushes``, in the server process only), when the client's
process read its bytes and engine.io took it (``timed_client_class``), and the handler: p50/p99
of each, for state pushes and ``speaking`` apart.

B: ``--rooms`` (100) sessions of 10 (a host and 9 sites); chat messages from random participants
at each of ``--chat-rates`` (500, 1000 messages/s, i.e. 5,000 and 10,000 deliveries/s) for
``--seconds``; latency of every ``chat`` delivery, server CPU and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.redis_fanout import cpu_seconds, free_port, wait_port
from rooms.view_delta import apply_delta, delta_fits

ADMIN = ("admin", "bench-password-123")
KECAMATAN = [f"33.14.{i:02d}" for i in range(1, 21)]
KINDS = ("mic", "hand", "speaking", "present")
SPACING = 2.0
"""Seconds between two events of the same kind on the same person (so none coalesce)."""
TICK_ENV = "PENDOPO_BENCH_TICK"
"""``--tick`` for the server process: seconds a room's changes are coalesced over."""
TRAILING_ENV = "PENDOPO_BENCH_TRAILING_TICK"
"""``--trailing-tick`` for the server process: every push waits the whole tick (the rule before
the leading edge)."""
EIO_WAIT_FOR_ENV = "PENDOPO_BENCH_EIO_WAIT_FOR"
"""``--eio-wait-for`` for the server process: engine.io's own writer poll (a task per wait), not
signaling/eio_poll.py's."""
NO_SPLIT_ENV = "PENDOPO_BENCH_NO_SPLIT"
"""``--no-split``: no timing of pushes in the server and the clients (the bench as before)."""
REPEAT_S = 1.0
"""A push key seen again this many seconds after it was first seen is another push (the same
speaking change of the same person comes again no sooner than ``SPACING``)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


# ----------------------------------------------------------------------------- server process


def serve(port: int, data_dir: str) -> None:
    import gc

    from aiohttp import web

    from pendopo.app import create_app
    from pendopo.cli import freeze_startup_objects
    from pendopo.config import Settings
    from signaling.meeting import MEETING

    settings = Settings(
        host="127.0.0.1",
        port=port,
        data_dir=Path(data_dir),
        admin_user=ADMIN[0],
        admin_password=ADMIN[1],
        probe_enabled=False,
        lobby_max_per_room=2000,
        lobby_max_per_address=5000,
    )
    app = create_app(settings)
    sio = app[SIO_KEY()]
    import signaling.fanout

    if tick := os.environ.get(TICK_ENV):
        signaling.fanout.COALESCE_SECONDS = float(tick)  # --tick: an experiment, not a setting
    if os.environ.get(TRAILING_ENV):
        signaling.fanout.LEADING_EDGE = False  # --trailing-tick: the earlier rule, to compare
    if os.environ.get(EIO_WAIT_FOR_ENV):
        from signaling import eio_poll

        eio_poll.uninstall()  # --eio-wait-for: engine.io's own writer poll, to compare

    async def speaking(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        meeting = app[MEETING]
        # what an audio level crossing the detector's threshold does (signaling.media_bridge)
        await meeting.bridge._speaking(data["room"], data["participant"], data["speaking"])
        return {"ok": True}

    sio.on("bench:speaking", speaking)
    pauses: list[tuple[int, float]] = []
    started: list[float] = [0.0]

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(gc_timer)

    async def gc_stats(sid: str, data: Any = None) -> dict[str, Any]:
        """The collector's pauses since the last ask: count and longest per generation."""
        stats = {
            f"gen{g}": [len(d), round(max(d, default=0.0) * 1000, 1), round(sum(d) * 1000)]
            for g in range(3)
            if (d := [t for gen, t in pauses if gen == g])
        }
        pauses.clear()
        return stats

    sio.on("bench:gc", gc_stats)
    if not os.environ.get(NO_SPLIT_ENV):
        sio.on("bench:pushes", watch_pushes())
    app.on_startup.append(freeze_startup_objects)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=2048)


def push_key(p: str) -> str | None:
    """The push a socket.io packet string (``2["event",data]``) carries, the same in the server
    and in a client: ``v<version>`` for ``room:delta`` and ``room:state``, ``s<data>`` for
    ``speaking``; None for anything else."""
    if p.startswith('2["room:delta",'):
        i = p.find('"version":')  # a delta starts with base and version
    elif p.startswith('2["room:state",'):
        i = p.rfind('"version":')  # a snapshot ends with it
    elif p.startswith('2["speaking",'):
        return "s" + p[13:-1]
    else:
        return None
    if i < 0:
        return None
    j = k = i + 10
    while k < len(p) and p[k].isdigit():
        k += 1
    return "v" + p[j:k]


def watch_pushes() -> Any:
    """Bench only: when the server put each push on its sockets' engine.io queues and when their
    writer tasks handed it to the socket (engineio's aiohttp ``WebSocket.send``: aiohttp writes
    it to the transport; the first and each watched socket's write are timed as it starts, the
    last as it returns). The handler returned answers ``bench:pushes``:
    ``{"watch": [engine.io sids]}`` starts recording each write to those sockets,
    ``{"report": true}`` gives, per push key, its occurrences ``[queued on the last socket,
    first written, last written, sockets written]`` and the watched sockets' own writes."""
    from engineio.async_drivers import aiohttp as eio_aiohttp

    import signaling.fanout

    occurrences: dict[str, list[list[float]]] = {}
    own: list[tuple[str, str, float]] = []
    watched: set[str] = set()

    def current(key: str, now: float) -> list[float]:
        """[first seen, queued on the last socket, first written, last written, writes, the
        tick began building it]"""
        occ = occurrences.setdefault(key, [])
        if not occ or (key[0] == "s" and now - occ[-1][0] > REPEAT_S):  # speaking again
            occ.append([now, 0.0, 0.0, 0.0, 0, 0.0])
        return occ[-1]

    push = signaling.fanout.Fanout._push

    async def timed_push(self: Any, room_id: str, pushed: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        result = await push(self, room_id, pushed, *args, **kwargs)
        occ = occurrences.get(f"v{pushed.version}")
        if occ and not occ[-1][5]:  # the push that made this version (one that sent nothing
            occ[-1][5] = start  # keeps the version it found)
        return result

    send_encoded = signaling.fanout.Fanout.send_encoded

    async def timed_send_encoded(self: Any, sids: Any, event: str, data: str) -> None:
        await send_encoded(self, sids, event, data)
        if (key := push_key(f"2[{json.dumps(event)},{data}]")) is not None:
            now = time.monotonic()
            current(key, now)[1] = now

    ws_send = eio_aiohttp.WebSocket.send

    async def timed_ws_send(self: Any, message: Any) -> None:
        key = None
        if isinstance(message, str) and message.startswith('42["'):
            key = push_key(message[1:])
        if key is None:
            await ws_send(self, message)
            return
        start = time.monotonic()  # before the write: a client can't have the bytes earlier
        await ws_send(self, message)
        occ = current(key, start)
        if not occ[2]:
            occ[2] = start
        occ[3] = time.monotonic()  # after: the server's own delays count
        occ[4] += 1
        sid = self.handler.__self__.sid  # the engine.io socket this writer serves
        if sid in watched:
            own.append((key, sid, start))

    signaling.fanout.Fanout.send_encoded = timed_send_encoded  # type: ignore[method-assign]
    signaling.fanout.Fanout._push = timed_push  # type: ignore[method-assign]
    eio_aiohttp.WebSocket.send = timed_ws_send  # type: ignore[method-assign]

    async def pushes(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        if "watch" in data:
            watched.clear()
            watched.update(data["watch"])
            occurrences.clear()
            own.clear()
            return {"ok": True}
        return {"pushes": occurrences, "own": own}

    return pushes


def SIO_KEY() -> Any:
    from edge.keys import SIO

    return SIO


# ----------------------------------------------------------------------------- client side


class Seen:
    """What one client saw of the room: per name, (mic, hand); first sightings of each change
    are recorded as (name, kind, value, t). Speaking changes reach pages as ``speaking`` events
    (``room:state`` carries them with the next change of state)."""

    def __init__(self, log: list[tuple[Any, ...]]) -> None:
        self.prev: dict[str, tuple[bool, bool]] | None = None
        self.names: dict[str, str] = {}
        self.log = log
        self.stamp: tuple[Any, ...] = ()
        """Added to each sighting: the push's key, when its bytes arrived in the process and
        when engine.io read them, the client's engine.io sid (``timed_client_class``)."""

    def baseline(self, view: dict[str, Any]) -> None:
        self.prev = self._index(view)

    def _index(self, view: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
        hands = set(view.get("hands") or ())
        people = view.get("participants") or ()
        self.names = {p["id"]: p["name"] for p in people}
        return {p["name"]: (p["mic"], p["id"] in hands) for p in people}

    def speaking(self, data: dict[str, Any], t: float) -> None:
        name = self.names.get(data["participant"])
        if name is not None:
            self.log.append((name, "speaking", data["speaking"], t, *self.stamp))

    def state(self, view: dict[str, Any], t: float) -> None:
        if view.get("status") != "admitted":
            return
        cur = self._index(view)
        prev = self.prev
        self.prev = cur
        if prev is None:
            return
        log, stamp = self.log, self.stamp
        for name, now in cur.items():
            before = prev.get(name)
            if before is None:
                log.append((name, "present", True, t, *stamp))
            elif before != now:
                if before[0] != now[0]:
                    log.append((name, "mic", now[0], t, *stamp))
                if before[1] != now[1]:
                    log.append((name, "hand", now[1], t, *stamp))
        if len(prev) > len(cur) or any(name not in cur for name in prev):
            for name in prev:
                if name not in cur:
                    log.append((name, "present", False, t, *stamp))


def light_packet_class() -> Any:
    """A socket.io packet that leaves ``room:state`` undecoded (an unmeasured client still
    receives and inflates every push, but spends no CPU parsing 60 kB of JSON: on this machine
    the clients share the server's two cores)."""
    from socketio import packet

    class LightPacket(packet.Packet):
        def decode(self, encoded_packet: Any) -> int:
            if isinstance(encoded_packet, str) and encoded_packet.startswith('2["room:state",'):
                self.packet_type, self.namespace, self.id = packet.EVENT, None, None
                self.data = ["room:state", None]
                return 0
            return int(super().decode(encoded_packet))

    return LightPacket


def timed_client_class() -> Any:
    """A socket.io client that knows, for each event it handles, when its bytes arrived in this
    process (aiohttp's protocol got them from the socket and parsed the frame: the earliest this
    process sees them) and when engine.io's read loop took the message from aiohttp, before the
    handler is dispatched (engine.io runs it in a task of its own): ``rx`` is (push key,
    arrived, read) while the handler runs. Bench only: it reaches into aiohttp's client
    websocket (``timed``)."""
    import socketio

    class TimedAsyncClient(socketio.AsyncClient):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.rx: tuple[Any, ...] = (None, None, None)
            self.stamps: dict[str, tuple[float | None, float]] = {}
            self.mismatches = 0
            """Messages whose arrival could not be accounted (should stay 0)."""

        def timed(self) -> None:
            """Wrap the connected websocket: each chunk the socket gives is timed, with the
            bytes of whole messages aiohttp's queue held after it (``_size``: each message's
            payload + an overhead); a message engine.io reads ends where the bytes the queue
            gave out so far end, and arrived with the chunk that took the count past that."""
            from aiohttp import WSMsgType

            ws = self.eio.ws
            queue, protocol = ws._reader, ws._conn.protocol
            chunks: deque[tuple[int, float]] = deque()
            received = [queue._size]  # bytes of whole messages into the queue, so far
            data_received, receive = protocol.data_received, ws.receive

            def timed_data_received(data: bytes) -> None:
                t = time.monotonic()
                before = queue._size
                data_received(data)
                if (added := queue._size - before) > 0:
                    received[0] += added
                    chunks.append((received[0], t))

            async def timed_receive(*args: Any) -> Any:
                msg = await receive(*args)
                t = time.monotonic()
                read = received[0] - queue._size  # the queue gave out this message just now
                while chunks and chunks[0][0] < read:
                    chunks.popleft()
                if msg.type == WSMsgType.TEXT and msg.data.startswith('42["'):
                    arrived = chunks[0][1] if chunks else None
                    if arrived is None:
                        self.mismatches += 1
                    self.stamps[msg.data[1:]] = (arrived, t)
                return msg

            protocol.data_received = timed_data_received
            ws.receive = timed_receive

        async def _handle_eio_message(self, data: Any) -> None:
            stamp = self.stamps.pop(data, None) if isinstance(data, str) else None
            if stamp is not None:
                self.rx = (push_key(data), *stamp)
            await super()._handle_eio_message(data)
            self.rx = (None, None, None)

    return TimedAsyncClient


class Client:
    def __init__(self, spec: dict[str, Any], url: str, cookie: str | None) -> None:
        import socketio

        self.spec = spec
        self.url = url
        self.cookie = cookie
        self.measured = spec.get("measured", True)
        self.timed = self.measured and not os.environ.get(NO_SPLIT_ENV)
        if self.timed:
            self.sio = timed_client_class()(reconnection=False)
        else:
            options = {} if self.measured else {"serializer": light_packet_class()}
            self.sio = socketio.AsyncClient(reconnection=False, **options)
        self.participant: str | None = None
        self.status: str | None = None
        self.admitted = asyncio.Event()
        self.admitted_at = 0.0
        self.receipts: list[tuple[Any, ...]] = []
        self.seen = Seen(self.receipts)
        self.chats: list[tuple[int, float]] = []
        self.lobby: list[dict[str, Any]] = []
        self.view: dict[str, Any] | None = None
        """The room's state as a page has it: the last whole view with the deltas since."""
        self.pushes: dict[str, int] = defaultdict(int)
        self.resyncing = False
        self.sio.on("room:state", self.on_state)
        self.sio.on("room:delta", self.on_delta)
        self.sio.on("lobby:result", self.on_result)
        self.sio.on("chat", self.on_chat)
        self.sio.on("speaking", self.on_speaking)

    def _stamp(self) -> None:
        """What the timed client knows of the push being handled (``Seen.stamp``)."""
        if self.timed:
            self.seen.stamp = (*self.sio.rx, self.sio.eio.sid)

    async def on_speaking(self, data: dict[str, Any]) -> None:
        if self.measured:
            t = time.monotonic()
            self._stamp()
            self.seen.speaking(data, t)

    async def on_state(self, view: dict[str, Any] | None) -> None:
        if view is None:  # not measured here
            return
        t = time.monotonic()
        self._stamp()
        self.pushes["room:state"] += 1
        self._show(view, t)

    def _show(self, view: dict[str, Any], t: float) -> None:
        self.view = view
        self.seen.state(view, t)
        self.lobby = view.get("lobby") or []

    async def on_delta(self, delta: dict[str, Any]) -> None:
        """Applied as a page does (web/static/js/protocol.js ``_onDelta``)."""
        if not self.measured or self.resyncing:
            return  # an unmeasured client only receives; a resync's room:get includes it
        t = time.monotonic()
        self._stamp()
        self.pushes["room:delta"] += 1
        view = self.view
        fits = delta_fits(view, delta)  # type: ignore[arg-type]
        if fits is False:
            return
        if fits is None or view is None:
            self.pushes["resyncs"] += 1
            self.resyncing = True
            try:
                ack = await self.call("room:get", {})
                self.seen.stamp = ()  # not a push: no split
                self._show(ack["state"], time.monotonic())
            finally:
                self.resyncing = False
            return
        self._show(apply_delta(view, delta), t)  # type: ignore[arg-type]

    async def on_result(self, data: dict[str, Any]) -> None:
        if data.get("status") == "admitted":
            self.view = data["room"]
            self.seen.baseline(data["room"])
            self.status = "admitted"
            self.admitted_at = time.monotonic()
            self.admitted.set()

    async def on_chat(self, data: dict[str, Any]) -> None:
        t = time.monotonic()
        text = data.get("text", "")
        if text.startswith("s"):
            self.chats.append((int(text[1:]), t))

    async def connect(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie and self.spec.get("host") else {}
        await self.sio.connect(self.url, headers=headers, transports=["websocket"])
        if self.timed:
            self.sio.timed()

    async def join(self) -> dict[str, Any]:
        payload = {"protocol": 1, "room": self.spec["room"], "name": self.spec["name"]}
        if self.spec.get("site"):
            payload["site"] = self.spec["site"]
        ack: dict[str, Any] = await self.sio.call("join", payload, timeout=120)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        self.participant = ack["participant"]["id"]
        self.status = ack["status"]
        self.view = ack["room"]
        if self.status == "admitted":
            self.seen.baseline(ack["room"])
            self.admitted.set()
        else:
            self.admitted.clear()
        return ack

    async def call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=120)
        return ack


async def act(client: Client, kind: str, value: Any, sends: list[Any]) -> None:
    """One town-hall event by ``client`` (its own mic, hand, or leaving)."""
    name = client.spec["name"]
    if kind == "mic":
        sends.append((name, kind, value, time.monotonic()))
        await client.call("self:media", {"mic": value})
    elif kind == "hand":
        sends.append((name, kind, value, time.monotonic()))
        await client.call("hand:raise", {"raised": value})
    elif kind == "present":  # leave now, join the lobby again at once (the host admits)
        sends.append((name, kind, False, time.monotonic()))
        await client.call("leave", {})
        client.seen.prev = None
        await client.join()


async def run_schedule(
    clients: dict[str, Client], events: list[dict[str, Any]], t0: float, sends: list[Any]
) -> None:
    tasks = []
    for e in events:
        delay = t0 + e["at"] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(act(clients[e["name"]], e["kind"], e["value"], sends)))
    await asyncio.gather(*tasks, return_exceptions=True)


async def run_chat(
    clients: dict[str, Client], events: list[dict[str, Any]], t0: float, sends: list[Any]
) -> None:
    for e in events:
        delay = t0 + e["at"] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append((e["seq"], time.monotonic()))
        await clients[e["name"]].sio.emit("chat:send", {"text": f"s{e['seq']}"})


async def connect_and_join(client: Client, sem: asyncio.Semaphore) -> None:
    async with sem:
        await client.connect()
        await client.join()


async def worker(url: str, cookie: str | None) -> None:
    """A client process: commands in on stdin, one JSON line each; replies on stdout."""
    import gc

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=256 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    clients: dict[str, Client] = {}
    sends: list[Any] = []

    def reply(data: Any) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    while line := await reader.readline():
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "join":
            specs = cmd["clients"]
            for spec in specs:
                clients[spec["name"]] = Client(spec, url, cookie)
            sem = asyncio.Semaphore(20)
            await asyncio.gather(*(connect_and_join(clients[s["name"]], sem) for s in specs))
            reply({c.spec["name"]: c.participant for c in clients.values()})
        elif op == "sids":  # the timed clients' engine.io sids (the server times writes to them)
            reply([c.sio.eio.sid for c in clients.values() if c.timed])
        elif op == "admit":  # the hosts among these clients admit everyone invited
            for c in clients.values():
                if c.spec.get("host"):
                    await c.call("lobby:admit-invited", {})
            reply({"ok": True})
        elif op == "admitted":
            await asyncio.gather(*(c.admitted.wait() for c in clients.values()))
            last = max(c.admitted_at for c in clients.values())
            await asyncio.sleep(1.0)
            gc.collect()
            gc.freeze()  # the measuring instrument's own pauses out of the way
            reply({"last": last})
        elif op == "events":
            for c in clients.values():
                c.receipts.clear()
                c.chats.clear()
                c.pushes.clear()
            sends.clear()
            runner = run_chat if cmd.get("chat") else run_schedule
            await runner(clients, cmd["events"], cmd["t0"], sends)
            await asyncio.sleep(cmd["linger"])
            reply(
                {
                    "sends": sends,
                    "receipts": [r for c in clients.values() for r in c.receipts],
                    "chats": [r for c in clients.values() for r in c.chats],
                    "present": sum(1 for c in clients.values() if c.status == "admitted"),
                    "mismatches": sum(c.sio.mismatches for c in clients.values() if c.timed),
                    "pushes": {
                        k: sum(c.pushes[k] for c in clients.values())
                        for k in ("room:state", "room:delta", "resyncs")
                    },
                }
            )
        elif op == "quit":
            for c in clients.values():
                try:
                    await asyncio.wait_for(c.sio.disconnect(), 5)
                except Exception:
                    pass
            reply({"ok": True})
            return


class Workers:
    """The client processes, driven from the coordinator."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, count: int, url: str, cookie: str) -> None:
        for _ in range(count):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "clients",
                "--url",
                url,
                "--cookie",
                cookie,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                limit=256 * 1024 * 1024,
            )
            self.procs.append(proc)

    async def ask(self, index: int, cmd: dict[str, Any]) -> Any:
        proc = self.procs[index]
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await proc.stdin.drain()
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"client process {index} ended")
        return json.loads(line)

    async def all(self, cmds: list[dict[str, Any]]) -> list[Any]:
        return list(await asyncio.gather(*(self.ask(i, c) for i, c in enumerate(cmds))))

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs)

    async def stop(self) -> None:
        for i, proc in enumerate(self.procs):
            try:
                await asyncio.wait_for(self.ask(i, {"op": "quit"}), 20)
            except Exception:
                pass
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


# ----------------------------------------------------------------------------- coordinator


async def sign_in(url: str) -> tuple[Any, str]:
    import aiohttp
    from yarl import URL

    session = aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        "/api/session", json={"username": ADMIN[0], "password": ADMIN[1]}
    ) as resp:
        assert resp.status == 200, await resp.text()
        session.headers["X-CSRF-Token"] = (await resp.json())["csrf_token"]
    cookies = session.cookie_jar.filter_cookies(URL(url))
    return session, "; ".join(f"{k}={m.value}" for k, m in cookies.items())


async def create_room(session: Any, title: str) -> str:
    body = {"title": title, "invited_sites": KECAMATAN}
    async with session.post("/api/rooms", json=body) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["room"]["id"])


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


def town_hall_events(names: list[str], rate: float, seconds: float, seed: int) -> list[Any]:
    """``rate`` events per second: (at, name, kind, value), each person's state followed."""
    rng = random.Random(seed)
    state: dict[tuple[str, str], Any] = {}
    last: dict[tuple[str, str], float] = {}
    events = []
    at = 0.0
    weights = {"speaking": 4, "mic": 3, "hand": 2, "present": 1}
    kinds = [k for k, w in weights.items() for _ in range(w)]
    while at < seconds:
        at += rng.expovariate(rate)
        for _ in range(100):
            name, kind = rng.choice(names), rng.choice(kinds)
            key = (name, kind)
            busy = any(last.get((name, k), -99.0) > at - SPACING for k in ("present",))
            if last.get(key, -99.0) > at - SPACING or busy:
                continue
            if kind == "present" and any(last.get((name, k), -99) > at - SPACING for k in KINDS):
                continue
            default = {"mic": True, "hand": False, "speaking": False, "present": True}[kind]
            value = not state.get(key, default) if kind != "present" else False
            if kind != "present":
                state[key] = value
            else:  # leaving resets what the room shows of them
                state[(name, "hand")] = False
                state[(name, "speaking")] = False
                state[(name, "mic")] = True
            last[key] = at
            events.append({"at": round(at, 4), "name": name, "kind": kind, "value": value})
            break
    return events


def match(sends: list[Any], receipts: list[Any]) -> tuple[list[tuple[str, float, float, Any]], int]:
    """(kind, latency, send time, receipt) of each receipt, from the latest send of that change
    before it."""
    by_key: dict[tuple[str, str, Any], list[float]] = defaultdict(list)
    for name, kind, value, t in sends:
        by_key[(name, kind, value)].append(t)
    for times in by_key.values():
        times.sort()
    latencies = []
    unmatched = 0
    for r in receipts:
        name, kind, value, t = r[:4]
        sent = [s for s in by_key.get((name, kind, value)) or () if s <= t]
        if not sent:
            unmatched += 1
            continue
        latencies.append((kind, t - sent[-1], sent[-1], r))
        if os.environ.get("BENCH_DEBUG") and t - sent[-1] > 0.3:
            print("slow", name, kind, value, round(t - sent[-1], 3), file=sys.stderr)
    if os.environ.get("BENCH_DEBUG"):
        odd: dict[Any, int] = defaultdict(int)
        for r in receipts:
            name, kind, value, t = r[:4]
            if not [s for s in by_key.get((name, kind, value)) or () if s <= t]:
                odd[(kind, value)] += 1
        print("unmatched", dict(odd), file=sys.stderr)
    return latencies, unmatched


SPLIT = {
    "tick_began": "server's coalescing tick began building the push (a change after a quiet "
    "tick at once, else at the end of the 20 ms window)",
    "queued_last": "server put the push on the last socket's queue",
    "written_first": "server began writing it to the first socket",
    "written_last": "server had written it to the last socket",
    "written_own": "server began writing it to this client's socket",
    "arrived": "this client's process read the bytes from its socket (aiohttp)",
    "read": "engine.io's read loop took the message (handler not yet dispatched)",
    "handler": "the handler ran (the latency above)",
    "in_socket": "arrived - written_own: bytes waiting for the client process to read them",
    "after_arrival": "handler - arrived: in the client process after its bytes came in",
}


def push_split(matched: list[tuple[str, float, float, Any]], report: dict[str, Any]) -> Any:
    """For each timed sighting (from the client's emit, seconds): when the server had queued
    and written its push (``watch_pushes``), when the client's process got it and when its
    handler ran (``timed_client_class``); p50/p99 of each (``SPLIT``), state pushes and
    ``speaking`` apart."""
    occurrences = report["pushes"]
    own: dict[tuple[str, str], list[float]] = defaultdict(list)
    for key, sid, t in report["own"]:
        own[(key, sid)].append(t)
    rows: dict[str, dict[str, list[float]]] = {"state": defaultdict(list), "speaking": {}}
    rows["speaking"] = defaultdict(list)
    missing = 0
    for kind, lat, sent, r in matched:
        if len(r) < 8 or r[4] is None:
            continue  # a room:get's view, or not timed
        t, (key, arrived, read, sid) = r[3], r[4:8]
        occ = [o for o in occurrences.get(key, ()) if sent <= o[0] <= t]
        if not occ:
            missing += 1
            continue
        _first, queued, written_first, written_last, _n, began = occ[-1]
        mine = [w for w in own.get((key, sid), ()) if sent <= w <= t]
        row = rows["speaking" if kind == "speaking" else "state"]
        if began:
            row["tick_began"].append(began - sent)
        if queued:
            row["queued_last"].append(queued - sent)
        row["written_first"].append(written_first - sent)
        row["written_last"].append(written_last - sent)
        if mine:
            row["written_own"].append(mine[-1] - sent)
        if arrived is not None:
            row["arrived"].append(arrived - sent)
            row["after_arrival"].append(t - arrived)
            if mine:
                row["in_socket"].append(arrived - mine[-1])
        row["read"].append(read - sent)
        row["handler"].append(lat)
    result: dict[str, Any] = {
        group: {
            k: [len(v), *(percentiles(v)[q] for q in ("p50_ms", "p99_ms"))]
            for k in SPLIT
            if (v := row.get(k))
        }
        for group, row in rows.items()
    }
    result["not_found"] = missing
    if os.environ.get("BENCH_DEBUG"):
        seen_sids = {r[7] for *_, r in matched if len(r) >= 8}
        own_sids = {sid for _, sid in own}
        print("sids without own writes", seen_sids - own_sids, file=sys.stderr)
    return result


async def scenario_a(url: str, server_pid: int, args: argparse.Namespace) -> None:
    session, cookie = await sign_in(url)
    room = await create_room(session, "Town hall")
    host = Client({"room": room, "name": "Bupati", "host": True}, url, cookie)
    await host.connect()
    await host.join()
    names = [f"Site {i:03d}" for i in range(args.sites)]
    specs = [
        {
            "room": room,
            "name": n,
            "site": KECAMATAN[i % 20],
            "measured": i % args.measure_every == 0,
        }
        for i, n in enumerate(names)
    ]
    measured = sum(1 for s in specs if s["measured"]) + 1  # and the host
    workers = Workers()
    await workers.start(args.workers, url, cookie)
    try:
        t_join = time.monotonic()
        ids: dict[str, str] = {}
        for part in await workers.all(
            [{"op": "join", "clients": s} for s in split(specs, args.workers)]
        ):
            ids.update(part)
        join_s = time.monotonic() - t_join
        t_admit = time.monotonic()
        await host.call("lobby:admit-invited", {})
        done = await workers.all([{"op": "admitted"}] * args.workers)
        admit_s = max(d["last"] for d in done) - t_admit
        rss_joined = rss_mb(server_pid)
        print(
            f"A: {args.sites} sites joined the lobby in {join_s:.1f} s, all admitted "
            f"(every lobby:result in) {admit_s:.2f} s after admit-invited; server RSS "
            f"{rss_joined:.0f} MB",
            flush=True,
        )
        events = town_hall_events(names, args.rate, args.seconds, args.seed)
        spoken = [e for e in events if e["kind"] == "speaking"]
        by_worker: list[list[Any]] = [[] for _ in range(args.workers)]
        order = {n: i % args.workers for i, n in enumerate(names)}
        for e in events:
            if e["kind"] != "speaking":
                by_worker[order[e["name"]]].append(e)
        t0 = time.monotonic() + 1.0
        await host.call("bench:gc", {})
        timed = not os.environ.get(NO_SPLIT_ENV)
        if timed:
            watch = [host.sio.eio.sid] + [
                s for r in await workers.all([{"op": "sids"}] * args.workers) for s in r
            ]
            await host.call("bench:pushes", {"watch": watch})
        cpu0, wcpu0, hostcpu0 = cpu_seconds(server_pid), workers.cpu(), time.process_time()
        host.receipts.clear()
        host.pushes.clear()
        admits: list[Any] = []
        admitting = asyncio.create_task(auto_admit(host, admits, t0 + args.seconds + 3))
        speaking_sends: list[Any] = []
        speaker = asyncio.create_task(drive_speaking(host, room, ids, spoken, t0, speaking_sends))
        cmds = [{"op": "events", "events": w, "t0": t0, "linger": 3.0} for w in by_worker]
        results = await workers.all(cmds)
        await speaker
        await admitting
        cpu = cpu_seconds(server_pid) - cpu0
        elapsed = time.monotonic() - t0
        wcpu = workers.cpu() - wcpu0
        try:
            gc_pauses = await host.call("bench:gc", {})
        except Exception as exc:  # an overloaded server dropped the host's socket (ping timeout)
            gc_pauses = {"error": f"host socket: {exc}"}
        hostcpu = time.process_time() - hostcpu0
        report: dict[str, Any] = {}
        if timed:
            try:
                report = await host.call("bench:pushes", {"report": True})
            except Exception as exc:
                print(f"no push timing: {exc}", flush=True)
        sends = speaking_sends + admits + [tuple(s) for r in results for s in r["sends"]]
        pushes = {
            k: host.pushes[k] + sum(r["pushes"][k] for r in results)
            for k in ("room:state", "room:delta", "resyncs")
        }
        receipts = host.receipts + [tuple(x) for r in results for x in r["receipts"]]
        matched, unmatched = match(sends, receipts)
        latencies = [lat for kind, lat, *_ in matched if kind != "speaking"]
        spoken_lat = [lat for kind, lat, *_ in matched if kind == "speaking"]
        per_kind = {
            k: percentiles([lat for kind, lat, *_ in matched if kind == k])["p99_ms"]
            for k in ("mic", "hand", "present", "speaking")
            if any(m[0] == k for m in matched)
        }
        kinds: dict[str, int] = defaultdict(int)
        for e in events:
            kinds[e["kind"]] += 1
        expected = len(sends) * measured
        print(
            json.dumps(
                {
                    "scenario": "A town hall",
                    "clients": args.sites + 1,
                    "measured_clients": measured,
                    "events": len(events),
                    "by_kind": dict(kinds),
                    "rate_per_s": args.rate,
                    "changes_sent": len(sends),
                    "seen": len(matched),
                    "expected_about": expected,
                    "unmatched": unmatched,
                    "room_state": percentiles(latencies),
                    "pushes_to_measured": pushes,
                    "speaking_event": percentiles(spoken_lat),
                    "p99_ms_by_kind": per_kind,
                    "server_cores": round(cpu / elapsed, 3),
                    "client_cores": round((wcpu + hostcpu) / elapsed, 3),
                    "server_rss_mb": round(rss_mb(server_pid), 1),
                    "server_gc_count_max_total_ms": gc_pauses,
                }
            ),
            flush=True,
        )
        if report:
            split_ = push_split(matched, report)
            mismatches = host.sio.mismatches + sum(r["mismatches"] for r in results)
            print(
                f"A split, ms from the client's emit [count, p50, p99] (arrivals not "
                f"accounted: {mismatches}; sightings without their push: "
                f"{split_.pop('not_found')}):",
                flush=True,
            )
            for group, figures in split_.items():
                for k, v in figures.items():
                    print(f"  {group:8} {k:14} {v}  {SPLIT[k]}", flush=True)
            print(json.dumps({"split": split_}), flush=True)
    finally:
        await workers.stop()
        await host.sio.disconnect()
        await session.close()


async def auto_admit(host: Client, admits: list[Any], until: float) -> None:
    """The host admits whoever comes back to the lobby (their reappearance is timed from here)."""
    asked: set[str] = set()
    while time.monotonic() < until:
        for entry in list(host.lobby):
            if entry["id"] in asked:
                continue
            asked.add(entry["id"])
            admits.append((entry["name"], "present", True, time.monotonic()))
            await host.sio.emit("lobby:admit", {"participant": entry["id"]})
        await asyncio.sleep(0.005)


async def drive_speaking(
    host: Client,
    room: str,
    ids: dict[str, str],
    events: list[dict[str, Any]],
    t0: float,
    sends: list[Any],
) -> None:
    """Speaking changes come from audio levels in the server: the host's socket tells it."""
    for e in events:
        delay = t0 + e["at"] - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append((e["name"], "speaking", e["value"], time.monotonic()))
        data = {"room": room, "participant": ids[e["name"]], "speaking": e["value"]}
        await host.sio.emit("bench:speaking", data)


async def scenario_b(url: str, server_pid: int, args: argparse.Namespace) -> None:
    session, cookie = await sign_in(url)
    rooms = [await create_room(session, f"Rapat {i}") for i in range(args.rooms)]
    specs: list[dict[str, Any]] = []
    for r, room in enumerate(rooms):
        specs.append({"room": room, "name": f"Host {r}", "host": True})
        for j in range(9):
            specs.append({"room": room, "name": f"Site {r}.{j}", "site": KECAMATAN[j]})
    workers = Workers()
    rss_idle = rss_mb(server_pid)
    probe = Client({"room": "", "name": "probe"}, url, None)  # asks the server about its GC
    await probe.connect()
    await workers.start(args.workers, url, cookie)
    try:
        # every room's host in worker 0 first, so it exists before its sites join
        parts = split(specs, args.workers)
        hosts = [s for s in specs if s.get("host")]
        sites = [s for s in specs if not s.get("host")]
        parts = split(hosts, args.workers)
        await workers.all([{"op": "join", "clients": p} for p in parts])
        parts = split(sites, args.workers)
        await workers.all([{"op": "join", "clients": p} for p in parts])
        await workers.all([{"op": "admit"}] * args.workers)
        await workers.all([{"op": "admitted"}] * args.workers)
        rss_joined = rss_mb(server_pid)
        print(
            f"B: {len(specs)} clients in {len(rooms)} rooms joined and admitted; server RSS "
            f"{rss_idle:.0f} MB before, {rss_joined:.0f} MB after "
            f"(+{rss_joined - rss_idle:.0f} MB)",
            flush=True,
        )
        names_by_worker = [[s["name"] for s in p] for p in split(hosts, args.workers)]
        for i, p in enumerate(split(sites, args.workers)):
            names_by_worker[i] += [s["name"] for s in p]
        rng = random.Random(args.seed)
        for rate in args.chat_rates:
            seq = 0
            by_worker: list[list[Any]] = [[] for _ in range(args.workers)]
            at = 0.0
            while at < args.seconds:
                at += 1.0 / rate
                w = rng.randrange(args.workers)
                by_worker[w].append({"at": at, "seq": seq, "name": rng.choice(names_by_worker[w])})
                seq += 1
            t0 = time.monotonic() + 1.0
            await probe.call("bench:gc", {})
            cpu0, wcpu0 = cpu_seconds(server_pid), workers.cpu()
            cmds = [
                {"op": "events", "events": e, "t0": t0, "linger": 3.0, "chat": True}
                for e in by_worker
            ]
            results = await workers.all(cmds)
            elapsed = time.monotonic() - t0
            cpu = cpu_seconds(server_pid) - cpu0
            wcpu = workers.cpu() - wcpu0
            gc_pauses = await probe.call("bench:gc", {})
            sent = {s[0]: s[1] for r in results for s in r["sends"]}
            latencies = [t - sent[q] for r in results for q, t in r["chats"] if q in sent]
            print(
                json.dumps(
                    {
                        "scenario": f"B chat {rate}/s",
                        "clients": len(specs),
                        "messages": len(sent),
                        "deliveries": len(latencies),
                        "expected": len(sent) * 10,
                        "deliveries_per_s": round(len(latencies) / args.seconds),
                        **percentiles(latencies),
                        "server_cores": round(cpu / elapsed, 3),
                        "client_cores": round(wcpu / elapsed, 3),
                        "server_rss_mb": round(rss_mb(server_pid), 1),
                        "server_gc_count_max_total_ms": gc_pauses,
                    }
                ),
                flush=True,
            )
    finally:
        await workers.stop()
        await probe.sio.disconnect()
        await session.close()


async def drive(args: argparse.Namespace) -> None:
    print(f"load average before: {os.getloadavg()}", flush=True)
    if tick := os.environ.get(TICK_ENV):
        print(f"server tick (coalescing): {float(tick) * 1000:g} ms", flush=True)
    if os.environ.get(TRAILING_ENV):
        print("server tick: every push waits the whole tick (--trailing-tick)", flush=True)
    if os.environ.get(EIO_WAIT_FOR_ENV):
        print("engine.io writers: a task per wait (--eio-wait-for)", flush=True)
    for scenario in args.scenario:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            server = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "serve", "--port", str(port), "--data-dir", tmp
            )
            try:
                await wait_port(port)
                await asyncio.sleep(1.0)
                url = f"http://127.0.0.1:{port}"
                if scenario == "A":
                    await scenario_a(url, server.pid, args)
                else:
                    await scenario_b(url, server.pid, args)
            finally:
                server.terminate()
                try:
                    await asyncio.wait_for(server.wait(), 20)
                except TimeoutError:
                    server.kill()
                    await server.wait()
    print(f"load average after: {os.getloadavg()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--data-dir", required=True)
    c = sub.add_parser("clients")
    c.add_argument("--url", required=True)
    c.add_argument("--cookie")
    parser.add_argument("--scenario", default="AB", help="A, B or AB")
    parser.add_argument("--workers", type=int, default=3, help="client processes")
    parser.add_argument("--sites", type=int, default=228)
    parser.add_argument(
        "--measure-every", type=int, default=4, help="A: every n-th site decodes room:state"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="town hall events per second")
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--chat-rates", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--tick", type=float, help="coalesce a room's changes over this many seconds (default: "
        "signaling.fanout.COALESCE_SECONDS)"
    )  # fmt: skip
    parser.add_argument(
        "--no-split", action="store_true", help="A: no timing of each push's way in the server "
        "and the clients (the benchmark as it was before the split)"
    )  # fmt: skip
    parser.add_argument(
        "--trailing-tick", action="store_true", help="every push waits the whole tick, as before "
        "the leading edge (signaling.fanout.LEADING_EDGE = False)"
    )  # fmt: skip
    parser.add_argument(
        "--eio-wait-for", action="store_true", help="engine.io's own socket writer, a task per "
        "wait (signaling/eio_poll.py not installed)"
    )  # fmt: skip
    args = parser.parse_args()
    if args.trailing_tick:
        os.environ[TRAILING_ENV] = "1"
    if args.eio_wait_for:
        os.environ[EIO_WAIT_FOR_ENV] = "1"
    if args.no_split:
        os.environ[NO_SPLIT_ENV] = "1"
    if args.tick is not None:
        os.environ[TICK_ENV] = str(args.tick)
    if args.command == "serve":
        serve(args.port, args.data_dir)
    elif args.command == "clients":
        asyncio.run(worker(args.url, args.cookie))
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
