"""Telling people: events to one participant or to a whole room, and ``room:state`` snapshots
(each participant gets their own view, coalesced so a burst of changes sends one snapshot)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import socketio

from pendopo.tasks import TaskSet
from rooms import RoomError, RoomService, SiteDirectory
from rooms.sites import DirectorySite, LinkHealth, site_and_parent
from rooms.views import snapshot
from signaling.connections import Connections

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.02


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
        self._tasks = TaskSet("room:state", log)

    async def to_participant(self, participant_id: str, event: str, data: Any) -> None:
        sid = self.connections.sid_of(participant_id)
        if sid is not None:
            await self.sio.emit(event, data, to=sid)

    async def to_room(self, room_id: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, room=room_key(room_id))

    def state_changed(self, room_id: str) -> None:
        """Schedule one ``room:state`` to everyone in the room (and its lobby)."""
        if room_id in self._pending:
            return
        self._pending.add(room_id)
        self._tasks.spawn(self._send_later(room_id))

    async def _send_later(self, room_id: str) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        self._pending.discard(room_id)
        try:
            await self.send_state(room_id)
        except RoomError:
            pass  # the room ended meanwhile
        except Exception:
            log.exception("room:state of %s failed", room_id)

    async def views(self, room_id: str) -> dict[str, dict[str, Any]]:
        """participant id -> its ``room:state`` view, for every active participant."""
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
        return {
            p.id: snapshot(room, participants, p, sites, links) for p in participants if p.active
        }

    async def view(self, room_id: str, participant_id: str) -> dict[str, Any]:
        return (await self.views(room_id))[participant_id]

    async def send_state(self, room_id: str) -> None:
        for participant_id, view in (await self.views(room_id)).items():
            await self.to_participant(participant_id, "room:state", view)

    async def close(self) -> None:
        await self._tasks.close()
