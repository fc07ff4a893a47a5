"""A Python client of the meeting protocol (docs/protocol.md): for tests and bench/sfu.py.

``ProtocolClient`` speaks socket.io (websocket transport) and records what the server pushes.
``MediaSession`` wires it to a peer connection object (``media.testing.ClientPeer`` fits the
``MediaPeer`` protocol): it publishes with ``media:offer`` and answers the server's offers.

Failover (scale-out, docs/scaling.md): a client made with ``failover=True`` that loses its
node's socket connects again — to the same node, else to the other nodes the join ack listed
(``nodes``), following ``wrong_node`` — and joins again with its resume token. Listeners of
``rejoined`` get the new join ack; a ``MediaSession`` with a ``renew`` factory then starts a fresh
peer connection with the new node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import socketio

from rooms.view_delta import RoomDelta, apply_delta, delta_fits
from signaling.payloads import PROTOCOL_VERSION

log = logging.getLogger(__name__)

PUSHED_EVENTS = (
    "room:state",
    "room:delta",
    "lobby:result",
    "media:offer",
    "media:tracks",
    "media:limits",
    "media:layer",
    "media:restart",
    "speaking",
    "chat",
    "muted",
    "floor",
    "present:stopped",
    "removed",
    "ended",
)


REJOINED = "rejoined"
"""Not a socket event: the listeners' name for "joined again after failover" (data: the ack)."""
FAILOVER_WITHIN = 60.0
"""How long a client keeps trying the nodes it knows before giving up."""
CONNECT_WITHIN = 3.0
"""Longest wait for one node to accept the socket during failover (a frozen node accepts TCP
connections in its kernel and then never answers)."""
RETRY_PAUSE = 0.2
"""Pause after trying every known node once (or after a ``wrong_node``)."""


