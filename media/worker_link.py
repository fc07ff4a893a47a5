"""The cascade's links to the workers' SFUs (media/cascade.py): this process's own SFU
(:class:`LocalLink`), and another worker's over a Unix socket (:class:`RemoteLink`, served
there by :class:`WorkerService`).

The socket speaks JSON lines. A call is ``{"i": n, "m": method, "a": [args]}`` and is answered
``{"i": n, "r": result}`` or ``{"i": n, "e": [code, message]}`` (a ``MediaError`` there is one
here); a line without ``"i"`` is not answered (``tell``). The worker sends the events of the
connections a cascade placed on it as ``{"ev": name, "a": [args]}``. Only the methods in
``METHODS`` can be called; arguments arrive as JSON and are turned into what the SFU takes
(frozensets, tuples) by one function, :func:`dispatch`, for both kinds of link.

The socket is a file in the data folder (mode 0600): only the server's own user reaches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

from media.errors import MediaError
from media.relay import Address
from media.settings import TrackInfo
from media.sfu import Sfu
from pendopo.tasks import TaskSet

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 0.5
LIMIT = 4 * 1024 * 1024  # the longest line: an SDP of a connection with hundreds of m-lines


def _kinds(value: Any) -> frozenset[str]:
    return frozenset(str(k) for k in value)


def _maybe_set(value: Any) -> frozenset[str] | None:
    return None if value is None else frozenset(str(k) for k in value)


def _address(value: Any) -> tuple[str, int]:
    return str(value[0]), int(value[1])


METHODS: dict[str, tuple[Callable[[Any], Any], ...] | None] = {
    # name: converters of the positional arguments (None: take them as they are)
    "answer": None,
    "accept_answer": None,
    "remove": None,
    "forget": None,
    "subscribe": (str, str, _kinds),
    "unsubscribe": None,
    "reserve": None,
    "set_forwarding": None,
    "set_audio_priority": None,
    "request_keyframe": None,
    "set_downlink_prior": None,
    "set_video_ceiling": None,
    "set_shown": (str, _maybe_set),
    "set_share": None,
    "peer_quality": None,
    "trust": (lambda addresses: [_address(a) for a in addresses],),
    "relay_in": None,
    "relay_out": (str, str, _address, lambda c: None if c is None else dict(c)),
    "hear": None,
}
"""The SFU methods a cascade may call on a worker."""

ROUTED = frozenset(
    (
        "answer",
        "accept_answer",
        "remove",
        "subscribe",
        "unsubscribe",
        "reserve",
        "request_keyframe",
        "set_downlink_prior",
        "set_video_ceiling",
        "set_shown",
        "peer_quality",
        "relay_in",
    )
)
"""Calls about a participant whose events then go back to the calling cascade."""
WAITING = frozenset(
    ("answer", "accept_answer", "subscribe", "unsubscribe", "remove", "forget", "peer_quality")
)
"""Calls that wait (an offer to answer) run beside the others; the rest in order."""

EVENTS = (
    "send_offer",
    "tracks_changed",
    "audio_level",
    "peer_state",
    "video_layer",
    "video_seen",
    "published",
    "relay_wanted",
    "keyframe_wanted",
)


def dispatch(sfu: Sfu, method: str, args: list[Any]) -> Any:
    """Run ``sfu.<method>(*args)`` with the arguments as the SFU takes them; its result (a
    coroutine for the async methods)."""
    if method not in METHODS:
        raise MediaError("unknown_method", f"no such SFU method: {method!r}")
    converters = METHODS[method]
    if converters is not None:
        args = [convert(a) for convert, a in zip(converters, args, strict=False)] + list(
            args[len(converters) :]
        )
    return getattr(sfu, method)(*args)


def _wire(result: Any) -> Any:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    return result


class EventRouter:
    """The events of this process's SFU (``MediaEvents`` and ``CascadeEvents``), each to the
    cascade that placed the participant it is about: another worker's connection that asked
    (``route``), else this process's own cascade (``default``)."""

    def __init__(self) -> None:
        self.default: Any = None
        self._routes: dict[str, Any] = {}

    def route(self, participant: str, sink: Any) -> None:
        self._routes[participant] = sink

    def unroute(self, participant: str, sink: Any) -> None:
        if self._routes.get(participant) is sink:
            del self._routes[participant]

    def routed_to(self, sink: Any) -> list[str]:
        return [p for p, s in self._routes.items() if s is sink]

    def _sink(self, participant: str) -> Any:
        return self._routes.get(participant, self.default)

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        await self._sink(peer_id).send_offer(peer_id, sdp, tracks)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self._sink(peer_id).tracks_changed(peer_id, tracks)

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        self._sink(peer_id).audio_level(peer_id, level_dbov, voiced)

    def peer_state(self, peer_id: str, state: str) -> None:
        self._sink(peer_id).peer_state(peer_id, state)

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        self._sink(subscriber).video_layer(subscriber, publisher, layer, reason)

    def video_seen(self, publisher: str, seen: bool) -> None:
        self._sink(publisher).video_seen(publisher, seen)

    def published(self, publisher: str, kind: str, stream: str) -> None:
        self._sink(publisher).published(publisher, kind, stream)

    def relay_wanted(self, publisher: str, kind: str, wanted: bool) -> None:
        self._sink(publisher).relay_wanted(publisher, kind, wanted)

    def keyframe_wanted(self, publisher: str, stream: str) -> None:
        self._sink(publisher).keyframe_wanted(publisher, stream)


