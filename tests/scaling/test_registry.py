"""The room-to-node registry: local (embedded default) and Redis (several nodes)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from rooms.errors import WRONG_NODE
from rooms.redis_registry import RedisRegistry, connection_name
from rooms.registry import LocalRegistry, NodeInfo, WrongNode, claim_here

A = NodeInfo("a", "http://127.0.0.1:8081")
B = NodeInfo("b", "http://127.0.0.1:8082")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:8]}:"


async def test_local_registry_owns_every_room() -> None:
    local = LocalRegistry(A)
    await local.start()
    assert await local.claim("r1") == A
    assert await local.owner("anything") == A
    await claim_here(local, "r1")
    assert await local.nodes() == [A]
    await local.close()


async def test_first_claim_wins_until_its_node_goes(redis: Redis, prefix: str) -> None:
    a = RedisRegistry(redis, A, prefix=prefix)
    b = RedisRegistry(redis, B, prefix=prefix)
    await a.start()
    await b.start()
    try:
        assert await b.owner("r1") is None
        assert await a.claim("r1") == A
        assert await b.claim("r1") == A
        assert await b.owner("r1") == A
        with pytest.raises(WrongNode) as refused:
            await claim_here(b, "r1")
        assert refused.value.code == WRONG_NODE
        assert refused.value.details == {"node": A.url}
        assert await a.nodes() == [A, B]
        await b.release("r1")  # not b's: nothing happens
        assert await b.owner("r1") == A
        await a.close()  # shutdown: its rooms can move at once
        assert await b.owner("r1") is None
        assert await b.nodes() == [B]
        assert await b.claim("r1") == B
        await b.release("r1")
        assert await b.owner("r1") is None
    finally:
        await a.close()
        await b.close()


async def test_a_crashed_node_expires(redis: Redis, prefix: str) -> None:
    """A node that stops heartbeating (crash) keeps its rooms only until its key expires."""
    b = RedisRegistry(redis, B, prefix=prefix)
    await b.start()
    try:
        # What a node announced just before dying: its key (short TTL) and one owned room.
        await redis.set(f"{prefix}node:a", json.dumps({"id": "a", "url": A.url}), px=600)
        await redis.set(f"{prefix}owner:r1", "a")
        assert await b.claim("r1") == A
        deadline = time.monotonic() + 20
        while await b.owner("r1") is not None:
            assert time.monotonic() < deadline, "the dead node's key never expired"
            await asyncio.sleep(0.1)
        assert await b.claim("r1") == B
    finally:
        await b.close()


async def test_a_killed_node_is_noticed_by_its_closed_connections(
    redis_url: str, prefix: str
) -> None:
    """A process that dies closes its Redis connections: its rooms move at once, its key goes."""
    conns = {
        n.id: Redis.from_url(
            redis_url, decode_responses=True, client_name=connection_name(prefix, n.id)
        )
        for n in (A, B)
    }
    a = RedisRegistry(conns["a"], A, prefix=prefix)
    b = RedisRegistry(conns["b"], B, prefix=prefix)
    await a.start()
    await b.start()
    try:
        assert await a.claim("r1") == A
        assert await b.claim("r1") == A  # alive and connected: it keeps the room
        assert [n.id for n in b.peers] in ([], ["a"])  # refreshed on b's next heartbeat
        assert await b.nodes() == [A, B]
        # kill -9: no goodbye (the heartbeat just stops), the kernel closes the sockets.
        assert a._heartbeat is not None
        a._heartbeat.cancel()
        await conns["a"].aclose()
        assert await b.claim("r1") == B
        assert await b.nodes() == [B]
        assert await b.claim("r1") == B
        await asyncio.sleep(1.5)  # a heartbeat of b's: a, dead, stays known (its pages move)
        assert [n.id for n in b.peers] == ["a"]
    finally:
        await b.close()
        for conn in conns.values():
            await conn.aclose()


async def test_heartbeats_keep_a_node_alive(redis: Redis, prefix: str) -> None:
    a = RedisRegistry(redis, A, prefix=prefix, ttl=0.6)
    b = RedisRegistry(redis, B, prefix=prefix, ttl=0.6)
    await a.start()
    await b.start()
    try:
        assert await a.claim("r1") == A
        await asyncio.sleep(2.0)  # several TTLs: only the heartbeats keep A's key
        assert await b.claim("r1") == A
    finally:
        await a.close()
        await b.close()


async def test_concurrent_claims_agree_on_one_owner(redis: Redis, prefix: str) -> None:
    nodes = [NodeInfo(f"n{i}", f"http://127.0.0.1:{9000 + i}") for i in range(5)]
    registries = [RedisRegistry(redis, n, prefix=prefix) for n in nodes]
    for registry in registries:
        await registry.start()
    try:
        owners = await asyncio.gather(*(r.claim("r1") for r in registries))
        assert len(set(owners)) == 1
    finally:
        for registry in registries:
            await registry.close()


async def test_a_process_started_again_under_its_id_takes_over_quietly(
    redis: Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker started again after it died (pendopo/workers.py) finds its predecessor's key:
    that process ran here and has ended, so it is no sign of two processes sharing an id. A
    key of a process still alive (or of another machine) still is."""
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await ended.wait()
    for pid, machine, warned in (
        (ended.pid, socket.gethostname(), False),
        (os.getppid(), socket.gethostname(), True),  # alive
        (ended.pid, "another-machine", True),
    ):
        key = f"{prefix}node:a"
        raw = {"id": "a", "url": A.url, "urls": [A.url], "machine": machine, "pid": pid}
        await redis.set(key, json.dumps(raw), px=5000)
        caplog.clear()
        again = RedisRegistry(redis, A, prefix=prefix)
        with caplog.at_level("INFO", logger="rooms.redis_registry"):
            await again.start()
        await again.close()
        messages = [(r.levelname, r.getMessage()) for r in caplog.records]
        if warned:
            assert ("WARNING", "node id 'a' is already announced: two processes share it?") in (
                messages
            ), messages
        else:
            assert messages == [("INFO", f"node id 'a': taking over from process {pid} (ended)")]
