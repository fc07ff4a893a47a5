"""Which socket is whom: this process's sockets, the signed-in user and the participant behind
each. Local to the process (socket.io sessions are); shared state lives in the room store."""

from __future__ import annotations

from dataclasses import dataclass

from accounts import User
from rooms import Participant, ParticipantState, RoomService


@dataclass(frozen=True)
class Seat:
    room_id: str
    participant_id: str


class Connections:
    def __init__(self) -> None:
        self._users: dict[str, User | None] = {}
        self._addresses: dict[str, str] = {}
        self._seats: dict[str, Seat] = {}
        self._sids: dict[str, str] = {}  # participant id -> sid

    def connected(self, sid: str, user: User | None, address: str | None = None) -> None:
        self._users[sid] = user
        if address is not None:
            self._addresses[sid] = address

    def disconnected(self, sid: str) -> Seat | None:
        """Forget the socket; returns the seat it held, if it still held one."""
        self._users.pop(sid, None)
        self._addresses.pop(sid, None)
        return self.unseat(sid)

    def user(self, sid: str) -> User | None:
        return self._users.get(sid)

    def address(self, sid: str) -> str:
        """The client's address (the TCP peer, or X-Forwarded-For from a trusted proxy)."""
        return self._addresses.get(sid, "unknown")

    def seat(self, sid: str) -> Seat | None:
        return self._seats.get(sid)

    def sit(self, sid: str, seat: Seat) -> str | None:
        """Bind the socket to a participant; returns a previous socket of that participant."""
        previous = self._sids.get(seat.participant_id)
        if previous is not None and previous != sid:
            self._seats.pop(previous, None)
        self._seats[sid] = seat
        self._sids[seat.participant_id] = sid
        return previous if previous != sid else None

    def unseat(self, sid: str) -> Seat | None:
        seat = self._seats.pop(sid, None)
        if seat is not None and self._sids.get(seat.participant_id) == sid:
            del self._sids[seat.participant_id]
        return seat

    def sid_of(self, participant_id: str) -> str | None:
        return self._sids.get(participant_id)

    def room_of(self, participant_id: str) -> str | None:
        sid = self._sids.get(participant_id)
        seat = self._seats.get(sid) if sid else None
        return seat.room_id if seat else None

    def sids(self) -> list[str]:
        return list(self._users)


async def seated(
    service: RoomService, connections: Connections, *states: ParticipantState
) -> list[Participant]:
    """The participants seated on this process's sockets, in one of ``states``."""
    found = []
    for sid in connections.sids():
        seat = connections.seat(sid)
        if seat is None:
            continue
        p = await service.store.get_participant(seat.room_id, seat.participant_id)
        if p is not None and p.state in states:
            found.append(p)
    return found