class LocalLink:
    """This process's SFU."""

    name = "this worker"

    def __init__(self, sfu: Sfu) -> None:
        self.sfu = sfu
        self.relay_address: Address | None = None
        self._tasks = TaskSet("local SFU calls", log)

    @property
    def up(self) -> bool:
        return True

    async def call(self, method: str, *args: Any) -> Any:
        result = dispatch(self.sfu, method, list(args))
        if asyncio.iscoroutine(result):
            result = await result
        return result

    def tell(self, method: str, *args: Any) -> None:
        result = dispatch(self.sfu, method, list(args))
        if asyncio.iscoroutine(result):
            self._tasks.spawn(result)

    async def close(self) -> None:
        await self._tasks.close()


class RemoteLink:
    """Another worker's SFU over its socket; connects (again) by itself."""

    def __init__(
        self,
        path: Path,
        events: Callable[[], Any],
        on_up: Callable[[], None],
        on_down: Callable[[], None],
    ) -> None:
        self.path = path
        self.name = str(path)
        self._events = events
        self._on_up = on_up
        self._on_down = on_down
        self.relay_address: Address | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._task: asyncio.Task[None] | None = None
        self._up = False

    @property
    def up(self) -> bool:
        return self._up

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"link {self.path}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._lost()

    async def call(self, method: str, *args: Any) -> Any:
        if not self._up or self._writer is None:
            raise MediaError("worker_down", f"the worker at {self.path} is not reachable")
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        self._send({"i": self._next, "m": method, "a": list(args)})
        return await future

    def tell(self, method: str, *args: Any) -> None:
        if self._up and self._writer is not None:
            self._send({"m": method, "a": list(args)})

    def _send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        self._writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(self.path, limit=LIMIT)
            except OSError:
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            self._writer = writer
            try:
                self._up = True
                hello = asyncio.get_running_loop().create_future()
                self._next += 1
                self._pending[self._next] = hello
                self._send({"i": self._next, "m": "hello", "a": []})
                reading = asyncio.get_running_loop().create_task(self._read(reader))
                address = await hello
                self.relay_address = (str(address[0]), int(address[1]))
                log.info("cascade: linked to the worker at %s", self.path)
                self._on_up()
                await reading
            except (OSError, MediaError, asyncio.IncompleteReadError) as exc:
                log.debug("link to %s: %r", self.path, exc)
            finally:
                self._lost()
                writer.close()
            log.warning("cascade: the worker at %s went away", self.path)
            self._on_down()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            message = json.loads(line)
            if "ev" in message:
                name = message["ev"]
                if name in EVENTS:
                    result = getattr(self._events(), name)(*message["a"])
                    if asyncio.iscoroutine(result):
                        await result
                continue
            future = self._pending.pop(int(message["i"]), None)
            if future is None or future.done():
                continue
            if "e" in message:
                code, text = message["e"]
                future.set_exception(MediaError(str(code), str(text)))
            else:
                future.set_result(message.get("r"))

    def _lost(self) -> None:
        self._up = False
        self._writer = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(MediaError("worker_down", f"{self.path} went away"))


