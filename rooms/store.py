"""The room store interface: where live room and participant state lives.

Every method is async and works on copies, so that an implementation backed by Redis (shared by
several processes) can follow this in-memory one without changing its callers. Callers
serialise the changes to one room themselves (a room lives on one node; see rooms/service.py).
"""

from __future__ import annotations

from typing import Protocol

from rooms.model import ChatMessage, Participant, Room

CHAT_HISTORY = 200
"""Chat messages kept per room (older ones are dropped)."""


class RoomStore(Protocol):
    async def put_room(self, room: Room) -> None:
        """Create or replace a room's live state."""

    async def get_room(self, room_id: str) -> Room | None: ...

    async def delete_room(self, room_id: str) -> None:
        """Forget a room with its participants and chat."""

    async def room_ids(self) -> list[str]: ...

    async def put_participant(self, participant: Participant) -> None:
        """Create or replace one participant (keyed by room id and participant id)."""

    async def get_participant(self, room_id: str, participant_id: str) -> Participant | None: ...

    async def participants(self, room_id: str) -> list[Participant]:
        """Every participant the room has had, in join order (final states included)."""

    async def find_by_resume(self, room_id: str, resume_hash: str) -> Participant | None: ...

    async def append_chat(self, room_id: str, message: ChatMessage) -> None:
        """Add a message, keeping the last CHAT_HISTORY."""

    async def chat(self, room_id: str) -> list[ChatMessage]: ...