class ProtocolError(Exception):
    """The server refused a request: ``code`` is the ack's ``error``; ``details`` the ack's
    other fields (e.g. ``node`` of ``wrong_node``)."""

    def __init__(
        self, event: str, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{event}: {code}: {message}")
        self.event = event
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass
class Pushed:
    event: str
    data: Any
    at: float


class ProtocolClient:
    def __init__(
        self,
        url: str,
        *,
        cookie: str | None = None,
        name: str = "client",
        failover: bool = False,
        **options: Any,
    ) -> None:
        """``options`` go to ``socketio.AsyncClient`` (e.g. ``http_session`` for TLS settings,
        ``websocket_extra_options`` for an ``Origin``); ``failover``: see the module docstring."""
        self.url = url
        self.failover = failover
        self.nodes: list[str] = []
        """Other nodes' URLs from the last join ack (scale-out)."""
        self.failovers: list[tuple[float, float, str]] = []
        """(lost at, joined again at, node URL) per failover, ``time.monotonic()``."""
        self._joined_as: dict[str, Any] | None = None
        self._closing = False
        self._moving: asyncio.Task[None] | None = None
        self.cookie = cookie
        self.name = name
        self.sio = socketio.AsyncClient(reconnection=False, **options)
        self.pushed: list[Pushed] = []
        self.state: dict[str, Any] | None = None
        """The room's state as this client knows it: the latest whole view (``room:state``, the
        join ack's, an admission's, ``room:get``'s) with the ``room:delta``s since applied."""
        self.resyncs = 0
        """How often a version gap made the client read the whole view again (``room:get``)."""
        self._resync: asyncio.Task[None] | None = None
        self._held: list[RoomDelta] = []
        self.participant_id: str | None = None
        self.resume_token: str | None = None
        self.listeners: dict[str, list[Callable[[Any], Any]]] = {}
        self._changed = asyncio.Event()
        for event in PUSHED_EVENTS:
            self.sio.on(event, self._recorder(event))
        self.sio.on("disconnect", self._on_disconnect)

    def _recorder(self, event: str) -> Callable[[Any], Any]:
        async def record(data: Any = None) -> None:
            self.pushed.append(Pushed(event, data, time.monotonic()))
            if event == "room:state":
                self.state = data
            elif event == "room:delta":
                self._on_delta(data)
            elif event == "lobby:result" and isinstance(data, dict) and "room" in data:
                self.state = data["room"]
            for listener in self.listeners.get(event, []):
                result = listener(data)
                if asyncio.iscoroutine(result):
                    await result
            self._changed.set()

        return record

    def _on_delta(self, delta: RoomDelta) -> None:
        """Apply a delta to the state it builds on; after a gap, read the whole view again."""
        if self._resync is not None:
            self._held.append(delta)  # applied on the whole view asked for, if newer
            return
        fits = delta_fits(self.state, delta)
        if fits is None:
            self._resync = asyncio.get_running_loop().create_task(self._read_again())
        elif fits:
            assert self.state is not None
            self.state = apply_delta(self.state, delta)

    async def _read_again(self) -> None:
        try:
            self.resyncs += 1
            ack = await self.call("room:get")
            self.state = ack["state"]
            self._changed.set()
        except Exception:
            log.warning("%s: could not read the room's state again", self.name, exc_info=True)
        finally:
            self._resync = None
            held, self._held = self._held, []
            for delta in held:
                self._on_delta(delta)

    def on(self, event: str, listener: Callable[[Any], Any]) -> None:
        self.listeners.setdefault(event, []).append(listener)

    async def connect(self, url: str | None = None) -> None:
        self._closing = False  # connected again after disconnect(): failover applies again
        headers = {"Cookie": self.cookie} if self.cookie else {}
        await self.sio.connect(
            url or self.url, headers=headers, transports=["websocket"], socketio_path="socket.io"
        )
        if url:
            self.url = url

    async def disconnect(self) -> None:
        self._closing = True
        if self._moving is not None:
            self._moving.cancel()
        await self.sio.disconnect()

    # ------------------------------------------------------------------ failover
    def _on_disconnect(self, reason: Any = None) -> None:
        if self._closing or not self.failover or self._joined_as is None:
            return
        if self._moving is None or self._moving.done():
            self._moving = asyncio.get_running_loop().create_task(self._move(time.monotonic()))

    async def _move(self, lost_at: float) -> None:
        """Join again on whichever node serves the room now (see the module docstring)."""
        assert self._joined_as is not None
        order = [self.url, *(u for u in self.nodes if u != self.url)]
        deadline = lost_at + FAILOVER_WITHIN
        i = 0
        while not self._closing:
            if time.monotonic() > deadline:
                log.warning("%s: no node took the session within %s s", self.name, FAILOVER_WITHIN)
                return
            url = order[i % len(order)]
            i += 1
            try:
                await asyncio.wait_for(self.connect(url), CONNECT_WITHIN)
            except (socketio.exceptions.ConnectionError, TimeoutError):
                with contextlib.suppress(Exception):
                    await self.sio.disconnect()
                if i % len(order) == 0:
                    await asyncio.sleep(RETRY_PAUSE)
                continue
            try:
                ack = await self.join(**self._joined_as, resume=self.resume_token)
            except (ProtocolError, TimeoutError, socketio.exceptions.SocketIOError) as exc:
                node = getattr(exc, "details", {}).get("node")
                if getattr(exc, "code", None) not in ("wrong_node", "internal", "timeout"):
                    log.warning("%s: joining again on %s failed: %s", self.name, url, exc)
                    await self.sio.disconnect()
                    return
                await self.sio.disconnect()
                if isinstance(node, str):
                    order.insert(i % (len(order) + 1), node)  # next: where we were sent
                await asyncio.sleep(RETRY_PAUSE)
                continue
            self.failovers.append((lost_at, time.monotonic(), url))
            for listener in self.listeners.get(REJOINED, []):
                result = listener(ack)
                if asyncio.iscoroutine(result):
                    await result
            self._changed.set()
            return

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    # ------------------------------------------------------------------ requests
    async def request(self, event: str, *args: Any, within: float = 20.0) -> Any:
        """Emit ``args`` with an ack and return the ack as it is (no checking)."""
        data = None if not args else args[0] if len(args) == 1 else tuple(args)
        return await self.sio.call(event, data, timeout=within)

    async def call(self, event: str, payload: Any = None, within: float = 20.0) -> dict[str, Any]:
        """Emit with an ack; raise ``ProtocolError`` unless the ack says ok."""
        ack = await self.request(event, {} if payload is None else payload, within=within)
        if not isinstance(ack, dict) or not ack.get("ok"):
            code = ack.get("error", "?") if isinstance(ack, dict) else "?"
            message = ack.get("message", "") if isinstance(ack, dict) else repr(ack)
            details = (
                {k: v for k, v in ack.items() if k not in ("ok", "error", "message")}
                if isinstance(ack, dict)
                else {}
            )
            raise ProtocolError(event, str(code), str(message), details)
        return ack

    async def join(
        self, room: str, name: str, site: str | None = None, resume: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"protocol": PROTOCOL_VERSION, "room": room, "name": name}
        if site is not None:
            payload["site"] = site
        if resume is not None:
            payload["resume"] = resume
        ack = await self.call("join", payload)
        self.participant_id = ack["participant"]["id"]
        self.resume_token = ack["resume"]
        self.state = ack["room"]
        self.nodes = [str(u) for u in ack.get("nodes", [])]
        self._joined_as = {"room": room, "name": name, "site": site}
        return ack

    async def leave(self) -> None:
        await self.call("leave")

    async def admit(self, participant: str) -> None:
        await self.call("lobby:admit", {"participant": participant})

    async def admit_invited(self) -> list[str]:
        """Admit everyone waiting from an invited site; the ids admitted."""
        ack = await self.call("lobby:admit-invited", {})
        return list(ack["participants"])

    async def deny(self, participant: str) -> None:
        await self.call("lobby:deny", {"participant": participant})

    async def self_media(self, *, mic: bool | None = None, camera: bool | None = None) -> None:
        payload = {k: v for k, v in (("mic", mic), ("camera", camera)) if v is not None}
        await self.call("self:media", payload)

    async def receive(self, *, video: bool) -> None:
        await self.call("media:receive", {"video": video})

    async def chat(self, text: str) -> None:
        await self.call("chat:send", {"text": text})

    async def mute(self, participant: str, *, hard: bool = False) -> None:
        await self.call("host:mute", {"participant": participant, "hard": hard})

    async def allow_unmute(self, participant: str) -> None:
        await self.call("host:unmute-allow", {"participant": participant})

    async def mute_all(self, *, hard: bool = False) -> None:
        await self.call("host:mute-all", {"hard": hard})

    async def remove(self, participant: str) -> None:
        await self.call("host:remove", {"participant": participant})

    async def lock(self, locked: bool = True) -> None:
        await self.call("host:lock", {"locked": locked})

    async def end(self) -> None:
        await self.call("host:end")

    async def raise_hand(self, raised: bool = True) -> None:
        await self.call("hand:raise", {"raised": raised})

    async def lower_hand(self, participant: str) -> None:
        await self.call("host:hand-lower", {"participant": participant})

    async def give_floor(self, participant: str) -> None:
        await self.call("host:floor", {"participant": participant})

    async def shown(self, participants: list[str] | None) -> None:
        """``media:shown``: whose video this page shows (None: everyone's)."""
        await self.call("media:shown", {"participants": participants})

    # ------------------------------------------------------------------ waiting
    def events(self, name: str) -> list[Any]:
        return [p.data for p in self.pushed if p.event == name]

    async def wait_until(
        self, predicate: Callable[[], bool], within: float = 20.0, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: {what} not reached within {within} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))
            except TimeoutError:
                pass

    async def wait_event(
        self, name: str, predicate: Callable[[Any], bool] = lambda d: True, within: float = 20.0
    ) -> Any:
        """The first pushed ``name`` event (already received or coming) that matches."""
        found: list[Any] = []

        def match() -> bool:
            found[:] = [d for d in self.events(name) if predicate(d)]
            return bool(found)

        await self.wait_until(match, within, f"event {name}")
        return found[0]

    def participant(self, name: str) -> dict[str, Any] | None:
        """A participant of the latest ``room:state`` by display name."""
        for p in (self.state or {}).get("participants", []):
            if p["name"] == name:
                return dict(p)
        return None

    def lobby(self) -> list[dict[str, Any]]:
        return list((self.state or {}).get("lobby", []))


