"""Between the rooms and the SFU: applies ``rooms.forwarding`` decisions with ``Sfu.subscribe`` /
``set_forwarding``, and implements ``media.MediaEvents`` (offers, track maps, video layers and
audio levels coming back from the SFU become socket.io events and speaking changes)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from media import MediaError, MediaEvents, Sfu, TrackInfo
from media.recordings import Recording, RecordingLibrary
from pendopo.tasks import TaskSet
from rooms import Room, RoomError, RoomService
from rooms.forwarding import ForwardingPolicy, Plan, diff, plan, publisher_gates
from rooms.model import Participant
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
        recordings: RecordingLibrary | None = None,
        recording_retention_days: float = 0,
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
        self.recordings = recordings
        self.recording_retention_days = recording_retention_days
        self._recording: dict[str, Recording] = {}  # room id -> its recording in progress
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
        recording = self._recording.get(room_id)
        if recording is not None:
            recording.spoke(participant_id, speaking)
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
            self._record(room, participants)
            if room.ended:
                self._applied.pop(room_id, None)
                self._locks.pop(room_id, None)
            else:
                self._applied[room_id] = new

    def _record(self, room: Room, participants: list[Participant]) -> None:
        """Bring the recording in line with the room: while the host records, every admitted
        participant (never one in the lobby) has a file; stopping closes them all."""
        recording = self._recording.get(room.id)
        on = room.recording and not room.ended and self.recordings is not None
        if on and recording is None and self.recordings is not None:
            recording = self.recordings.start(room.id, room.title, room.recording_by, self.clock)
            self._recording[room.id] = recording
        if recording is None:
            return
        wanted = {p.id: p for p in participants if p.present} if on else {}
        for participant_id in list(recording.recorders):
            if participant_id not in wanted:
                self.sfu.record(participant_id, None)
                recording.remove(participant_id)
        for participant_id, p in wanted.items():
            if participant_id not in recording.recorders:
                asker = functools.partial(self.sfu.request_keyframe, participant_id)
                self.sfu.record(participant_id, recording.add(p.id, p.name, p.site_code, asker))
        if not on:
            recording.stop()
            del self._recording[room.id]
            self.prune_recordings()

    def prune_recordings(self) -> None:
        """Delete recordings older than the retention setting (0: keep them all)."""
        if self.recordings is not None and self.recording_retention_days > 0:
            for gone in self.recordings.prune(self.recording_retention_days):
                log.info(
                    "recording %s deleted (older than %s days)", gone, self.recording_retention_days
                )

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
        for recording in self._recording.values():
            recording.stop()  # the files stay playable after a shutdown
        self._recording.clear()
        await self._tasks.close()
