"""Probes against real loopback targets: 127.0.0.x echo, TCP listeners, a closed port, HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from network_inventory.model import ProbeKind, ProbeTarget
from network_inventory.probing import Prober, SweepPlan
from network_inventory.probing.icmp_wire import parse_reply
from tests.conftest import free_port

ROOT = os.geteuid() == 0


def target(kind: ProbeKind, host: str = "127.0.0.1", **kw: object) -> ProbeTarget:
    values: dict[str, object] = {"id": 1, "site_id": 1, "count": 3, "timeout_s": 1.0}
    values.update(kw)
    return ProbeTarget(kind=kind, host=host, **values)  # type: ignore[arg-type]


@pytest.fixture
async def prober() -> AsyncIterator[Prober]:
    p = Prober()
    try:
        yield p
    finally:
        await p.close()


async def test_icmp_echo_several_requests_per_round(prober: Prober) -> None:
    result = await prober.probe(target(ProbeKind.ICMP, "127.0.0.2", count=4), gap=0.05)
    assert result.method == ("icmp-raw" if ROOT else prober.icmp_method)
    assert (result.sent, result.received, result.loss) == (4, 4, 0.0)
    assert result.rtt_min is not None and result.rtt_max is not None
    assert result.rtt_min <= (result.rtt_median or 0) <= result.rtt_max


async def test_a_sweep_of_many_addresses_shares_one_socket(prober: Prober) -> None:
    targets = [
        target(ProbeKind.ICMP, f"127.0.{i // 200}.{i % 200 + 1}", id=i, site_id=i)
        for i in range(400)
    ]
    results = await prober.sweep(targets, SweepPlan(gap=0.01))
    assert [r.target_id for r in results] == list(range(400))
    assert sum(r.received for r in results) == 3 * 400
    sent, received = prober.packets
    assert (sent, received) == (1200, 1200)


async def test_sweep_starts_targets_in_order_spread_over_the_window(prober: Prober) -> None:
    targets = [target(ProbeKind.ICMP, f"127.0.0.{i + 1}", id=i, count=1) for i in range(5)]
    results = await prober.sweep(targets, SweepPlan(spread=1.0, gap=0.01))
    starts = [r.at for r in results]
    assert starts == sorted(starts)
    assert starts[-1] - starts[0] >= 0.7  # 4 steps of 0.2 s: not all at the same instant


async def test_tcp_open_and_closed_ports(prober: Prober) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        ok = await prober.probe(target(ProbeKind.TCP, port=port), gap=0.01)
        closed = await prober.probe(target(ProbeKind.TCP, port=free_port()), gap=0.01)
    finally:
        server.close()
        await server.wait_closed()
    assert (ok.method, ok.received, ok.error) == ("tcp", 3, None)
    assert closed.received == 0
    assert closed.error is not None and "refused" in closed.error


async def test_tcp_to_a_silent_port_times_out(prober: Prober) -> None:
    # A listening socket whose backlog is full never completes the handshake.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(0)
        port = s.getsockname()[1]
        fillers = []
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        result = await prober.probe(target(ProbeKind.TCP, port=port, count=1, timeout_s=0.5))
        for c in fillers:
            c.close()
    assert result.received == 0
    assert result.error is not None and "timed out" in result.error


async def _http_server(status: int) -> tuple[web.AppRunner, str]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text="x" * 100_000)

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/"


async def test_http_expects_its_status(prober: Prober) -> None:
    runner500, url500 = await _http_server(500)
    runner200, url200 = await _http_server(200)
    try:
        bad = await prober.probe(target(ProbeKind.HTTP, url=url500))
        good = await prober.probe(target(ProbeKind.HTTP, url=url200))
        expected = await prober.probe(target(ProbeKind.HTTP, url=url500, expect_status=500))
    finally:
        await runner500.cleanup()
        await runner200.cleanup()
    assert (bad.received, bad.error, bad.detail["status"]) == (
        0,
        "status 500 (expected 200)",
        500,
    )
    assert (good.method, good.received, good.error) == ("http", 1, None)
    assert expected.received == 1


async def test_http_to_a_closed_port_fails_clearly(prober: Prober) -> None:
    result = await prober.probe(target(ProbeKind.HTTP, url=f"http://127.0.0.1:{free_port()}/"))
    assert result.received == 0
    assert result.error is not None and "ClientConnectorError" in result.error


async def test_tcp_fallback_says_so_and_counts_a_refusal_as_an_answer() -> None:
    prober = Prober(icmp_mode="tcp")
    try:
        result = await prober.probe(
            target(ProbeKind.ICMP, "127.0.0.3", port=free_port(), count=2), gap=0.01
        )
    finally:
        await prober.close()
    assert prober.icmp_method == "tcp-fallback"
    assert (result.method, result.received) == ("tcp-fallback", 2)


def test_parse_reply_raw_and_datagram() -> None:
    icmp = bytes([0, 0, 0, 0, 0x12, 0x34, 0x00, 0x07]) + b"payload"
    ip = bytes([0x45]) + bytes(19)
    assert parse_reply(ip + icmp, has_ip_header=True) == (0, 0x1234, 7)
    assert parse_reply(icmp, has_ip_header=False) == (0, 0x1234, 7)
    echo_request = bytes([8, 0, 0, 0, 0x12, 0x34, 0x00, 0x09])
    unreachable = bytes([3, 1, 0, 0, 0, 0, 0, 0]) + ip + echo_request
    assert parse_reply(ip + unreachable, has_ip_header=True) == (3, 0x1234, 9)
    assert parse_reply(b"\x45", has_ip_header=True) is None
