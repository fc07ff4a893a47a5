"""Choose where live rooms and room ownership live: in this process, or in Redis.

Embedded default (no ``redis_url``): ``MemoryRoomStore`` and ``LocalRegistry``. Scale-out
(``redis_url`` set): ``RedisRoomStore`` and ``RedisRegistry`` on one shared connection pool.
Both go through the same ``RoomService`` and signaling code.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from rooms.memory import MemoryRoomStore
from rooms.redis_registry import RedisRegistry, connection_name
from rooms.redis_store import DEFAULT_PREFIX, RedisRoomStore
from rooms.registry import LocalRegistry, NodeInfo, NodeRegistry
from rooms.store import RoomStore

REDIS_MAX_CONNECTIONS = 200
"""redis-py's async pool; the room store of one busy node needs far fewer."""


@dataclass
class Backends:
    store: RoomStore
    registry: NodeRegistry
    redis: Redis | None = None

    async def close(self) -> None:
        await self.registry.close()
        if self.redis is not None:
            await self.redis.aclose()


async def open_backends(
    redis_url: str | None, me: NodeInfo, *, prefix: str = DEFAULT_PREFIX
) -> Backends:
    """Connect (checking Redis answers), announce this node, and return the pair."""
    if not redis_url:
        backends = Backends(MemoryRoomStore(), LocalRegistry(me))
    else:
        # Named connections: other nodes see at once when this process dies (redis_registry).
        redis = Redis.from_url(
            redis_url,
            decode_responses=True,
            max_connections=REDIS_MAX_CONNECTIONS,
            client_name=connection_name(prefix, me.id),
        )
        try:
            await redis.ping()
        except Exception:
            await redis.aclose()
            raise
        backends = Backends(
            RedisRoomStore(redis, prefix=prefix), RedisRegistry(redis, me, prefix=prefix), redis
        )
    await backends.registry.start()
    return backends
