"""A ready UDP socket is read empty in one loop turn, not one datagram a turn
(media/hooks.py ``set_read_batch``): a real socket on 127.0.0.1, and real aiortc peers."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from media import MediaSettings, hooks
from media.testing import LOOPBACK

from .conftest import FromHost, Harness, host_seen_by_lurah


class Turns:
    """Counts event-loop turns: a callback that schedules itself again each turn."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


class Recorder(asyncio.DatagramProtocol):
    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self.seen: list[tuple[bytes, int]] = []  # (datagram, loop turn it was read in)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.seen.append((data, self.turns.count))


async def read_turns(limit: int, datagrams: int) -> list[tuple[bytes, int]]:
    """Send ``datagrams`` to a socket before the loop reads any; in which turns were they read?"""
    loop = asyncio.get_running_loop()
    turns = Turns()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: Recorder(turns), local_addr=("127.0.0.1", 0)
    )
    try:
        if limit > 1:
            hooks.read_in_batches(transport, limit)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for i in range(datagrams):  # queued in the kernel: this code does not yield
                sender.sendto(i.to_bytes(2, "big"), transport.get_extra_info("sockname"))
        deadline = time.monotonic() + 5
        while len(protocol.seen) < datagrams:
            assert time.monotonic() < deadline, f"read {len(protocol.seen)} of {datagrams}"
            await asyncio.sleep(0.001)
        return protocol.seen
    finally:
        turns.stop()
        transport.close()


async def test_asyncio_reads_one_datagram_a_turn() -> None:
    seen = await read_turns(1, 10)
    assert [d for d, _ in seen] == [i.to_bytes(2, "big") for i in range(10)]
    assert len({turn for _, turn in seen}) == 10  # the control: ten turns for ten datagrams


@pytest.mark.parametrize(("limit", "turns"), [(32, 1), (4, 3)])
async def test_a_batch_reads_up_to_its_limit_a_turn(limit: int, turns: int) -> None:
    seen = await read_turns(limit, 10)
    assert [d for d, _ in seen] == [i.to_bytes(2, "big") for i in range(10)]  # all, in order
    assert len({turn for _, turn in seen}) == turns


async def test_a_batched_socket_still_closes_and_reports_errors() -> None:
    loop = asyncio.get_running_loop()
    errors: list[Exception] = []

    class Errors(asyncio.DatagramProtocol):
        def error_received(self, exc: Exception) -> None:
            errors.append(exc)

    # A datagram to a closed port: Linux reports ECONNREFUSED on the socket's next read.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        closed = gone.getsockname()
    transport, _ = await loop.create_datagram_endpoint(
        Errors, local_addr=("127.0.0.1", 0), remote_addr=closed
    )
    hooks.read_in_batches(transport, 8)
    transport.sendto(b"x")
    deadline = time.monotonic() + 5
    while not errors:
        assert time.monotonic() < deadline, "no error_received"
        await asyncio.sleep(0.01)
    assert isinstance(errors[0], ConnectionRefusedError)
    transport.close()
    await asyncio.sleep(0)
    assert transport.is_closing()


@pytest.mark.parametrize("batch", [32, 1])
async def test_media_flows_with_the_server_reading_in_batches_or_not(batch: int) -> None:
    harness = Harness(MediaSettings(host_addresses=LOOPBACK, udp_read_batch=batch))
    try:
        _, lurah = await host_seen_by_lurah(harness)

        server = harness.sfu._peer("host").pc
        connection = hooks.ice_connection(server.getTransceivers()[0])
        transports = [p.transport for p in connection._protocols]
        assert transports
        batched = [hooks.reads_in_batches(t) for t in transports]
        assert batched == [batch > 1] * len(transports)

        from_host = FromHost(lurah)
        await asyncio.sleep(2.0)
        frames, packets, elapsed = from_host.since()
        assert frames >= 0.6 * 20 * elapsed
        assert packets >= 0.6 * 50 * elapsed
    finally:
        await harness.close()
