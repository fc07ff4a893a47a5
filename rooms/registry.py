"""The room-to-node registry: which Pendopo process (node) serves a room.

A room lives on one node — its media peer connections and its per-room lock are there. The
node that creates a room claims it; a join on another node is refused with ``wrong_node`` and
the owner's public URL. A node proves it is alive by heartbeats; when they stop (crash) or the
node shuts down, the next node that claims the room takes it over; a node that died is noticed
at once when its Redis connections close (rooms/redis_registry.py).

Two implementations of ``NodeRegistry``: ``LocalRegistry`` (the embedded default: one process,
it owns every room) and ``rooms.redis_registry.RedisRegistry`` (several processes sharing Redis).
The callers are the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rooms.errors import WRONG_NODE, RoomError


@dataclass(frozen=True)
class NodeInfo:
    id: str
    """``Settings.node_name``: unique per process."""
    url: str
    """Base URL browsers reach this node at, no trailing slash: the first of ``urls``."""
    urls: tuple[str, ...] = ()
    """Every base URL (``Settings.node_urls``: one per listening address, or ``public_url``);
    a host ``0.0.0.0``/``[::]`` stands for whatever name the browser used. Empty: ``(url,)``."""

    @property
    def every_url(self) -> tuple[str, ...]:
        return self.urls or (self.url,)


class NodeRegistry(Protocol):
    @property
    def me(self) -> NodeInfo: ...

    async def start(self) -> None:
        """Announce this node (and keep announcing it until ``close``)."""

    async def claim(self, room_id: str) -> NodeInfo:
        """The room's owner: the current one if it is alive, else this node (now the owner)."""

    async def owner(self, room_id: str) -> NodeInfo | None:
        """The room's live owner, or None when no live node has claimed it."""

    async def release(self, room_id: str) -> None:
        """Forget the room's owner if it is this node (the session ended)."""

    async def nodes(self) -> list[NodeInfo]:
        """Every live node."""

    @property
    def peers(self) -> tuple[NodeInfo, ...]:
        """Every other node seen since this one started, dead ones too (no I/O): the origins
        whose pages may move their sockets here."""

    async def close(self) -> None:
        """Stop announcing this node; its rooms can be claimed by others at once."""


class WrongNode(RoomError):
    """The room is served by another node: the client must connect to ``url`` (by default
    ``node.url``; the edge passes the one the client can reach: edge/placement.py)."""

    def __init__(self, node: NodeInfo, url: str | None = None) -> None:
        url = url or node.url
        super().__init__(
            WRONG_NODE,
            f"This session is served by another node: connect to {url}.",
            {"node": url},
        )
        self.node = node


async def claim_here(registry: NodeRegistry, room_id: str) -> None:
    """Make sure this node serves ``room_id`` (claiming it if nobody alive does)."""
    owner = await registry.claim(room_id)
    if owner.id != registry.me.id:
        raise WrongNode(owner)


class LocalRegistry:
    """One process: it owns every room. Same calls as the Redis registry, no state."""

    def __init__(self, me: NodeInfo) -> None:
        self._me = me

    @property
    def me(self) -> NodeInfo:
        return self._me

    async def start(self) -> None:
        return None

    async def claim(self, room_id: str) -> NodeInfo:
        return self._me

    async def owner(self, room_id: str) -> NodeInfo | None:
        return self._me

    async def release(self, room_id: str) -> None:
        return None

    async def nodes(self) -> list[NodeInfo]:
        return [self._me]

    @property
    def peers(self) -> tuple[NodeInfo, ...]:
        return ()

    async def close(self) -> None:
        return None
