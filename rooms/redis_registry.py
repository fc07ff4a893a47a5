"""Room-to-node registry in Redis (see rooms/registry.py for the contract).

Keys (``prefix`` defaults to ``pendopo:``):

    {prefix}node:{node id}     string: NodeInfo as JSON, expires ``ttl`` seconds after the last
                               heartbeat (one every ``BEAT`` seconds)
    {prefix}nodes              set of node ids that announced themselves (an index for ``nodes``;
                               an id whose node key is gone is dropped when read)
    {prefix}owner:{room id}    string: the owner's node id

A claim is one Lua script: keep the owner while its node key exists, else write this node. So
two nodes claiming the same ownerless room at once agree on one winner.

Noticing a dead node before its key expires: every Redis connection of a node carries the
client name of its node key (``CLIENT SETNAME``, set by ``rooms.backends``), and the node key
says so (``"conn"``). A process that dies (crash, ``kill -9``) has its TCP connections closed by
its kernel, so Redis drops them at once. A node refused a room by a live-looking owner looks at
``CLIENT LIST``: no connection under the owner's name means the owner is gone, and one Lua script
takes the room over — only if that node still owns it — and deletes the dead node's key. A whole
machine that vanishes (power, network) closes nothing: its rooms move when the key expires.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket

from redis.asyncio import Redis
from redis.exceptions import RedisError

from pendopo.tasks import cancel_and_wait
from rooms.redis_store import DEFAULT_PREFIX, decoded
from rooms.registry import NodeInfo

log = logging.getLogger(__name__)

NODE_TTL = 5.0
"""Seconds without a heartbeat after which a node counts as dead and its rooms may move."""
BEAT = 1.0
"""Seconds between heartbeats (at most ``ttl / 3``)."""

# KEYS: owner key.  ARGV: my node id, node key prefix.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. current) == 1 then
  return current
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""

# KEYS: owner key.  ARGV: my node id, the dead node's id, node key prefix.
_TAKE_OVER = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[2] and current ~= ARGV[1] then
  return current
end
redis.call('DEL', ARGV[3] .. ARGV[2])
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
        self._take_over = redis.register_script(_TAKE_OVER)
        self._heartbeat: asyncio.Task[None] | None = None
        self._peers: dict[str, NodeInfo] = {}

    @property
    def me(self) -> NodeInfo:
        return self._me

    def _node_key(self, node_id: str) -> str:
        return f"{self.prefix}node:{node_id}"

    def _owner_key(self, room_id: str) -> str:
        return f"{self.prefix}owner:{room_id}"

    @property
    def _index_key(self) -> str:
        return f"{self.prefix}nodes"

    @property
    def peers(self) -> tuple[NodeInfo, ...]:
        """Every other node seen at a heartbeat since this one started, dead ones too (their
        pages move here); no Redis call: for origin checks."""
        return tuple(self._peers.values())

    # ------------------------------------------------------------------ liveness
    async def start(self) -> None:
        raw = await self.redis.get(self._node_key(self._me.id))
        if raw is not None:
            earlier = _ended_here(decoded(raw))
            if earlier is None:
                log.warning("node id %r is already announced: two processes share it?", self._me.id)
            else:  # a worker started again after it died (pendopo/workers.py)
                log.info("node id %r: taking over from process %d (ended)", self._me.id, earlier)
        await self._announce()
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _announce(self) -> None:
        info: dict[str, object] = {"id": self._me.id, "url": self._me.url, "urls": self._me.urls}
        info |= {"machine": socket.gethostname(), "pid": os.getpid()}
        name = connection_name(self.prefix, self._me.id)
        if self.redis.connection_pool.connection_kwargs.get("client_name") == name:
            info["conn"] = name  # others may check our connections (module docstring)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._node_key(self._me.id), json.dumps(info), px=int(self.ttl * 1000))
            pipe.sadd(self._index_key, self._me.id)
            await pipe.execute()
        self._peers.update((n.id, n) for n in await self.nodes() if n.id != self._me.id)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(min(BEAT, self.ttl / 3))
            try:
                await self._announce()
            except (RedisError, OSError) as exc:
                log.warning("heartbeat of node %s failed: %s", self._me.id, exc)

    async def close(self) -> None:
        await cancel_and_wait(self._heartbeat)
        self._heartbeat = None
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.delete(self._node_key(self._me.id))
                pipe.srem(self._index_key, self._me.id)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("could not withdraw node %s: %s", self._me.id, exc)

    # ------------------------------------------------------------------ rooms
    async def claim(self, room_id: str) -> NodeInfo:
        owner = decoded(
            await self._claim(
                keys=[self._owner_key(room_id)], args=[self._me.id, self._node_key("")]
            )
        )
        if owner == self._me.id:
            return self._me
        node, raw = await self._node_and_raw(owner)
        if node is not None and raw is not None and not await self._connected(raw):
            log.warning("node %s has no Redis connection: taking over room %s", owner, room_id)
            owner = decoded(
                await self._take_over(
                    keys=[self._owner_key(room_id)],
                    args=[self._me.id, owner, self._node_key("")],
                )
            )
            if owner == self._me.id:
                return self._me
            node = await self._node(owner)
        # The owner expired between the script and this read: claim again (now ours or a third).
        return node if node is not None else await self.claim(room_id)

    async def _connected(self, raw: str) -> bool:
        """False only when the node names its Redis connections and none is open (it died)."""
        name = json.loads(raw).get("conn")
        if not isinstance(name, str) or not name:
            return True  # an older node, or Redis refused CLIENT SETNAME: wait for the key
        try:
            clients = await self.redis.client_list(_type="normal")
        except (RedisError, OSError) as exc:  # e.g. a managed Redis without CLIENT LIST
            log.debug("CLIENT LIST refused: %s", exc)
            return True
        return any(c.get("name") == name for c in clients)

    async def owner(self, room_id: str) -> NodeInfo | None:
        node_id = await self.redis.get(self._owner_key(room_id))
        return None if node_id is None else await self._node(decoded(node_id))

    async def release(self, room_id: str) -> None:
        await self._release(keys=[self._owner_key(room_id)], args=[self._me.id])

    async def nodes(self) -> list[NodeInfo]:
        ids = sorted(decoded(i) for i in await self.redis.smembers(self._index_key))
        if not ids:
            return []
        found, gone = [], []
        raws = await self.redis.mget([self._node_key(i) for i in ids])
        for node_id, raw in zip(ids, raws, strict=True):
            if raw is None:
                gone.append(node_id)
            else:
                found.append(self._me if node_id == self._me.id else _info(decoded(raw)))
        if gone:
            await self.redis.srem(self._index_key, *gone)
        return found

    async def _node(self, node_id: str) -> NodeInfo | None:
        return (await self._node_and_raw(node_id))[0]

    async def _node_and_raw(self, node_id: str) -> tuple[NodeInfo | None, str | None]:
        if node_id == self._me.id:
            return self._me, None
        raw = await self.redis.get(self._node_key(node_id))
        return (None, None) if raw is None else (_info(decoded(raw)), decoded(raw))


def _info(raw: str) -> NodeInfo:
    data = json.loads(raw)
    urls = tuple(str(u) for u in data.get("urls", ()))
    return NodeInfo(id=str(data["id"]), url=str(data["url"]), urls=urls)


def _ended_here(raw: str) -> int | None:
    """The process id in a node key when that process ran on this machine and has ended."""
    data = json.loads(raw)
    pid = data.get("pid")
    if data.get("machine") != socket.gethostname() or not isinstance(pid, int):
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid
    except PermissionError:  # alive, another user's
        return None
    return None


def connection_name(prefix: str, node_id: str) -> str:
    """The ``CLIENT SETNAME`` of a node's Redis connections (no spaces or newlines allowed)."""
    return "".join(
        c if c.isprintable() and not c.isspace() else "_" for c in f"{prefix}node:{node_id}"
    )
