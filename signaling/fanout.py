"""Telling people: events to one participant or to a whole room, and the room's state: each
participant's own view, whole (``room:state``) the first time and then as versioned deltas
(``room:delta``, rooms.view_delta), coalesced so a burst of changes sends one push: the first
change after a quiet ``COALESCE_SECONDS`` goes out at once, later ones wait for the end of that
window and go out together."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import socketio
from engineio import packet as eio_packet

from pendopo.tasks import TaskSet
from rooms import RoomError, RoomService, SiteDirectory
from rooms.model import Participant
from rooms.sites import DirectorySite, LinkHealth, site_and_parent
from rooms.view_delta import Sent, SharedDelta, diff, needs_snapshot, personal_delta, sent
from rooms.views import RoomView, personal_view, room_view
from signaling.connections import Connections

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.02
LEADING_EDGE = True
"""False: every push waits ``COALESCE_SECONDS`` (the earlier rule; bench/signaling.py's
``--trailing-tick`` experiment)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as python-socketio encodes


class SharedEncoder:
    """JSON of views built by ``personal_view`` and of deltas built by ``personal_delta``: the
    shared parts (``RoomView``'s values and the push's ``SharedDelta``'s, the same objects in
    every view or delta) are encoded once, the rest per view; a message made only of shared
    parts and plain values (most pages' deltas: the same ``base``, ``version`` and changes) is
    encoded once for all pages that get it. The result is what ``json.dumps`` gives for the
    value, compact as socket.io sends it."""

    def __init__(self, shared: RoomView, change: SharedDelta | None = None) -> None:
        values: tuple[Any, ...] = (
            shared.room,
            shared.participants,
            shared.hands,
            shared.presenting,
            shared.lobby,
        )
        if change is not None:
            values += (change.room, change.participants, change.hands, change.lobby)
        self._shared = {id(v): v for v in values if v is not None}
        self._encoded: dict[int, str] = {}
        self._messages: dict[tuple[Any, ...], str] = {}

    def encode(self, value: Any) -> str:
        key = id(value)
        if key in self._shared:
            encoded = self._encoded.get(key)
            if encoded is None:
                encoded = self._encoded[key] = _dumps(value)
            return encoded
        if isinstance(value, Mapping):
            same = self._same_as(value)
            if same is None:
                return self._mapping(value)
            message = self._messages.get(same)
            if message is None:
                message = self._messages[same] = self._mapping(value)
            return message
        return _dumps(value)

    def _mapping(self, value: Mapping[Any, Any]) -> str:
        items = ",".join(f"{_dumps(str(k))}:{self.encode(v)}" for k, v in value.items())
        return "{" + items + "}"

    def _same_as(self, value: Mapping[Any, Any]) -> tuple[Any, ...] | None:
        """What decides ``value``'s JSON when each of its values is a shared part or a plain
        int, string or None (its keys in order, the parts' identities, the values and their types):
        None when one is anything else (a page's own parts are encoded each time)."""
        key: list[Any] = []
        for k, v in value.items():
            if id(v) in self._shared:
                key.append((k, id(v)))
            elif v is None or type(v) is int or type(v) is str:  # no bool, float, enum: 1 == 1.0
                key.append((k, type(v), v))
            else:
                return None
        return tuple(key)


@dataclass
class Pushed:
    """A room's last pushed state: its version, its shared parts, what each page was given."""

    version: int = 0
    shared: RoomView | None = None
    pages: dict[str, Sent] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def room_key(room_id: str) -> str:
    """socket.io room of a session's admitted participants (lobby sockets are not in it)."""
    return f"r:{room_id}"


