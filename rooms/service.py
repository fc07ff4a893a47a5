"""The meeting rules: who may join, wait, speak, act as host; every change goes through here.

``RoomService`` knows nothing about sockets or media. It reads and writes live state through a
``RoomStore`` and durable room records through ``RoomRecords``, and returns what changed so the
transport (signaling/) can tell the people concerned. Changes to one room are serialised by a
per-room lock; a room lives on one node at a time (the room-to-node registry keeps it so).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from rooms.errors import (
    DENIED,
    FORBIDDEN,
    INVALID_REQUEST,
    LOBBY_FULL,
    NOT_ADMITTED,
    NOT_FOUND,
    NOT_IN_ROOM,
    NOT_YET_OPEN,
    REMOVED,
    ROOM_ENDED,
    ROOM_LOCKED,
    RoomError,
)
from rooms.model import (
    ChatMessage,
    Participant,
    ParticipantRole,
    ParticipantState,
    Room,
    SessionState,
)
from rooms.presenting import may_start
from rooms.records import RoomRecord, RoomRecords
from rooms.schedule import Schedule, join_window_open, wib_clock
from rooms.speaking import push_speaker
from rooms.store import RoomStore

GRACE_SECONDS = 60.0
"""How long a participant whose socket dropped may come back without the lobby."""
LOBBY_LIMIT = 200
"""Most people waiting in one session's lobby (fake entrants cannot flood the host's view)."""
JOIN_EARLY_SECONDS = 30 * 60.0
"""How long before a scheduled start its join link opens (setting session_join_early_minutes)."""


def new_room_id() -> str:
    """Short and unguessable: 8 random bytes, URL-safe (11 characters)."""
    return secrets.token_urlsafe(8)


def new_participant_id() -> str:
    return "p_" + secrets.token_hex(5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Joiner:
    """Who asks to join: validated by the transport."""

    name: str
    site_code: str | None = None
    user_id: int | None = None
    may_host: bool = False
    """Signed in with a role that hosts sessions (admin, host)."""
    skip_lobby: bool = False
    """Holds an invite link that admits at once (``require_lobby`` off)."""


@dataclass(frozen=True)
class Joined:
    participant: Participant
    resume_token: str
    resumed: bool
    """True when a resume token brought back a participant within its grace period."""
    replaced: bool = False
    """True when that participant was still connected (its old socket must be dropped)."""


@dataclass(frozen=True)
class Ended:
    room: Room
    participants: list[Participant]
    """Everyone who was in the lobby or the session when it ended (now left)."""


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        records: RoomRecords,
        *,
        grace: float = GRACE_SECONDS,
        clock: Callable[[], float] = time.time,
        lobby_limit: int = LOBBY_LIMIT,
        join_early: float = JOIN_EARLY_SECONDS,
    ) -> None:
        self.store = store
        self.records = records
        self.grace = grace
        self.lobby_limit = lobby_limit
        self.join_early = join_early
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ rooms
    async def create_room(
        self,
        title: str,
        created_by: int | None,
        invited_sites: tuple[str, ...] = (),
        schedule: Schedule | None = None,
    ) -> Room:
        record = RoomRecord(
            id=new_room_id(),
            title=title,
            state=SessionState.OPEN,
            created_by=created_by,
            created_at=self.clock(),
            invited_sites=invited_sites,
            schedule=schedule,
        )
        await self.records.insert(record)
        room = record.live()
        await self.store.put_room(room)
        return room

    async def room(self, room_id: str) -> Room:
        """The room's live state; loaded from its record after a restart."""
        room = await self.store.get_room(room_id)
        if room is not None:
            return room
        record = await self.records.get(room_id)
        if record is None:
            raise RoomError(NOT_FOUND, "There is no such session.")
        room = record.live()
        if not room.ended:
            await self.store.put_room(room)
        return room

    @asynccontextmanager
    async def _locked(self, room_id: str) -> AsyncIterator[Room]:
        lock = self._locks.setdefault(room_id, asyncio.Lock())
        async with lock:
            yield await self.room(room_id)

    async def participants(self, room_id: str) -> list[Participant]:
        return await self.store.participants(room_id)

    async def participant(self, room_id: str, participant_id: str) -> Participant:
        p = await self.store.get_participant(room_id, participant_id)
        if p is None or not p.active:
            raise RoomError(NOT_IN_ROOM, "You are not in this session.")
        return p

    async def present_count(self, room_id: str) -> int:
        return sum(1 for p in await self.store.participants(room_id) if p.present)

    # ------------------------------------------------------------------ joining and leaving
    async def join(self, room_id: str, joiner: Joiner, resume: str | None = None) -> Joined:
        async with self._locked(room_id) as room:
            if room.ended:
                raise RoomError(ROOM_ENDED, "This session has ended.")
            now = self.clock()
            if resume:
                resumed = await self._resume(room, resume, now)
                if resumed is not None:
                    return resumed
            if joiner.may_host:
                role, state = ParticipantRole.HOST, ParticipantState.ADMITTED
            elif not join_window_open(room.starts_at, self.join_early, now):
                raise self._not_yet_open(room)
            elif room.state is SessionState.LOCKED:
                raise RoomError(ROOM_LOCKED, "The host has locked this session.")
            elif joiner.skip_lobby:
                role, state = ParticipantRole.PARTICIPANT, ParticipantState.ADMITTED
            else:
                role, state = ParticipantRole.PARTICIPANT, ParticipantState.LOBBY
                await self._lobby_has_room(room.id)
            token = secrets.token_urlsafe(24)
            participant = Participant(
                id=new_participant_id(),
                room_id=room.id,
                name=joiner.name,
                role=role,
                state=state,
                site_code=joiner.site_code,
                user_id=joiner.user_id,
                resume_hash=hash_token(token),
                joined_at=now,
            )
            await self.store.put_participant(participant)
            return Joined(participant, token, resumed=False)

    def _not_yet_open(self, room: Room) -> RoomError:
        assert room.starts_at is not None
        opens = room.starts_at - self.join_early
        return RoomError(
            NOT_YET_OPEN,
            f"This session opens at {wib_clock(opens)} WIB"
            f" (it starts at {wib_clock(room.starts_at)} WIB).",
            {"opens_at": opens, "starts_at": room.starts_at},
        )

    async def _lobby_has_room(self, room_id: str) -> None:
        waiting = sum(
            1 for p in await self.store.participants(room_id) if p.state is ParticipantState.LOBBY
        )
        if waiting >= self.lobby_limit:
            raise RoomError(LOBBY_FULL, "The lobby of this session is full; try again later.")

    async def _resume(self, room: Room, token: str, now: float) -> Joined | None:
        p = await self.store.find_by_resume(room.id, hash_token(token))
        if p is None:
            return None
        if p.state is ParticipantState.REMOVED:
            raise RoomError(REMOVED, "The host removed you from this session.")
        if p.state is ParticipantState.DENIED:
            raise RoomError(DENIED, "The host did not admit you to this session.")
        # Admitted, or waiting in the lobby, and still seated: the old connection is gone without
        # a word (its node died: docs/scaling.md) or is being replaced. The seat is kept.
        replaced = p.state in (ParticipantState.ADMITTED, ParticipantState.LOBBY)
        if p.state is ParticipantState.DISCONNECTED:
            if p.disconnected_at is None or now - p.disconnected_at > self.grace:
                return None
            p.transition(ParticipantState.ADMITTED)
        elif not replaced:
            return None  # left: a fresh join
        fresh = secrets.token_urlsafe(24)
        p.resume_hash = hash_token(fresh)
        p.disconnected_at = None
        await self.store.put_participant(p)
        await self._unpresent(room.id, p.id)  # the page comes back without its share connection
        return Joined(p, fresh, resumed=True, replaced=replaced)

    async def leave(self, room_id: str, participant_id: str) -> Participant:
        async with self._locked(room_id):
            p = await self.participant(room_id, participant_id)
            p.transition(ParticipantState.LEFT)
            p.resume_hash = None
            await self.store.put_participant(p)
            await self._forget_speaker(room_id, p.id)
            await self._unpresent(room_id, p.id)
            return p

    async def disconnect(self, room_id: str, participant_id: str) -> Participant | None:
        """The socket dropped: an admitted participant keeps its seat for the grace period,
        one in the lobby leaves. Returns the participant when its state changed."""
        async with self._locked(room_id):
            p = await self.store.get_participant(room_id, participant_id)
            if p is None:
                return None
            if p.state is ParticipantState.ADMITTED:
                p.transition(ParticipantState.DISCONNECTED)
                p.disconnected_at = self.clock()
            elif p.state is ParticipantState.LOBBY:
                p.transition(ParticipantState.LEFT)
            else:
                return None
            await self.store.put_participant(p)
            await self._forget_speaker(room_id, p.id)
            await self._unpresent(room_id, p.id)  # the page's share went with its connection
            return p

    async def expire(self, room_id: str, participant_id: str) -> Participant | None:
        """End the grace period of a disconnected participant if it is over."""
        async with self._locked(room_id):
            p = await self.store.get_participant(room_id, participant_id)
            if p is None or p.state is not ParticipantState.DISCONNECTED:
                return None
            if p.disconnected_at is not None and self.clock() - p.disconnected_at < self.grace:
                return None
            p.transition(ParticipantState.LEFT)
            p.resume_hash = None
            await self.store.put_participant(p)
            return p

    # ------------------------------------------------------------------ host actions
    async def _host(self, room_id: str, actor_id: str) -> Participant:
        actor = await self._admitted(room_id, actor_id)
        if not actor.is_host:
            raise RoomError(FORBIDDEN, "Only the host may do this.")
        return actor

    async def admitted(self, room_id: str, participant_id: str) -> Participant:
        """The participant, if admitted (else ``not_in_room`` / ``not_admitted``)."""
        return await self._admitted(room_id, participant_id)

    async def _admitted(self, room_id: str, participant_id: str) -> Participant:
        p = await self.participant(room_id, participant_id)
        if p.state is not ParticipantState.ADMITTED:
            raise RoomError(NOT_ADMITTED, "Wait until the host admits you.")
        return p

    async def _target(self, room_id: str, target_id: str) -> Participant:
        p = await self.store.get_participant(room_id, target_id)
        if p is None or not p.active:
            raise RoomError(NOT_FOUND, "That participant is not in this session.")
        return p

    async def admit(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        return await self._decide(room_id, actor_id, target_id, ParticipantState.ADMITTED)

    async def admit_invited(self, room_id: str, actor_id: str) -> list[Participant]:
        """Admit everyone waiting from a site the session invited (``RoomRecord.invites``: the
        site, a village of an invited kecamatan, or the kecamatan of an invited village);
        others keep waiting. Host only; ``not_found`` when the session invited no site."""
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            record = await self.records.get(room_id)
            if record is None or not record.invited_sites:
                raise RoomError(NOT_FOUND, "This session has no invited sites.")
            admitted = []
            for p in await self.store.participants(room_id):
                invited = p.site_code is not None and record.invites(p.site_code)
                if p.state is ParticipantState.LOBBY and invited:
                    p.transition(ParticipantState.ADMITTED)
                    await self.store.put_participant(p)
                    admitted.append(p)
            return admitted

    async def deny(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        return await self._decide(room_id, actor_id, target_id, ParticipantState.DENIED)

    async def _decide(
        self, room_id: str, actor_id: str, target_id: str, outcome: ParticipantState
    ) -> Participant:
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            p = await self._target(room_id, target_id)
            if p.state is not ParticipantState.LOBBY:
                raise RoomError(NOT_FOUND, "That participant is not waiting in the lobby.")
            p.transition(outcome)  # a denied one's token keeps saying "denied"
            await self.store.put_participant(p)
            return p

    async def remove(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            if actor_id == target_id:
                raise RoomError(FORBIDDEN, "Use leave to leave the session yourself.")
            p = await self._target(room_id, target_id)
            if p.state is ParticipantState.LOBBY:
                p.transition(ParticipantState.DENIED)
            else:
                p.transition(ParticipantState.REMOVED)
            await self.store.put_participant(p)
            await self._forget_speaker(room_id, p.id)
            await self._unpresent(room_id, p.id)
            return p

    async def mute(self, room_id: str, actor_id: str, target_id: str, hard: bool) -> Participant:
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            p = await self._present_target(room_id, target_id)
            p.mic = False
            p.hard_muted = p.hard_muted or hard
            await self.store.put_participant(p)
            await self._forget_speaker(room_id, p.id)
            return p

    async def allow_unmute(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            p = await self._target(room_id, target_id)
            p.hard_muted = False
            await self.store.put_participant(p)
            return p

    async def lower_hand(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        """The host takes a participant's hand down without giving the floor."""
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            p = await self._present_target(room_id, target_id)
            p.hand_raised_at = None
            await self.store.put_participant(p)
            return p

    async def give_floor(self, room_id: str, actor_id: str, target_id: str) -> Participant:
        """The host lets a participant speak: the hand goes down, a hard mute is lifted and
        the microphone is on (the participant's page switches it on when told); their audio
        then always has a slot when they speak (``Room.floor``)."""
        async with self._locked(room_id) as room:
            await self._host(room_id, actor_id)
            p = await self._present_target(room_id, target_id)
            p.hand_raised_at = None
            p.hard_muted = False
            p.mic = True
            await self.store.put_participant(p)
            if room.floor != p.id:
                room.floor = p.id
                await self.store.put_room(room)
            return p

    async def _present_target(self, room_id: str, target_id: str) -> Participant:
        p = await self._target(room_id, target_id)
        if not p.present:
            raise RoomError(NOT_FOUND, "That participant is not in the session.")
        return p

    async def mute_all(self, room_id: str, actor_id: str, hard: bool) -> list[Participant]:
        """Mute every present participant except the hosts; returns those muted."""
        async with self._locked(room_id):
            await self._host(room_id, actor_id)
            muted = []
            for p in await self.store.participants(room_id):
                if not p.present or p.is_host:
                    continue
                p.mic = False
                p.hard_muted = p.hard_muted or hard
                await self.store.put_participant(p)
                await self._forget_speaker(room_id, p.id)
                muted.append(p)
            return muted

    async def lock(self, room_id: str, actor_id: str, locked: bool) -> Room:
        async with self._locked(room_id) as room:
            await self._host(room_id, actor_id)
            target = SessionState.LOCKED if locked else SessionState.OPEN
            if room.state is not target:
                room.transition(target)
                await self.store.put_room(room)
                await self.records.set_state(room.id, target, self.clock())
            return room

    async def set_recording(self, room_id: str, actor_id: str, on: bool) -> Room:
        """Start or stop recording (host only); the SFU follows (signaling.media_bridge)."""
        async with self._locked(room_id) as room:
            await self._host(room_id, actor_id)
            if room.recording != on:
                room.recording = on
                room.recording_by = actor_id if on else None
                await self.store.put_room(room)
            return room

    # ------------------------------------------------------------------ presenting
    async def start_presenting(self, room_id: str, participant_id: str) -> Participant | None:
        """The participant presents now (rooms.presenting); returns whoever presented before
        and was taken over by a host (None: nobody, or the participant itself)."""
        async with self._locked(room_id) as room:
            p = await self._admitted(room_id, participant_id)
            before = None
            if room.presenter is not None:
                before = await self.store.get_participant(room_id, room.presenter)
            may_start(p, before)
            room.presenter = p.id
            await self.store.put_room(room)
            return before if before is not None and before.id != p.id else None

    async def stop_presenting(self, room_id: str, actor_id: str) -> Participant | None:
        """Stop the share (its presenter, or a host); returns the presenter it stopped."""
        async with self._locked(room_id) as room:
            actor = await self._admitted(room_id, actor_id)
            if room.presenter is None:
                return None
            if room.presenter != actor.id and not actor.is_host:
                raise RoomError(FORBIDDEN, "Only the presenter or the host may stop the share.")
            stopped = await self.store.get_participant(room_id, room.presenter)
            room.presenter = None
            await self.store.put_room(room)
            return stopped

    async def allow_present(
        self, room_id: str, actor_id: str, target_id: str, allowed: bool
    ) -> tuple[Participant, bool]:
        """The host lets a participant present (or no longer); returns the participant and
        whether their share was stopped by it."""
        async with self._locked(room_id) as room:
            await self._host(room_id, actor_id)
            p = await self._present_target(room_id, target_id)
            if p.is_host:
                raise RoomError(INVALID_REQUEST, "A host may always present.")
            p.may_present = allowed
            await self.store.put_participant(p)
            stopped = not allowed and room.presenter == p.id
            if stopped:
                room.presenter = None
                await self.store.put_room(room)
            return p, stopped

    async def _unpresent(self, room_id: str, participant_id: str) -> None:
        room = await self.store.get_room(room_id)
        if room is not None and room.presenter == participant_id:
            room.presenter = None
            await self.store.put_room(room)

    async def end(self, room_id: str, actor_id: str | None) -> Ended:
        """End the session for everyone (``actor_id`` None: by the REST API, checked there)."""
        async with self._locked(room_id) as room:
            if actor_id is not None:
                await self._host(room_id, actor_id)
            if room.ended:
                raise RoomError(ROOM_ENDED, "This session has already ended.")
            room.transition(SessionState.ENDED)
            await self.records.set_state(room.id, SessionState.ENDED, self.clock())
            gone = []
            for p in await self.store.participants(room_id):
                if p.active:
                    p.state = ParticipantState.LEFT  # the session's end overrides every state
                    p.resume_hash = None
                    gone.append(p)
            await self.store.delete_room(room_id)
            return Ended(room, gone)

    # ------------------------------------------------------------------ own media, chat
    async def set_media(
        self, room_id: str, participant_id: str, mic: bool | None, camera: bool | None
    ) -> Participant:
        async with self._locked(room_id):
            p = await self._admitted(room_id, participant_id)
            if mic and p.hard_muted:
                raise RoomError(FORBIDDEN, "The host has muted you; ask the host to allow it.")
            if mic is not None:
                p.mic = mic
            if camera is not None:
                p.camera = camera
            await self.store.put_participant(p)
            if mic is False:
                await self._forget_speaker(room_id, p.id)
            return p

    async def raise_hand(self, room_id: str, participant_id: str, raised: bool) -> Participant:
        """Raise (or take down) one's own hand; raising again keeps one's place in the queue."""
        async with self._locked(room_id):
            p = await self._admitted(room_id, participant_id)
            if not raised:
                p.hand_raised_at = None
            elif p.hand_raised_at is None:
                p.hand_raised_at = self.clock()
            await self.store.put_participant(p)
            return p

    async def set_receive(
        self, room_id: str, participant_id: str, video: bool, *, auto: str | None = None
    ) -> Participant:
        """``auto``: the server decided (rooms.weak_links reason); None: the participant did."""
        async with self._locked(room_id):
            p = await self._admitted(room_id, participant_id)
            p.receive_video = video
            p.receive_auto = auto
            await self.store.put_participant(p)
            return p

    async def chat(self, room_id: str, participant_id: str, text: str) -> ChatMessage:
        async with self._locked(room_id):
            p = await self._admitted(room_id, participant_id)
            message = ChatMessage(sender=p.id, name=p.name, text=text, ts=self.clock())
            await self.store.append_chat(room_id, message)
            return message

    async def speaking(self, room_id: str, participant_id: str, speaking: bool) -> bool:
        """Record a speaking change; True when the room's state changed."""
        async with self._locked(room_id) as room:
            p = await self.store.get_participant(room_id, participant_id)
            if speaking and (p is None or p.state is not ParticipantState.ADMITTED):
                return False
            if speaking and participant_id not in room.speaking:
                room.speaking.append(participant_id)
                room.recent_speakers = push_speaker(room.recent_speakers, participant_id)
            elif not speaking and participant_id in room.speaking:
                room.speaking.remove(participant_id)
            else:
                return False
            await self.store.put_room(room)
            return True

    async def _forget_speaker(self, room_id: str, participant_id: str) -> None:
        room = await self.store.get_room(room_id)
        if room is not None and participant_id in room.speaking:
            room.speaking.remove(participant_id)
            await self.store.put_room(room)
