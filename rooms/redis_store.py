"""RoomStore over Redis (redis.asyncio): live rooms shared by every Pendopo process.

Every value is JSON written by ``rooms.model.to_dict``; nothing is cached in the process, so any
node reads what the owner last wrote. Keys (``prefix`` defaults to ``pendopo:``; the ``{id}``
hash tag keeps one room's keys in one Redis Cluster slot):

    {prefix}rooms                    sorted set: room id, scored by created_at
    {prefix}room:{id}                string: the Room
    {prefix}room:{id}:p              hash: participant id -> Participant
    {prefix}room:{id}:order          list: participant ids in join order
    {prefix}room:{id}:resume         hash: resume hash -> participant id
    {prefix}room:{id}:chat           list: ChatMessage, the last ``chat_history`` only

Writes of one participant (record, join order, resume index) are one Lua script, so a reader on
another node never sees half a change.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

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

DEFAULT_PREFIX = "pendopo:"

# KEYS: room, participants, order, resume.  ARGV: participant id, JSON, new resume hash or "".
_PUT_PARTICIPANT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NO_ROOM')
end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local old_hash = cjson.decode(old)['resume_hash']
  if type(old_hash) == 'string' and old_hash ~= ARGV[3] then
    if redis.call('HGET', KEYS[4], old_hash) == ARGV[1] then
      redis.call('HDEL', KEYS[4], old_hash)
    end
  end
else
  redis.call('RPUSH', KEYS[3], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[1])
end
return 1
"""


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class RedisRoomStore:
    """Implements ``rooms.store.RoomStore``; the caller owns (and closes) ``redis``."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        chat_history: int = CHAT_HISTORY,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self._chat_history = chat_history
        self._put_participant = redis.register_script(_PUT_PARTICIPANT)

    # ------------------------------------------------------------------ keys
    def _rooms(self) -> str:
        return f"{self.prefix}rooms"

    def _room(self, room_id: str, part: str = "") -> str:
        return f"{self.prefix}room:{{{room_id}}}{part}"

    def _room_keys(self, room_id: str) -> list[str]:
        return [self._room(room_id, part) for part in ("", ":p", ":order", ":resume", ":chat")]

    # ------------------------------------------------------------------ rooms
    async def put_room(self, room: Room) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._room(room.id), _dumps(to_dict(room)))
            pipe.zadd(self._rooms(), {room.id: room.created_at}, nx=True)
            await pipe.execute()

    async def get_room(self, room_id: str) -> Room | None:
        raw = await self.redis.get(self._room(room_id))
        return room_from_dict(json.loads(raw)) if raw is not None else None

    async def delete_room(self, room_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*self._room_keys(room_id))
            pipe.zrem(self._rooms(), room_id)
            await pipe.execute()

    async def room_ids(self) -> list[str]:
        ids: list[Any] = await self.redis.zrange(self._rooms(), 0, -1)
        return [decoded(i) for i in ids]

    # ------------------------------------------------------------------ participants
    async def put_participant(self, participant: Participant) -> None:
        room_id = participant.room_id
        keys = [self._room(room_id, part) for part in ("", ":p", ":order", ":resume")]
        args = [participant.id, _dumps(to_dict(participant)), participant.resume_hash or ""]
        try:
            await self._put_participant(keys=keys, args=args)
        except ResponseError as exc:
            if "NO_ROOM" in str(exc):
                raise KeyError(room_id) from None
            raise

    async def get_participant(self, room_id: str, participant_id: str) -> Participant | None:
        raw = await self.redis.hget(self._room(room_id, ":p"), participant_id)
        return participant_from_dict(json.loads(raw)) if raw is not None else None

    async def participants(self, room_id: str) -> list[Participant]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(self._room(room_id, ":order"), 0, -1)
            pipe.hgetall(self._room(room_id, ":p"))
            order, records = await pipe.execute()
        by_id = {decoded(k): v for k, v in records.items()}
        return [
            participant_from_dict(json.loads(by_id[pid]))
            for pid in map(decoded, order)
            if pid in by_id
        ]

    async def find_by_resume(self, room_id: str, resume_hash: str) -> Participant | None:
        pid = await self.redis.hget(self._room(room_id, ":resume"), resume_hash)
        if pid is None:
            return None
        p = await self.get_participant(room_id, decoded(pid))
        return p if p is not None and p.resume_hash == resume_hash else None

    # ------------------------------------------------------------------ chat
    async def append_chat(self, room_id: str, message: ChatMessage) -> None:
        key = self._room(room_id, ":chat")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, _dumps(to_dict(message)))
            pipe.ltrim(key, -self._chat_history, -1)
            await pipe.execute()

    async def chat(self, room_id: str) -> list[ChatMessage]:
        raw = await self.redis.lrange(self._room(room_id, ":chat"), 0, -1)
        return [chat_from_dict(json.loads(m)) for m in raw]


def decoded(value: bytes | str) -> str:
    """A Redis reply as text (the client may or may not decode responses)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value
