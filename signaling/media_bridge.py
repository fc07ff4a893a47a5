"""Between the rooms and the SFU: applies ``rooms.forwarding`` decisions with ``Sfu.subscribe`` /
``set_forwarding``, and implements ``media.MediaEvents`` (offers, track maps, video layers and
audio levels coming back from the SFU become socket.io events and speaking changes)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from media import MediaError, MediaEvents, Sfu, TrackInfo
from pendopo.tasks import TaskSet
from rooms import RoomError, RoomService
from rooms.forwarding import ForwardingPolicy, Plan, diff, plan, publisher_gates
from rooms.speaking import SpeakingDetector
from signaling.connections import Connections
from signaling.fanout import Fanout
from signaling.payloads import MediaLayer

log = logging.getLogger(__name__)


class MediaBridge:
    """One per process. It owns the SFU it drives: ``media`` builds it around this bridge, its
    ``MediaEvents`` (the composition root passes ``partial(Sfu, settings)``)."""

    def __init__(
        self,
        service: RoomService,
        fanout: Fanout,
        connections: Connections,
        media: Callable[[MediaEvents], Sfu],
        policy: ForwardingPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.fanout = fanout
        self.connections = connections
        self.policy = policy or ForwardingPolicy()
        self.clock = clock
        self.detector = SpeakingDetector()
        self._applied: dict[str, Plan] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks = TaskSet("media event handling", log)
        self.sfu = media(self)

    # ------------------------------------------------------------------ MediaEvents
    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        await self.fanout.to_participant(peer_id, "media:offer", {"sdp": sdp, "tracks": tracks})

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self._spawn(self.fanout.to_participant(peer_id, "media:tracks", {"tracks": tracks}))

    def audio_level(self, peer_id: str, level_dbov: int, voiced: bool) -> None:
        room_id = self.connections.room_of(peer_id)
        if room_id is None:
            return
        change = self.detector.level(peer_id, level_dbov, self.clock())
        if change is not None:
            self._spawn(self._speaking(room_id, peer_id, change))

    def video_layer(self, subscriber: str, publisher: str, layer: str, reason: str) -> None:
        """The layer of ``publisher``'s video forwarded to ``subscriber`` changed: the page says
        why video is reduced or off (docs/protocol.md ``media:layer``)."""
        payload: MediaLayer = {"publisher": publisher, "layer": layer, "reason": reason}
        self._spawn(self.fanout.to_participant(subscriber, "media:layer", payload))

    def peer_state(self, peer_id: str, state: str) -> None:
        log.debug("media connection of %s: %s", peer_id, state)

    # ------------------------------------------------------------------ forwarding
    async def _speaking(self, room_id: str, participant_id: str, speaking: bool) -> None:
        if await self.service.speaking(room_id, participant_id, speaking):
            await self.fanout.to_room(
                room_id, "speaking", {"participant": participant_id, "speaking": speaking}
            )
            await self.apply(room_id)  # the recent speakers decide forwarding in large rooms

    async def apply(self, room_id: str) -> None:
        """Bring the SFU in line with the room's forwarding plan and mute state."""
        sfu = self.sfu
        async with self._locks.setdefault(room_id, asyncio.Lock()):
            try:
                room = await self.service.room(room_id)
            except RoomError:
                return
            participants = await self.service.participants(room_id)
            new = plan(participants, room.recent_speakers, self.policy)
            old = self._applied.get(room_id, {})
            change = diff(old, new)
            try:
                for subscriber, publisher in change.unsubscribe:
                    await sfu.unsubscribe(subscriber, publisher)
                for (subscriber, publisher), kinds in change.subscribe.items():
                    if not old.get((subscriber, publisher), frozenset()) <= kinds:
                        await sfu.unsubscribe(subscriber, publisher)  # subscribe only adds kinds
                    await sfu.subscribe(subscriber, publisher, kinds)
                for p in participants:
                    if p.present:
                        for kind, enabled in publisher_gates(p).items():
                            sfu.set_forwarding(p.id, kind, enabled)
            except MediaError:
                log.exception("forwarding in room %s failed", room_id)
            if room.ended:
                self._applied.pop(room_id, None)
                self._locks.pop(room_id, None)
            else:
                self._applied[room_id] = new

    def shown(self, participant_id: str, publishers: frozenset[str] | None) -> None:
        """The participant's page shows these publishers' videos (None: all): the others are
        not forwarded to it (their layer is ``off``, reason ``hidden``)."""
        self.sfu.set_shown(participant_id, publishers)

    async def forget(self, participant_id: str) -> None:
        """The participant is gone for good: close its connection and every subscription."""
        self.detector.forget(participant_id)
        await self.sfu.forget(participant_id)

    async def drop_connection(self, participant_id: str) -> None:
        """The socket dropped: close the connection but keep the seat's subscriptions, so that
        a resumed participant's new connection is fed again without renegotiating others."""
        self.detector.forget(participant_id)
        await self.sfu.remove(participant_id)

    # ------------------------------------------------------------------ tasks
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coro)

    async def close(self) -> None:
        await self._tasks.close()
