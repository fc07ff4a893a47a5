"""Rooms and participants: plain, serialisable values and their two state machines.

Nothing here holds a reference to a socket, a task or a peer connection, so every value can be
written to a shared store (memory now, Redis later) and read back by another process.

Session:      open <-> locked, open/locked -> ended (final).
Participant:  lobby -> admitted | denied | left
              admitted -> disconnected | left | removed
              disconnected -> admitted (resume within the grace period) | left | removed
              denied, left, removed are final.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from rooms.errors import INTERNAL, RoomError


class SessionState(enum.StrEnum):
    OPEN = "open"
    LOCKED = "locked"
    ENDED = "ended"


class ParticipantState(enum.StrEnum):
    LOBBY = "lobby"
    ADMITTED = "admitted"
    DISCONNECTED = "disconnected"
    """Admitted, but the socket dropped; may resume with its token until the grace ends."""
    DENIED = "denied"
    LEFT = "left"
    REMOVED = "removed"


class ParticipantRole(enum.StrEnum):
    HOST = "host"
    PARTICIPANT = "participant"


SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.OPEN: frozenset({SessionState.LOCKED, SessionState.ENDED}),
    SessionState.LOCKED: frozenset({SessionState.OPEN, SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
}

PARTICIPANT_TRANSITIONS: dict[ParticipantState, frozenset[ParticipantState]] = {
    ParticipantState.LOBBY: frozenset(
        {ParticipantState.ADMITTED, ParticipantState.DENIED, ParticipantState.LEFT}
    ),
    ParticipantState.ADMITTED: frozenset(
        {ParticipantState.DISCONNECTED, ParticipantState.LEFT, ParticipantState.REMOVED}
    ),
    ParticipantState.DISCONNECTED: frozenset(
        {ParticipantState.ADMITTED, ParticipantState.LEFT, ParticipantState.REMOVED}
    ),
    ParticipantState.DENIED: frozenset(),
    ParticipantState.LEFT: frozenset(),
    ParticipantState.REMOVED: frozenset(),
}

PRESENT = frozenset({ParticipantState.ADMITTED, ParticipantState.DISCONNECTED})
"""States counted as "in the session" (a disconnected participant keeps its seat)."""
ACTIVE = frozenset({ParticipantState.LOBBY, *PRESENT})
"""States that are not final."""


class TransitionError(RoomError):
    """A transition the state machine does not allow (a bug or a race, never user input)."""

    def __init__(self, what: str, current: str, target: str) -> None:
        super().__init__(INTERNAL, f"{what} cannot go from {current} to {target}")


@dataclass
class Room:
    """A session's live state (the durable record is rooms.records.RoomRecord)."""

    id: str
    title: str
    state: SessionState
    created_by: int | None
    created_at: float
    recent_speakers: list[str] = field(default_factory=list)
    """Participant ids, most recent active speaker first (bounded)."""
    speaking: list[str] = field(default_factory=list)
    """Participant ids speaking right now."""
    recording: bool = False
    """The host is recording the session (everyone is shown that it is on)."""
    recording_by: str | None = None
    """The participant id of the host who started the recording."""
    starts_at: float | None = None
    """A scheduled session's start (rooms.schedule: its join window); None: unscheduled."""
    floor: str | None = None
    """The participant the host last gave the floor: like the host, heard whenever they speak
    (media/loudest.py priority)."""
    presenter: str | None = None
    """The participant id sharing a screen right now (rooms.presenting); None: nobody."""

    def transition(self, target: SessionState) -> None:
        if target not in SESSION_TRANSITIONS[self.state]:
            raise TransitionError("session", self.state, target)
        self.state = target

    @property
    def ended(self) -> bool:
        return self.state is SessionState.ENDED


@dataclass
class Participant:
    id: str
    room_id: str
    name: str
    role: ParticipantRole
    state: ParticipantState
    site_code: str | None = None
    user_id: int | None = None
    mic: bool = True
    camera: bool = True
    hard_muted: bool = False
    receive_video: bool = True
    """False: low-bandwidth mode, the participant receives audio only."""
    receive_auto: str | None = None
    """Why the server chose audio only on admission (rooms.weak_links reason, e.g.
    ``link_down``); None once the participant chose for themselves."""
    resume_hash: str | None = None
    """SHA-256 of the current resume token (the token itself is only given to the client)."""
    joined_at: float = 0.0
    disconnected_at: float | None = None
    hand_raised_at: float | None = None
    """When the participant raised their hand (None: not raised); the host's queue is in this
    order (rooms.hands)."""
    may_present: bool = False
    """The host allowed this participant to share a screen (hosts always may)."""

    def transition(self, target: ParticipantState) -> None:
        if target not in PARTICIPANT_TRANSITIONS[self.state]:
            raise TransitionError("participant", self.state, target)
        self.state = target

    @property
    def is_host(self) -> bool:
        return self.role is ParticipantRole.HOST

    @property
    def present(self) -> bool:
        return self.state in PRESENT

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def sends_audio(self) -> bool:
        """Whether the server forwards this participant's microphone."""
        return self.mic and not self.hard_muted


@dataclass(frozen=True)
class ChatMessage:
    sender: str
    name: str
    text: str
    ts: float


def to_dict(value: Room | Participant | ChatMessage) -> dict[str, Any]:
    """A JSON-ready copy (what a shared store writes)."""
    return dataclasses.asdict(value)


def room_from_dict(data: dict[str, Any]) -> Room:
    return Room(**{**data, "state": SessionState(data["state"])})


def participant_from_dict(data: dict[str, Any]) -> Participant:
    return Participant(
        **{**data, "state": ParticipantState(data["state"]), "role": ParticipantRole(data["role"])}
    )


def chat_from_dict(data: dict[str, Any]) -> ChatMessage:
    return ChatMessage(**data)