class MediaPeer(Protocol):
    """What MediaSession needs of a client peer connection (media.testing.ClientPeer has it)."""

    tracks: dict[str, Any]

    async def offer(self) -> str: ...

    async def accept(self, answer_sdp: str) -> None: ...

    async def answer(self, offer_sdp: str) -> str: ...

    async def close(self) -> None: ...


class MediaSession:
    """Publishes through ``media:offer`` and answers every server ``media:offer``.

    With ``renew`` (a factory of fresh peers), a failover of the client (``rejoined``) closes
    the old peer and publishes a new one to the new node, as a browser does."""

    def __init__(
        self,
        client: ProtocolClient,
        peer: MediaPeer,
        renew: Callable[[], MediaPeer] | None = None,
    ) -> None:
        self.client = client
        self.peer = peer
        self.renew = renew
        self._generation = 0
        self._lock = asyncio.Lock()
        self.errors: list[BaseException] = []
        client.on("media:offer", self._on_offer)
        client.on("media:tracks", self._on_tracks)
        client.on("lobby:result", self._on_tracks)  # an admission carries the track map
        client.on(REJOINED, self._on_rejoined)
        client.on("media:restart", self._on_restart)

    async def _on_restart(self, data: dict[str, Any]) -> None:
        """The server's side of the connection is gone (its worker ended): a new one, as a
        browser makes it (docs/protocol.md ``media:restart``)."""
        await self._renew(True, "media:restart")

    async def _on_rejoined(self, ack: dict[str, Any]) -> None:
        await self._renew(ack.get("status") == "admitted", "failover")

    async def _renew(self, publish: bool, why: str) -> None:
        if self.renew is None:
            return
        # A fresh peer and a fresh lock: an exchange with the dead node may still hold the old
        # lock until its ack times out, and its offers must not reach the new peer.
        self._generation += 1
        self._lock = asyncio.Lock()
        old, self.peer = self.peer, self.renew()
        await old.close()
        if publish:
            try:
                await self.start()
            except Exception as exc:  # kept for the caller to inspect
                log.warning("%s: publishing after %s failed: %r", self.client.name, why, exc)
                self.errors.append(exc)

    async def start(self, attempts: int = 5) -> None:
        """Send this peer's offer; on ``offer_collision`` answer the server first and retry."""
        for _ in range(attempts):
            async with self._lock:
                sdp = await self.peer.offer()
                try:
                    ack = await self.client.call("media:offer", {"sdp": sdp})
                except ProtocolError as exc:
                    if exc.code != "offer_collision":
                        raise
                else:
                    self.peer.tracks.update(ack["tracks"])
                    await self.peer.accept(ack["sdp"])
                    return
            await asyncio.sleep(0.2)
        raise ProtocolError("media:offer", "offer_collision", "gave up")

    async def settled(self) -> None:
        """Return once every server offer received so far is answered and acknowledged."""
        await asyncio.sleep(0)  # let an offer that just arrived start its answer
        async with self._lock:
            pass

    def _on_offer(self, data: Any) -> None:
        # Answer in a task: socket.io delivers events in order, do not block the next ones.
        asyncio.get_running_loop().create_task(self._answer(data, self._generation))

    async def _answer(self, data: dict[str, Any], generation: int) -> None:
        try:
            async with self._lock:
                if generation != self._generation:
                    return  # an offer of the node we left
                self.peer.tracks.update(data.get("tracks", {}))
                answer = await self.peer.answer(data["sdp"])
                await self.client.call("media:answer", {"sdp": answer})
        except Exception as exc:  # kept for the caller to inspect
            if generation != self._generation:
                return  # the node we left stopped answering
            log.warning("%s: answering the server's offer failed: %r", self.client.name, exc)
            self.errors.append(exc)

    def _on_tracks(self, data: dict[str, Any]) -> None:
        self.peer.tracks.update(data.get("tracks", {}))
