"""Fixtures of the scale-out tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scaling.nodes import Node, start_node
from tests.scaling.redis_server import redis_url

__all__ = ["Cluster", "cluster", "redis_url"]


@dataclass
class Cluster:
    a: Node
    b: Node
    redis_url: str


@pytest.fixture
async def cluster(redis_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    data = tmp_path / "data"
    logs = tmp_path / "logs"
    logs.mkdir()
    nodes: list[Node] = []
    try:
        nodes.append(start_node("node-a", data, redis_url, logs))
        await nodes[0].wait_ready()  # one at a time: the first start migrates and seeds
        nodes.append(start_node("node-b", data, redis_url, logs))
        await nodes[1].wait_ready()
        yield Cluster(nodes[0], nodes[1], redis_url)
    finally:
        for node in nodes:
            node.stop()