class WorkerService:
    """Serves this process's SFU to the other workers' cascades on a Unix socket."""

    def __init__(self, sfu: Sfu, router: EventRouter, path: Path) -> None:
        self.sfu = sfu
        self.router = router
        self.path = path
        self._server: asyncio.AbstractServer | None = None
        self._tasks = TaskSet("worker service", log)

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a worker that died
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, self.path, limit=LIMIT)
        finally:
            os.umask(old)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self._tasks.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sink = _Sink(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                message = json.loads(line)
                if message.get("m") in WAITING:
                    self._tasks.spawn(self._handle(sink, message))
                else:
                    await self._handle(sink, message)
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            log.debug("cascade link closed: %r", exc)
        finally:
            writer.close()
            # The cascade that placed these connections is gone (its process died or
            # stopped): their pages connect again through the room's new worker.
            for participant in self.router.routed_to(sink):
                self.router.unroute(participant, sink)
                with contextlib.suppress(Exception):
                    await self.sfu.forget(participant)

    async def _handle(self, sink: _Sink, message: dict[str, Any]) -> None:
        ident = message.get("i")
        method = str(message.get("m"))
        args = list(message.get("a") or [])
        try:
            if method == "hello":
                result: Any = list(self.sfu.relay_address)
            elif method == "stats":  # for a benchmark: this worker's counters and its CPU
                result = {"stats": dataclasses.asdict(self.sfu.stats()), "cpu": _cpu_seconds()}
            elif method == "uplinks":
                result = {}
                for peer_id in args[0]:
                    found = self.sfu.uplink(str(peer_id))
                    if found is not None:
                        result[peer_id] = [found.received_bps, found.loss]
            else:
                if args and method in ROUTED:
                    self.router.route(str(args[0]), sink)
                result = dispatch(self.sfu, method, args)
                if asyncio.iscoroutine(result):
                    result = await result
                if method == "forget" and args:
                    self.router.unroute(str(args[0]), sink)
            if ident is not None:
                sink.write({"i": ident, "r": _wire(result)})
        except MediaError as exc:
            if ident is not None:
                sink.write({"i": ident, "e": [exc.code, exc.message]})
            else:
                log.warning("cascade %s: %s", method, exc)
        except Exception as exc:
            log.exception("cascade call %s failed", method)
            if ident is not None:
                sink.write({"i": ident, "e": ["internal", f"{type(exc).__name__}"]})


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Sink:
    """The events of the connections one remote cascade placed here, back over its socket."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    def write(self, message: dict[str, Any]) -> None:
        if not self.writer.is_closing():
            self.writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def _event(self, name: str, *args: Any) -> None:
        self.write({"ev": name, "a": list(args)})

    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        self._event("send_offer", peer_id, sdp, tracks)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self._event("tracks_changed", peer_id, tracks)

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        self._event("audio_level", peer_id, level_dbov, voiced)

    def peer_state(self, peer_id: str, state: str) -> None:
        self._event("peer_state", peer_id, state)

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        self._event("video_layer", subscriber, publisher, layer, reason)

    def video_seen(self, publisher: str, seen: bool) -> None:
        self._event("video_seen", publisher, seen)

    def published(self, publisher: str, kind: str, stream: str) -> None:
        self._event("published", publisher, kind, stream)

    def relay_wanted(self, publisher: str, kind: str, wanted: bool) -> None:
        self._event("relay_wanted", publisher, kind, wanted)

    def keyframe_wanted(self, publisher: str, stream: str) -> None:
        self._event("keyframe_wanted", publisher, stream)
