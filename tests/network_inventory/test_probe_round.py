"""The ICMP round (one sender loop, one reader, one deadline sweep) against real addresses:
127.0.0.0/8 on the host, and a namespace of our own for silence and refused sends."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from network_inventory.model import ProbeKind, ProbeTarget
from network_inventory.probing import Prober, SweepPlan
from tests.conftest import free_port


def icmp(host: str, i: int = 0, **kw: object) -> ProbeTarget:
    values: dict[str, object] = {"count": 2, "timeout_s": 1.0}
    values.update(kw)
    return ProbeTarget(id=i, site_id=i, kind=ProbeKind.ICMP, host=host, **values)  # type: ignore[arg-type]


@pytest.fixture
async def prober() -> AsyncIterator[Prober]:
    p = Prober()
    if p.icmp_method == "tcp-fallback":
        await p.close()
        pytest.skip(f"no ICMP socket here: {p.icmp_error}")
    try:
        yield p
    finally:
        await p.close()


async def test_a_sweep_of_1000_targets_has_no_task_per_target(prober: Prober) -> None:
    targets = [icmp(f"127.0.{i // 250}.{i % 250 + 1}", i) for i in range(1000)]
    peak = 0
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, len(asyncio.all_tasks()))
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    try:
        results = await prober.sweep(targets, SweepPlan(gap=0.02))
    finally:
        done.set()
        await watcher
    assert [r.received for r in results] == [2] * 1000
    assert peak < 10  # the test, its watcher, the sweep: not one task per target


async def test_concurrency_bounds_the_targets_in_flight(prober: Prober) -> None:
    # One at a time: a target starts only after the previous one's second reply, which
    # cannot come earlier than one gap after its first request.
    targets = [icmp(f"127.0.0.{i + 1}", i) for i in range(4)]
    results = await prober.sweep(targets, SweepPlan(gap=0.1, concurrency=1))
    starts = [r.at for r in results]
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(starts)), starts
    assert [r.received for r in results] == [2] * 4


async def test_rate_paces_the_requests(prober: Prober) -> None:
    targets = [icmp(f"127.0.0.{i + 1}", i, count=1) for i in range(5)]
    results = await prober.sweep(targets, SweepPlan(gap=0.01, rate=50))
    starts = [r.at for r in results]
    assert starts == sorted(starts)
    assert starts[-1] - starts[0] >= 0.07  # 4 intervals of 1/50 s
    with pytest.raises(ValueError):
        SweepPlan(rate=0)


async def test_names_are_resolved_and_ipv6_is_refused_clearly(prober: Prober) -> None:
    results = await prober.sweep([icmp("localhost", 1), icmp("::1", 2)], SweepPlan(gap=0.01))
    assert (results[0].received, results[0].error) == (2, None)
    assert (results[1].received, results[1].sent) == (0, 2)
    assert results[1].error == "ICMP echo to IPv6 addresses is not supported"


async def test_icmp_and_tcp_targets_in_one_sweep_keep_their_order(prober: Prober) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tcp = ProbeTarget(id=2, site_id=2, kind=ProbeKind.TCP, host="127.0.0.1", port=port, count=2)
    closed = ProbeTarget(id=4, site_id=4, kind=ProbeKind.TCP, host="127.0.0.1", port=free_port())
    try:
        results = await prober.sweep(
            [icmp("127.0.0.5", 1), tcp, icmp("127.0.0.6", 3), closed],
            SweepPlan(spread=0.4, gap=0.01),
        )
    finally:
        server.close()
        await server.wait_closed()
    assert [r.target_id for r in results] == [1, 2, 3, 4]
    assert [r.method for r in results] == [prober.icmp_method, "tcp", prober.icmp_method, "tcp"]
    assert [r.received for r in results] == [2, 2, 2, 0]
    starts = [r.at for r in results]
    assert starts == sorted(starts)


async def test_closing_the_prober_ends_a_round_in_progress() -> None:
    prober = Prober()
    if prober.icmp_method == "tcp-fallback":
        await prober.close()
        pytest.skip("no ICMP socket here")
    targets = [icmp(f"127.0.0.{i + 1}", i) for i in range(3)]
    sweep = asyncio.create_task(prober.sweep(targets, SweepPlan(spread=6.0, gap=0.01)))
    await asyncio.sleep(0.5)  # the first target is done, the others wait for their start
    await prober.close()
    results = await asyncio.wait_for(sweep, 20)
    assert results[0].received == 2
    assert [(r.received, r.error) for r in results[1:]] == [(0, "socket closed")] * 2


NS = f"pdround{os.getpid() % 100000}"


@pytest.mark.netns
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
@pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 (ip) is not installed")
@pytest.mark.skipif(shutil.which("iptables") is None, reason="iptables is not installed")
def test_silence_times_out_and_a_refused_send_says_so() -> None:
    """In a namespace of our own (loopback only): 127.0.0.2 answers, 127.0.0.3 is dropped by
    iptables (silent until its deadline), an unreachable route refuses the send."""

    def sh(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=30)

    try:
        sh("ip", "netns", "add", NS)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create a network namespace: {exc.stderr.decode().strip()}")
    try:
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "netns", "exec", NS, "iptables", "-A", "INPUT", "-d", "127.0.0.3", "-j", "DROP")
        sh("ip", "-n", NS, "route", "add", "unreachable", "10.97.0.0/24")
        code = (
            "import asyncio, json\n"
            "from network_inventory.model import ProbeKind, ProbeTarget\n"
            "from network_inventory.probing import Prober, SweepPlan\n"
            "async def main():\n"
            "    p = Prober()\n"
            "    ts = [ProbeTarget(i, i, ProbeKind.ICMP, h, count=3, timeout_s=0.5)\n"
            "          for i, h in enumerate(['127.0.0.2', '127.0.0.3', '10.97.0.1'])]\n"
            "    rs = await p.sweep(ts, SweepPlan(gap=0.05))\n"
            "    await p.close()\n"
            "    print(json.dumps([[r.method, r.sent, r.received, r.error] for r in rs]))\n"
            "asyncio.run(main())\n"
        )
        out = subprocess.run(
            ["ip", "netns", "exec", NS, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
    assert out.returncode == 0, out.stderr
    answered, silent, refused = json.loads(out.stdout)
    assert answered == ["icmp-raw", 3, 3, None]
    assert silent == ["icmp-raw", 3, 0, "no echo reply"]
    assert refused[:3] == ["icmp-raw", 3, 0]
    assert refused[3].startswith("send failed"), refused
