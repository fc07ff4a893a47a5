"""Two node machines share one database machine (docs/scaling.md, "Several machines"), each a
network namespace of tests/scaling/machines.py on one segment in 10.80.0.0/16: PostgreSQL and
redis-server listen on the database machine's address only, and each node runs ``pendopo run``
on its own address with its own data folder (the first node's ``secret.key`` copied over),
``--database-url`` and ``--redis-url`` naming the database machine. The test talks HTTP and
socket.io from a fourth, client namespace: what the loopback test (test_shared_database.py)
checks, now across machines, and a join through B sent to A. Nothing of it has a route out of
the segment; and nothing is left (processes, namespaces) when a test fails half-way.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.server_key import KEY_FILE
from tests import postgres_server
from tests.netns import missing_capability, run, run_inside
from tests.scaling.machines import ADDRESSES, SUBNET, Machines, machines
from tests.scaling.nodes import Node, join_request, start_node
from tests.scaling.redis_server import redis_server
from tests.scaling.shared_data import shared_between

pytestmark = [pytest.mark.netns, pytest.mark.redis]


@pytest.fixture
def segment() -> Iterator[Machines]:
    if (reason := missing_capability()) is not None:
        pytest.skip(reason)
    with machines() as built:
        yield built


def start(segment: Machines, role: str, folder: Path, redis_url: str, database_url: str) -> Node:
    """``pendopo run`` on machine ``role``, on its own address, with its own data folder."""
    return start_node(
        f"node-{role}",
        folder,
        redis_url,
        folder.parent / "logs",
        database_url=database_url,
        netns=segment.ns(role),
        host=ADDRESSES[role],
    )


async def from_client(segment: Machines, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run coroutine function ``work`` in the client namespace (a thread of its own)."""
    await asyncio.to_thread(run_inside, segment.ns("c"), work)


async def test_two_machines_share_postgresql_and_redis(segment: Machines, tmp_path: Path) -> None:
    db = ADDRESSES["db"]
    (tmp_path / "logs").mkdir()
    postgres = postgres_server.start(db, segment.ns("db"), clients=SUBNET)
    nodes: list[Node] = []
    try:
        with redis_server(tmp_path / "redis", host=db, netns=segment.ns("db")) as redis_url:
            database_url = postgres.new_database()
            assert database_url.startswith(f"postgresql://pendopo@{db}:")
            assert redis_url.startswith(f"redis://{db}:")
            nodes.append(start(segment, "a", tmp_path / "a", redis_url, database_url))
            await from_client(segment, nodes[0].wait_ready)  # A migrates and seeds first
            (tmp_path / "b").mkdir()
            shutil.copy2(tmp_path / "a" / KEY_FILE, tmp_path / "b" / KEY_FILE)
            nodes.append(start(segment, "b", tmp_path / "b", redis_url, database_url))
            a, b = nodes
            assert a.url == f"http://{ADDRESSES['a']}:8080" != b.url

            async def across() -> None:
                await b.wait_ready()
                written = await shared_between(a.url, b.url)
                lurah, ack = await join_request(b.url, written["room"], "Pak Sutrisno")
                await lurah.disconnect()
                assert ack["ok"] is False and ack["error"] == "wrong_node", ack
                assert ack["node"] == a.url

            await from_client(segment, across)
            for node in nodes:
                assert node.proc.poll() is None, node.log.read_text()
            assert not (tmp_path / "a" / "pendopo.sqlite3").exists()
            assert not (tmp_path / "b" / "pendopo.sqlite3").exists()
    finally:
        for node in nodes:
            node.stop()
        postgres.stop()
    assert segment.leaks() == []


def test_nothing_is_left_when_a_test_fails_half_way() -> None:
    if (reason := missing_capability()) is not None:
        pytest.skip(reason)
    with pytest.raises(RuntimeError, match="half-way"), machines() as built:
        names = list(built.made)
        left = subprocess.Popen(["ip", "netns", "exec", built.ns("a"), "sleep", "300"])
        raise RuntimeError("half-way")
    assert left.wait(timeout=5) == -signal.SIGTERM  # ended by its pid
    listed = run("ip", "netns", "list")
    assert names and not any(name in listed for name in names)
