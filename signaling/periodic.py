"""A background task that calls one coroutine every few seconds until stopped (failures are
logged, not fatal): the call-quality sampler and the uplink limits use it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pendopo.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, every: float, step: Callable[[], Awaitable[Any]]) -> None:
        self.name = name
        self.every = every
        self.step = step
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)  # the step's own failures never end the task
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.step()
            except Exception:
                log.exception("%s failed", self.name)
