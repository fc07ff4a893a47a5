"""pendopo/tasks.py: what a service's short tasks do on failure and when it closes."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pendopo.tasks import TaskSet, cancel_and_wait


async def test_close_cancels_the_running_tasks_and_waits_for_them() -> None:
    tasks = TaskSet("waiting")
    ended: list[str] = []

    async def wait_forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("cancelled")

    tasks.spawn(wait_forever())
    tasks.spawn(wait_forever())
    await asyncio.sleep(0)
    assert len(tasks) == 2
    await tasks.close()
    assert ended == ["cancelled", "cancelled"]
    assert len(tasks) == 0


async def test_a_finished_task_is_let_go_and_a_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = TaskSet("sending room:state", logging.getLogger("test.tasks"))

    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ValueError("no such room")

    done = [tasks.spawn(fine()), tasks.spawn(broken())]
    with caplog.at_level(logging.ERROR, logger="test.tasks"):
        await asyncio.gather(*done, return_exceptions=True)
        await asyncio.sleep(0)  # the done callbacks run on the next loop iteration
    assert len(tasks) == 0
    assert [r.getMessage() for r in caplog.records] == ["sending room:state failed"]
    assert caplog.records[0].exc_info is not None


async def test_cancel_and_wait_raises_what_the_task_failed_with() -> None:
    async def broken() -> None:
        raise ValueError("boom")

    task = asyncio.get_running_loop().create_task(broken())
    await asyncio.sleep(0)
    with pytest.raises(ValueError):
        await cancel_and_wait(task)
    await cancel_and_wait(None)