class Fanout:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        service: RoomService,
        sites: Callable[[], SiteDirectory],
        connections: Connections,
    ) -> None:
        self.sio = sio
        self.service = service
        self.sites = sites
        self.connections = connections
        self._pending: set[str] = set()
        self._last_push: dict[str, float] = {}  # room -> loop time its last push began
        self._pushed: dict[str, Pushed] = {}
        self._tasks = TaskSet("room:state", log)

    async def to_participant(self, participant_id: str, event: str, data: Any) -> None:
        sid = self.connections.sid_of(participant_id)
        if sid is not None:
            # this process's socket: delivered here, not published to Redis and read back
            await self.sio.emit(event, data, to=sid, ignore_queue=True)

    async def to_room(self, room_id: str, event: str, data: Any) -> None:
        """``event`` to every admitted participant of the room: encoded once, then put on each
        socket's queue (no task per recipient; never through Redis: a room's sockets are all
        on its node, docs/scaling.md)."""
        await self.send_encoded(list(self._room_sids(room_id)), event, _dumps(data))

    def _room_sids(self, room_id: str) -> list[str]:
        return [sid for sid, _eio in self.sio.manager.get_participants("/", room_key(room_id))]

    def state_changed(self, room_id: str) -> None:
        """Schedule one ``room:state`` to everyone in the room (and its lobby)."""
        if room_id in self._pending:
            return
        self._pending.add(room_id)
        self._tasks.spawn(self._send_later(room_id))

    async def _send_later(self, room_id: str) -> None:
        """At most one push per room per ``COALESCE_SECONDS``: at once after a quiet window
        (a town hall's mute or raised hand reaches 229 pages without waiting for changes that
        are not coming), else at the end of the window with whatever came meanwhile. The task
        starts on a later loop turn, so the changes of the handler that asked are all in it."""
        loop = asyncio.get_running_loop()
        last = self._last_push.get(room_id)
        wait = COALESCE_SECONDS
        if LEADING_EDGE:
            wait = 0.0 if last is None else max(0.0, last + COALESCE_SECONDS - loop.time())
        await asyncio.sleep(wait)
        self._pending.discard(room_id)
        self._last_push[room_id] = loop.time()
        try:
            await self.send_state(room_id)
        except RoomError:
            self._pushed.pop(room_id, None)  # the room ended meanwhile
        except Exception:
            log.exception("room:state of %s failed", room_id)
        if room_id not in self._pushed:  # nobody active: the room's window is forgotten too
            self._last_push.pop(room_id, None)

    async def _room_view(self, room_id: str) -> tuple[RoomView, list[Participant]]:
        """The parts of the room's snapshot everyone shares, and its active participants."""
        room = await self.service.room(room_id)
        participants = await self.service.participants(room_id)
        directory = self.sites()
        sites: dict[str, DirectorySite] = {}
        links: dict[str, LinkHealth] = {}
        for code in {p.site_code for p in participants if p.site_code and p.active}:
            site, parent = await site_and_parent(directory, code)
            if site is not None:
                sites[code] = site
            if parent is not None:
                sites[parent.code] = parent  # a village is named "Village, Kecamatan"
            link = await directory.link(code)
            if link is not None:
                links[code] = link
        return room_view(room, participants, sites, links), [p for p in participants if p.active]

    async def views(self, room_id: str) -> dict[str, dict[str, Any]]:
        """participant id -> its ``room:state`` view, for every active participant. The views
        share the room's parts (the same objects): read them, do not change them."""
        shared, active = await self._room_view(room_id)
        return {p.id: personal_view(shared, p) for p in active}

    async def view(self, room_id: str, participant_id: str) -> dict[str, Any]:
        """The participant's whole view (a join's ack, ``room:get``), with the version the
        deltas that follow build on: the room's changes so far are pushed to the others first,
        so the view is exactly that version."""
        pushed = self._pushed.setdefault(room_id, Pushed())
        async with pushed.lock:
            shared, active, _ = await self._push(room_id, pushed, skip={participant_id})
            for p in active:
                if p.id == participant_id:
                    pushed.pages[p.id] = sent(p, pushed.version)
                    return self._snapshot(shared, p, pushed.version)
        raise KeyError(participant_id)

    async def send_state(self, room_id: str) -> None:
        """Everyone's state: the room's changes since the last push as each page's delta, a
        whole ``room:state`` to pages without a version yet (docs/scaling.md "Signaling for
        hundreds")."""
        pushed = self._pushed.setdefault(room_id, Pushed())
        async with pushed.lock:
            await self._push(room_id, pushed)

    async def _push(
        self, room_id: str, pushed: Pushed, skip: Collection[str] = ()
    ) -> tuple[RoomView, list[Participant], SharedEncoder]:
        """Push the room's state as it is now to its pages but ``skip`` (those are given a whole
        view next); the new shared parts, the active participants and the parts' encoder."""
        shared, active = await self._room_view(room_id)
        before = pushed.shared
        change = diff(before, shared) if before is not None else None
        version = pushed.version + 1
        encoder = SharedEncoder(shared, change)
        pages: dict[str, Sent] = {}
        sending: dict[tuple[str, str], list[str]] = {}  # (event, JSON) -> the pages' sockets
        for p in active:
            had = pushed.pages.get(p.id)
            if p.id in skip:
                continue
            sid = self.connections.sid_of(p.id)
            if sid is None:  # socket gone (grace): a join with its resume token gives a view
                if had is not None:
                    pages[p.id] = had
                continue
            if change is None or had is None or needs_snapshot(had, p):
                snapshot = self._snapshot(shared, p, version)
                sending.setdefault(("room:state", encoder.encode(snapshot)), []).append(sid)
            elif (delta := personal_delta(change, p, had, version)) is not None:
                sending.setdefault(("room:delta", encoder.encode(delta)), []).append(sid)
            else:
                pages[p.id] = had  # nothing new for this page: it stays at its version
                continue
            pages[p.id] = sent(p, version)
        if not sending:
            # nothing went out: every page's view is as it was, and so is the version (a
            # room:get or a refused request must not look like a change)
            version = pushed.version
        pushed.shared, pushed.pages, pushed.version = shared, pages, version
        if not active:
            self._pushed.pop(room_id, None)
        for (event, data), sids in sending.items():  # one message per page: order kept
            await self.send_encoded(sids, event, data)
        return shared, active, encoder

    @staticmethod
    def _snapshot(shared: RoomView, p: Participant, version: int) -> dict[str, Any]:
        return {**personal_view(shared, p), "version": version}

    async def to_each(
        self,
        room_id: str,
        event: str,
        participant_ids: list[str],
        payload: Callable[[str, dict[str, Any]], Mapping[str, Any]],
    ) -> None:
        """``event`` to each of ``participant_ids`` (active ones), its payload made by
        ``payload(id, their whole room:state view)``; the room's changes pushed to the others
        first (see ``view``), the room's shared parts encoded once."""
        pushed = self._pushed.setdefault(room_id, Pushed())
        async with pushed.lock:
            wanted = set(participant_ids)
            shared, active, encoder = await self._push(room_id, pushed, skip=wanted)
            for p in active:
                sid = self.connections.sid_of(p.id) if p.id in wanted else None
                if sid is not None:
                    pushed.pages[p.id] = sent(p, pushed.version)
                    data = payload(p.id, self._snapshot(shared, p, pushed.version))
                    await self.send_encoded(sid, event, encoder.encode(data))

    async def send_encoded(self, sids: str | list[str], event: str, data: str) -> None:
        """``event`` with ``data`` already JSON (socket.io's own encoding: ``2[event,data]``,
        default namespace) to this process's sockets ``sids``, straight to their engine.io
        queues: one packet object for all and no task per recipient, and never through Redis
        (a room's sockets are all on its node, docs/scaling.md)."""
        packet = eio_packet.Packet(eio_packet.MESSAGE, data=f"2[{_dumps(event)},{data}]")
        manager, eio = self.sio.manager, self.sio.eio
        for sid in [sids] if isinstance(sids, str) else sids:
            eio_sid = manager.eio_sid_from_sid(sid, "/")
            if eio_sid is not None:
                await eio.send_packet(eio_sid, packet)

    async def close(self) -> None:
        await self._tasks.close()
