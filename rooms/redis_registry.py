"""Room-to-node registry in Redis (see rooms/registry.py for the contract).

Keys (``prefix`` defaults to ``pendopo:``):

    {prefix}node:{node id}     string: NodeInfo as JSON, expires ``ttl`` seconds after the last
                               heartbeat (one every ttl/3 seconds)
    {prefix}owner:{room id}    string: the owner's node id

A claim is one Lua script: keep the owner while its node key exists, else write this node. So
two nodes claiming the same ownerless room at once agree on one winner.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.redis_store import DEFAULT_PREFIX, text
from rooms.registry import NodeInfo

log = logging.getLogger(__name__)

NODE_TTL = 15.0
"""Seconds without a heartbeat after which a node counts as dead and its rooms may move."""

# KEYS: owner key.  ARGV: my node id, node key prefix.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. current) == 1 then
  return current
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""

# KEYS: owner key.  ARGV: my node id.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisRegistry:
    """Implements ``rooms.registry.NodeRegistry``; the caller owns (and closes) ``redis``."""

    def __init__(
        self,
        redis: Redis,
        me: NodeInfo,
        *,
        prefix: str = DEFAULT_PREFIX,
        ttl: float = NODE_TTL,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._me = me
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def me(self) -> NodeInfo:
        return self._me

    def _node_key(self, node_id: str) -> str:
        return f"{self.prefix}node:{node_id}"

    def _owner_key(self, room_id: str) -> str:
        return f"{self.prefix}owner:{room_id}"

    # ------------------------------------------------------------------ liveness
    async def start(self) -> None:
        if await self.redis.exists(self._node_key(self._me.id)):
            log.warning("node id %r is already announced: two processes share it?", self._me.id)
        await self._announce()
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _announce(self) -> None:
        data = json.dumps({"id": self._me.id, "url": self._me.url, "urls": self._me.urls})
        await self.redis.set(self._node_key(self._me.id), data, px=int(self.ttl * 1000))

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._announce()
            except (RedisError, OSError) as exc:
                log.warning("heartbeat of node %s failed: %s", self._me.id, exc)

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        try:
            await self.redis.delete(self._node_key(self._me.id))
        except (RedisError, OSError) as exc:
            log.warning("could not withdraw node %s: %s", self._me.id, exc)

    # ------------------------------------------------------------------ rooms
    async def claim(self, room_id: str) -> NodeInfo:
        owner = text(
            await self._claim(
                keys=[self._owner_key(room_id)], args=[self._me.id, self._node_key("")]
            )
        )
        if owner == self._me.id:
            return self._me
        node = await self._node(owner)
        # The owner expired between the script and this read: claim again (now ours or a third).
        return node if node is not None else await self.claim(room_id)

    async def owner(self, room_id: str) -> NodeInfo | None:
        node_id = await self.redis.get(self._owner_key(room_id))
        return None if node_id is None else await self._node(text(node_id))

    async def release(self, room_id: str) -> None:
        await self._release(keys=[self._owner_key(room_id)], args=[self._me.id])

    async def nodes(self) -> list[NodeInfo]:
        found = []
        async for key in self.redis.scan_iter(match=self._node_key("*"), count=100):
            node = await self._node(text(key)[len(self._node_key("")) :])
            if node is not None:
                found.append(node)
        return sorted(found, key=lambda n: n.id)

    async def _node(self, node_id: str) -> NodeInfo | None:
        if node_id == self._me.id:
            return self._me
        raw = await self.redis.get(self._node_key(node_id))
        if raw is None:
            return None
        data = json.loads(raw)
        urls = tuple(str(u) for u in data.get("urls", ()))
        return NodeInfo(id=str(data["id"]), url=str(data["url"]), urls=urls)
