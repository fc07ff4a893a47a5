"""Received SRTP handled in the socket's read callback (media/hooks.py ``handle_srtp_now``), not
queued for aiortc's DTLS task: the hook point, the coroutine runner, and real aiortc peers on
127.0.0.1 with the setting on and off."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import pytest
from aiortc.rtcdtlstransport import RTCDtlsTransport

from media import MediaSettings, hooks
from media.testing import LOOPBACK

from .conftest import FromHost, Harness, host_seen_by_lurah


def test_srtp_branch_hook_point() -> None:
    """handle_srtp_now repeats the SRTP branch of aiortc's ``_recv_next``: fails when it moves."""
    source = inspect.getsource(RTCDtlsTransport._recv_next)
    for line in (
        "self.__rx_bytes += len(data)",
        "self.__rx_packets += 1",
        "elif first_byte > 127 and first_byte < 192 and self._rx_srtp:",
        "arrival_time_ms = clock.current_ms()",
        "if is_rtcp(data):",
        "data = self._rx_srtp.unprotect_rtcp(data)",
        "await self._handle_rtcp_data(data)",
        "data = self._rx_srtp.unprotect(data)",
        "await self._handle_rtp_data(data, arrival_time_ms=arrival_time_ms)",
        "except pylibsrtp.Error as exc:",
    ):
        assert line in source, line
    assert list(inspect.signature(RTCDtlsTransport._handle_rtp_data).parameters) == [
        "self",
        "data",
        "arrival_time_ms",
    ]
    assert list(inspect.signature(RTCDtlsTransport._handle_rtcp_data).parameters) == [
        "self",
        "data",
    ]


async def test_a_coroutine_that_never_waits_ends_at_once() -> None:
    done: list[int] = []

    async def inner() -> None:
        done.append(1)

    async def outer() -> None:
        await inner()
        done.append(2)

    hooks.run_now(outer())
    assert done == [1, 2]  # no event-loop turn in between


async def test_a_coroutine_that_waits_is_finished_by_a_task() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    done: list[str] = []

    async def step() -> None:
        done.append("start")
        done.append(await future)
        await asyncio.sleep(0)
        done.append("end")

    hooks.run_now(step())
    assert done == ["start"]
    future.set_result("value")
    for _ in range(5):
        await asyncio.sleep(0)
    assert done == ["start", "value", "end"]


async def test_a_failing_coroutine_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def step() -> None:
        raise ValueError("broken packet")

    with caplog.at_level(logging.WARNING, logger="media.hooks"):
        hooks.run_now(step())
    assert "broken packet" in caplog.text


def srtp_queued(connection: Any) -> list[int]:
    """Counts SRTP/SRTCP datagrams put into the connection's queue for the DTLS task."""
    queued = [0]
    queue = connection._queue
    put = queue.put_nowait

    def put_nowait(item: Any) -> None:
        if item is not None and item[0] and 127 < item[0][0] < 192:
            queued[0] += 1
        put(item)

    queue.put_nowait = put_nowait
    return queued


@pytest.mark.parametrize("direct", [True, False])
async def test_media_flows_with_srtp_handled_at_once_or_queued(direct: bool) -> None:
    harness = Harness(MediaSettings(host_addresses=LOOPBACK, direct_srtp=direct))
    try:
        _, lurah = await host_seen_by_lurah(harness)

        server = harness.sfu._peer("host").pc
        transceiver = server.getTransceivers()[0]
        connection = hooks.ice_connection(transceiver)
        queued = srtp_queued(connection)
        stats0 = (await server.getStats()).values()
        received0 = sum(getattr(s, "packetsReceived", 0) for s in stats0 if s.type == "transport")
        from_host = FromHost(lurah)
        await asyncio.sleep(2.0)
        frames, packets, elapsed = from_host.since()
        stats1 = (await server.getStats()).values()
        received1 = sum(getattr(s, "packetsReceived", 0) for s in stats1 if s.type == "transport")

        # The host's media reaches the lurah either way ...
        assert frames >= 0.6 * 20 * elapsed
        assert packets >= 0.6 * 50 * elapsed
        # ... and the server's transport counts what it received (getStats) either way.
        assert received1 - received0 >= 0.6 * 70 * elapsed
        if direct:
            assert queued[0] == 0  # nothing went through the DTLS task's queue
        else:
            assert queued[0] >= 0.6 * 70 * elapsed
    finally:
        await harness.close()
