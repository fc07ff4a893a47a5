"""Between the rooms and the SFU: applies ``rooms.forwarding`` decisions with ``Sfu.subscribe`` /
``set_forwarding`` / ``reserve``, and implements ``media.MediaEvents`` (offers, track maps, video
layers and audio levels coming back from the SFU become socket.io events and speaking changes).

Admission is on the critical path of a VSAT site's first picture, so nothing in it waits for a
renegotiation: every connection already holds idle slots for the lobby's media
(``rooms.forwarding.reservations``), and each subscriber's changes are applied on their own, so
one connection's offer (the host's) never holds back another's routing (the newcomer's)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from media import MediaError, MediaEvents, MediaServer, TrackInfo
from media.recordings import Recording, RecordingLibrary
from pendopo.tasks import TaskSet
from rooms import Room, RoomError, RoomService
from rooms.forwarding import ForwardingPolicy, Plan, diff, plan, publisher_gates, reservations
from rooms.model import Participant
from rooms.presenting import share_id
from rooms.speaking import SpeakingDetector
from signaling.connections import Connections
from signaling.fanout import Fanout
from signaling.payloads import MediaLayer, MediaRestart

log = logging.getLogger(__name__)


class MediaBridge:
    """One per process. It owns the SFU it drives: ``media`` builds it around this bridge, its
    ``MediaEvents`` (the composition root passes ``partial(Sfu, settings)``, or the cascade's
    ``build`` with ``pendopo run --workers``)."""

    def __init__(
        self,
        service: RoomService,
        fanout: Fanout,
        connections: Connections,
        media: Callable[[MediaEvents], MediaServer],
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
        self._reserved: dict[str, dict[str, int]] = {}  # participant -> what Sfu.reserve was told
        self._tracks: dict[str, dict[str, TrackInfo]] = {}  # the latest tracks_changed map
        self._held: dict[str, list[tuple[str, Any]]] = {}  # participant -> events not yet sent
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks = TaskSet("media event handling", log)
        self.recordings = recordings
        self.recording_retention_days = recording_retention_days
        self._recording: dict[str, Recording] = {}  # room id -> its recording in progress
        self._shares: dict[str, str] = {}  # room id -> the share publisher id applied
        self.on_video_seen: Callable[[str, bool], None] | None = None
        """Where ``video_seen`` goes (the composition root sets the link policy's)."""
        self.sfu = media(self)

    # ------------------------------------------------------------------ MediaEvents
    async def send_offer(self, peer_id: str, sdp: str, tracks: dict[str, TrackInfo]) -> None:
        payload = {"sdp": sdp, "tracks": tracks}
        held = self._held.get(peer_id)
        if held is not None:
            held.append(("media:offer", payload))
        else:
            await self.fanout.to_participant(peer_id, "media:offer", payload)

    def tracks_changed(self, peer_id: str, tracks: dict[str, TrackInfo]) -> None:
        self._tracks[peer_id] = tracks
        self._tell(peer_id, "media:tracks", {"tracks": tracks})

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
        self._tell(subscriber, "media:layer", payload)

    def video_seen(self, publisher: str, seen: bool) -> None:
        """Nobody sees (or someone sees again) the publisher's video: its page's camera
        limits follow (``media:limits`` ``unseen``)."""
        if self.on_video_seen is not None:
            self.on_video_seen(publisher, seen)

    def hold(self, participant_id: str) -> None:
        """Keep the participant's media events until :meth:`release`: its admission message
        goes first (over a lossy link each message ahead of it is one more chance of a TCP
        retransmission that holds it back by a second or more)."""
        self._held.setdefault(participant_id, [])

    def release(self, participant_id: str) -> None:
        """Send the events held since :meth:`hold`, in order."""
        for event, payload in self._held.pop(participant_id, []):
            self._spawn(self.fanout.to_participant(participant_id, event, payload))

    def _tell(self, participant_id: str, event: str, payload: Any) -> None:
        held = self._held.get(participant_id)
        if held is not None:
            held.append((event, payload))
        else:
            self._spawn(self.fanout.to_participant(participant_id, event, payload))

    def peer_state(self, peer_id: str, state: str) -> None:
        log.debug("media connection of %s: %s", peer_id, state)
        if state == "lost":  # its worker ended (media/cascade.py): the page connects again
            payload: MediaRestart = {"reason": "server_worker_lost"}
            self._tell(peer_id, "media:restart", payload)

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
        """Bring the SFU in line with the room's forwarding plan, its lobby and mute state."""
        sfu = self.sfu
        async with self._locks.setdefault(room_id, asyncio.Lock()):
            try:
                room = await self.service.room(room_id)
            except RoomError:
                self._shares.pop(room_id, None)
                return
            participants = await self.service.participants(room_id)
            new = plan(participants, room.recent_speakers, self.policy, room.presenter)
            await self._present(room_id, room.presenter)
            old = self._applied.get(room_id, {})
            change = diff(old, new)
            steps: dict[str, list[tuple[str, frozenset[str] | None]]] = {}
            for subscriber, publisher in change.unsubscribe:
                steps.setdefault(subscriber, []).append((publisher, None))
            for (subscriber, publisher), kinds in change.subscribe.items():
                steps.setdefault(subscriber, []).append((publisher, kinds))
            try:
                if not room.ended:
                    held = reservations(
                        participants, room.recent_speakers, self.policy, room.presenter
                    )
                    for participant, counts in held.items():
                        if self._reserved.get(participant) != counts:
                            self._reserved[participant] = counts
                            sfu.reserve(participant, counts)
                results = await asyncio.gather(
                    *(self._subscriber(s, old, todo) for s, todo in steps.items()),
                    return_exceptions=True,
                )
                for result in results:
                    if isinstance(result, BaseException):
                        raise result
                for p in participants:
                    if p.present:
                        for kind, enabled in publisher_gates(p).items():
                            sfu.set_forwarding(p.id, kind, enabled)
                        sfu.set_audio_priority(p.id, p.is_host or p.id == room.floor)
            except MediaError:
                log.exception("forwarding in room %s failed", room_id)
            self._record(room, participants)
            if room.ended:
                self._applied.pop(room_id, None)
                self._locks.pop(room_id, None)
            else:
                self._applied[room_id] = new

    async def _present(self, room_id: str, presenter: str | None) -> None:
        """A share that is no longer the room's (stopped, taken over) loses its connection;
        the SFU gives the current one priority at weak receivers (media/presenting.py)."""
        share = share_id(presenter) if presenter is not None else None
        before = self._shares.get(room_id)
        if before == share:
            return
        if before is not None:
            self.sfu.set_share(before, False)
            await self.sfu.forget(before)
        if share is None:
            self._shares.pop(room_id, None)
        else:
            self._shares[room_id] = share
            self.sfu.set_share(share, True)

    def _record(self, room: Room, participants: list[Participant]) -> None:
        """Bring the recording in line with the room: while the host records, every admitted
        participant (never one in the lobby) has a file, and so does the screen share while
        one runs (``<presenter>.screen``); stopping closes them all."""
        recording = self._recording.get(room.id)
        on = room.recording and not room.ended and self.recordings is not None
        if on and recording is None and self.recordings is not None:
            recording = self.recordings.start(room.id, room.title, room.recording_by, self.clock)
            self._recording[room.id] = recording
        if recording is None:
            return
        wanted = {p.id: p for p in participants if p.present} if on else {}
        presenter = wanted.get(room.presenter) if room.presenter is not None else None
        screen = share_id(presenter.id) if presenter is not None else None
        for participant_id in list(recording.recorders):
            if participant_id not in wanted and participant_id != screen:
                self.sfu.record(participant_id, None)
                recording.remove(participant_id)
        for participant_id, p in wanted.items():
            if participant_id not in recording.recorders:
                asker = functools.partial(self.sfu.request_keyframe, participant_id)
                self.sfu.record(participant_id, recording.add(p.id, p.name, p.site_code, asker))
        if presenter is not None and screen is not None and screen not in recording.recorders:
            # the share is a file of its own, placed on the clock like a participant's
            asker = functools.partial(self.sfu.request_keyframe, screen)
            added = recording.add(screen, presenter.name, presenter.site_code, asker, presenter.id)
            self.sfu.record(screen, added)
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

    async def _subscriber(
        self, subscriber: str, old: Plan, steps: list[tuple[str, frozenset[str] | None]]
    ) -> None:
        """One subscriber's part of a plan change, in order (its offer, if it needs one, holds
        back nobody else's)."""
        sfu = self.sfu
        for publisher, kinds in steps:
            if kinds is None:
                await sfu.unsubscribe(subscriber, publisher)
                continue
            if not old.get((subscriber, publisher), frozenset()) <= kinds:
                await sfu.unsubscribe(subscriber, publisher)  # subscribe only adds kinds
            await sfu.subscribe(subscriber, publisher, kinds)

    def tracks(self, participant_id: str) -> dict[str, TrackInfo]:
        """The track map of the participant's current connection as the SFU last told it
        (``media:tracks``): after :meth:`apply` admitted them, whom their lobby slots carry."""
        return dict(self._tracks.get(participant_id, {}))

    def shown(self, participant_id: str, publishers: frozenset[str] | None) -> None:
        """The participant's page shows these publishers' videos (None: all): the others are
        not forwarded to it (their layer is ``off``, reason ``hidden``)."""
        self.sfu.set_shown(participant_id, publishers)

    async def forget(self, participant_id: str) -> None:
        """The participant is gone for good: close its connection and every subscription."""
        self.detector.forget(participant_id)
        self._reserved.pop(participant_id, None)
        self._tracks.pop(participant_id, None)
        await self.sfu.forget(participant_id)
        await self.sfu.forget(share_id(participant_id))  # their screen share, if any

    async def share(self, participant_id: str, sdp: str) -> str:
        """Answer the offer of a participant's screen-share connection (a publisher of its
        own: ``rooms.presenting.share_id``); a new offer replaces an earlier connection."""
        answer, _tracks = await self.sfu.answer(share_id(participant_id), sdp)
        return answer

    async def drop_connection(self, participant_id: str) -> None:
        """The socket dropped: close the connection but keep the seat's subscriptions, so that
        a resumed participant's new connection is fed again without renegotiating others."""
        self.detector.forget(participant_id)
        self._tracks.pop(participant_id, None)  # mids belong to one connection
        await self.sfu.remove(participant_id)
        await self.sfu.forget(share_id(participant_id))  # a share stops with the socket

    # ------------------------------------------------------------------ tasks
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coro)

    async def close(self) -> None:
        for recording in self._recording.values():
            recording.stop()  # the files stay playable after a shutdown
        self._recording.clear()
        await self._tasks.close()
