"""engine.io's websocket writer waits for its next packet without a task of its own.

Each socket of python-engineio 4.x has a writer task that loops on ``AsyncSocket.poll``, which
waits with ``asyncio.wait_for(self.queue.get(), timeout)``. On Python 3.11 ``wait_for`` wraps
the ``get()`` in a new task every time it waits: a push to the 229 sockets of a town hall
created 229 tasks and woke each writer through two of them (the ``get`` task, then the writer),
~40–60 µs a socket, 9–13 ms from the first socket's write to the last (docs/performance.md,
"Signaling for hundreds"). :func:`install` replaces ``poll`` with the same code waiting under
``asyncio.timeout`` (3.11), which cancels the writer itself when the time is up: no task per
wait, one wake-up per packet. What it returns and raises is unchanged (a list of packets, ``[]``
once closed, ``QueueEmpty`` on timeout or cancellation); Python 3.12's ``wait_for`` is built the
same way.

Written for python-engineio 4.15 (``install`` checks that ``poll`` is still the upstream
function it copies, by the names its body uses, and leaves engine.io's own otherwise;
tests/signaling/test_eio_poll.py fails when it moves).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from engineio import async_socket, exceptions

log = logging.getLogger(__name__)

_UPSTREAM = async_socket.AsyncSocket.poll
_UPSTREAM_NAMES = (  # what python-engineio 4.15's poll refers to: a fingerprint of its body
    "asyncio", "wait_for", "queue", "get", "server", "ping_interval", "ping_timeout",
    "task_done", "TimeoutError", "CancelledError", "exceptions", "QueueEmpty", "get_nowait",
    "put_nowait", "append",
)  # fmt: skip


async def poll(self: Any) -> list[Any]:
    """``AsyncSocket.poll`` of python-engineio 4.15, waiting under ``asyncio.timeout``."""
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            packets = [await self.queue.get()]
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise exceptions.QueueEmpty() from None
    if packets == [None]:
        return []
    while True:
        try:
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        except asyncio.QueueEmpty:
            break
    return packets


def install() -> bool:
    """Replace engine.io's ``poll``; False (nothing changed, a warning logged) when the upstream
    function is not the one this was written for."""
    current = async_socket.AsyncSocket.poll
    if current is poll:
        return True
    if current is not _UPSTREAM or current.__code__.co_names != _UPSTREAM_NAMES:
        log.warning("python-engineio changed: its socket writer keeps a task per wait")
        return False
    async_socket.AsyncSocket.poll = poll
    return True


def uninstall() -> None:
    """engine.io's own ``poll`` again (benchmarks compare the two)."""
    async_socket.AsyncSocket.poll = _UPSTREAM
