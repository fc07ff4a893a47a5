"""signaling/eio_poll.py: engine.io's writer poll without a task per wait, same results."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from engineio import async_socket, exceptions

from signaling import eio_poll


def socket(timeout: float = 5.0) -> SimpleNamespace:
    """What ``poll`` reads of an engine.io socket: its queue and the server's ping times."""
    server = SimpleNamespace(ping_interval=timeout / 2, ping_timeout=timeout / 2)
    return SimpleNamespace(queue=asyncio.Queue(), server=server)


def test_the_upstream_poll_is_the_one_replaced() -> None:
    # What install() checks: engine.io's poll is still the one eio_poll.poll copies. When this
    # fails, python-engineio changed its writer: read it again before updating eio_poll.poll.
    assert eio_poll._UPSTREAM.__code__.co_names == eio_poll._UPSTREAM_NAMES
    try:
        assert eio_poll.install()
        assert async_socket.AsyncSocket.poll is eio_poll.poll
        assert eio_poll.install()  # twice: still installed
    finally:
        eio_poll.uninstall()
    assert async_socket.AsyncSocket.poll is eio_poll._UPSTREAM
    eio_poll.install()  # as the server leaves it


@pytest.mark.parametrize("which", ["upstream", "patched"])
async def test_packets_come_out_as_engine_io_gives_them(which: str) -> None:
    poll = eio_poll._UPSTREAM if which == "upstream" else eio_poll.poll
    s = socket()
    for packet in ("a", "b", "c"):
        s.queue.put_nowait(packet)
    assert await poll(s) == ["a", "b", "c"]  # all that waits, at once
    waiting = asyncio.ensure_future(poll(s))
    await asyncio.sleep(0.01)
    s.queue.put_nowait("d")
    assert await waiting == ["d"]
    s.queue.put_nowait("e")
    s.queue.put_nowait(None)  # closing: what came before it, then []
    assert await poll(s) == ["e"]
    assert await poll(s) == []
    assert s.queue.empty()  # the None that closed it is taken, as upstream takes it


@pytest.mark.parametrize("which", ["upstream", "patched"])
async def test_nothing_to_send_within_the_ping_times_ends_the_writer(which: str) -> None:
    poll = eio_poll._UPSTREAM if which == "upstream" else eio_poll.poll
    s = socket(timeout=0.05)
    with pytest.raises(exceptions.QueueEmpty):
        await poll(s)
    waiting = asyncio.ensure_future(poll(socket()))
    await asyncio.sleep(0.01)
    waiting.cancel()  # the writer cancelled: QueueEmpty too
    with pytest.raises(exceptions.QueueEmpty):
        await waiting


def test_another_poll_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    async def changed(self: object) -> list[object]:
        return []

    monkeypatch.setattr(async_socket.AsyncSocket, "poll", changed)
    assert not eio_poll.install()
    assert async_socket.AsyncSocket.poll is changed


async def test_a_waiting_writer_costs_no_task_of_its_own() -> None:
    """Upstream's wait_for wraps each wait in a task (Python 3.11); the patched poll waits in
    the writer's own task."""

    async def tasks_while_waiting(poll: object) -> int:
        s = socket()
        before = len(asyncio.all_tasks())
        waiting = asyncio.ensure_future(poll(s))  # type: ignore[operator]
        await asyncio.sleep(0.01)
        during = len(asyncio.all_tasks()) - before
        s.queue.put_nowait("x")
        assert await waiting == ["x"]
        return during

    assert await tasks_while_waiting(eio_poll._UPSTREAM) == 2  # the writer and its get()
    assert await tasks_while_waiting(eio_poll.poll) == 1  # the writer only
