"""Background tasks: the one way a service starts the tasks it owns and stops them.

A service with one long-running task keeps it and ends it with :func:`cancel_and_wait`; a service
that starts short tasks as things happen (a coalesced state message, a media event, a re-read)
keeps them in a :class:`TaskSet`, which holds each until it ends, logs its failure, and cancels
and awaits all of them on ``close``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (None: nothing to do) and wait until it has ended. Its cancellation is
    the expected end; any other exception it ended with is raised here."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


class TaskSet:
    """The short tasks one service started and has to end when it closes."""

    def __init__(self, what: str, logger: logging.Logger | None = None) -> None:
        self.what = what
        """What the tasks do, for the log line of one that failed."""
        self._log = logger or log
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` as a task of this set (a running event loop is required)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.error("%s failed", self.what, exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Cancel every task still running and wait until all have ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
