"""In-memory RoomStore: keeps serialised copies, exactly what a shared store would hold."""

from __future__ import annotations

from collections import deque
from typing import Any

from rooms.model import (
    ChatMessage,
    Participant,
    Room,
    chat_from_dict,
    participant_from_dict,
    room_from_dict,
    to_dict,
)
from rooms.store import CHAT_HISTORY


class MemoryRoomStore:
    def __init__(self, chat_history: int = CHAT_HISTORY) -> None:
        self._rooms: dict[str, dict[str, Any]] = {}
        self._participants: dict[str, dict[str, dict[str, Any]]] = {}
        self._chat: dict[str, deque[dict[str, Any]]] = {}
        self._chat_history = chat_history

    async def put_room(self, room: Room) -> None:
        self._rooms[room.id] = to_dict(room)
        self._participants.setdefault(room.id, {})

    async def get_room(self, room_id: str) -> Room | None:
        data = self._rooms.get(room_id)
        return room_from_dict(data) if data is not None else None

    async def delete_room(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
        self._participants.pop(room_id, None)
        self._chat.pop(room_id, None)

    async def room_ids(self) -> list[str]:
        return list(self._rooms)

    async def put_participant(self, participant: Participant) -> None:
        if participant.room_id not in self._rooms:
            raise KeyError(participant.room_id)
        self._participants[participant.room_id][participant.id] = to_dict(participant)

    async def get_participant(self, room_id: str, participant_id: str) -> Participant | None:
        data = self._participants.get(room_id, {}).get(participant_id)
        return participant_from_dict(data) if data is not None else None

    async def participants(self, room_id: str) -> list[Participant]:
        return [participant_from_dict(d) for d in self._participants.get(room_id, {}).values()]

    async def find_by_resume(self, room_id: str, resume_hash: str) -> Participant | None:
        for data in self._participants.get(room_id, {}).values():
            if data["resume_hash"] == resume_hash:
                return participant_from_dict(data)
        return None

    async def append_chat(self, room_id: str, message: ChatMessage) -> None:
        history = self._chat.setdefault(room_id, deque(maxlen=self._chat_history))
        history.append(to_dict(message))

    async def chat(self, room_id: str) -> list[ChatMessage]:
        return [chat_from_dict(d) for d in self._chat.get(room_id, ())]
