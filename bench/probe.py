"""Probe sweep benchmark: Pendopo's sweeper against fping on the same loopback targets.

    .venv/bin/python bench/probe.py                  # 229 and 5,000 targets, 3 echoes each
    .venv/bin/python bench/probe.py --count 5 --gap 200 --sizes 229
    .venv/bin/python bench/probe.py --library --sizes 229,1000   # + icmplib's async_multiping
    .venv/bin/python bench/probe.py --sizes 229 --count 5 --gap 200 --spread 15   # live pacing

Targets are addresses in 127.0.0.0/8 (Linux answers ICMP on all of them; nothing leaves the
machine). For each size it runs, in the same process run and with the same packet count, gap
and timeout: our ``Prober.sweep`` (one shared ICMP socket), ``fping -C``, and optionally icmplib's
``async_multiping`` (one socket per host). It reports wall time, CPU seconds, replies, the
ratio to fping, our resident memory, and the CPU share of a core that a sweep of that size every
``--interval`` seconds would cost, and the 1-minute load average before and after each size
(the machine is shared). With ``--spread`` our sweep starts its targets over that many seconds,
as the live service does (fping has no such mode: its figures are then for an unspread sweep).
Not a test: figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network_inventory.model import ProbeKind, ProbeTarget
from network_inventory.probing import Prober, SweepPlan


def addresses(n: int) -> list[str]:
    return [f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}" for i in range(n)]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}"


async def ours(
    hosts: list[str],
    count: int,
    gap_ms: float,
    timeout_ms: float,
    spread: float = 0.0,
    rate: float | None = None,
) -> dict[str, float]:
    targets = [
        ProbeTarget(
            id=i, site_id=i, kind=ProbeKind.ICMP, host=h, count=count, timeout_s=timeout_ms / 1000
        )
        for i, h in enumerate(hosts)
    ]
    prober = Prober()
    try:
        plan = SweepPlan(spread=spread, gap=gap_ms / 1000, concurrency=len(targets), rate=rate)
        await prober.sweep(targets[:10], plan)  # warm up (imports, socket)
        cpu0, t0 = time.process_time(), time.perf_counter()
        results = await prober.sweep(targets, plan)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        method = prober.icmp_method
    finally:
        await prober.close()
    return {
        "wall": wall,
        "cpu": cpu,
        "replies": sum(r.received for r in results),
        "method": method,  # type: ignore[dict-item]
        "rss": rss_mb(),
    }


async def library(
    hosts: list[str], count: int, gap_ms: float, timeout_ms: float
) -> dict[str, float]:
    from icmplib import async_multiping

    cpu0, t0 = time.process_time(), time.perf_counter()
    found = await async_multiping(
        hosts,
        count=count,
        interval=gap_ms / 1000,
        timeout=timeout_ms / 1000,
        concurrent_tasks=len(hosts),
        privileged=os.geteuid() == 0,
    )
    return {
        "wall": time.perf_counter() - t0,
        "cpu": time.process_time() - cpu0,
        "replies": sum(h.packets_received for h in found),
    }


def fping(hosts: list[str], count: int, gap_ms: float, timeout_ms: float) -> dict[str, float]:
    exe = shutil.which("fping")
    if exe is None:
        raise SystemExit("fping is not installed: apt-get install fping (make system-deps)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write("\n".join(hosts) + "\n")
        f.flush()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(
            [exe, "-C", str(count), "-q", "-p", str(int(gap_ms)), "-i", "0",
             "-t", str(int(timeout_ms)), "-f", f.name],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    replies = sum(
        sum(1 for v in line.split(":", 1)[1].split() if v != "-")
        for line in out.stderr.splitlines()
        if ":" in line
    )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "replies": replies}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="229,5000")
    parser.add_argument("--count", type=int, default=3, help="echo requests per target")
    parser.add_argument("--gap", type=float, default=20, help="ms between a target's requests")
    parser.add_argument("--timeout", type=float, default=1000, help="ms to wait for a reply")
    parser.add_argument("--interval", type=float, default=30, help="s between sweeps")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median shown)")
    parser.add_argument("--spread", type=float, default=0.0, help="s over which targets start")
    parser.add_argument("--rate", type=float, default=None, help="our echo requests/s at most")
    parser.add_argument("--library", action="store_true", help="also icmplib async_multiping")
    args = parser.parse_args()
    print(
        f"count={args.count} gap={args.gap:g} ms timeout={args.timeout:g} ms, "
        f"median of {args.repeat} runs, {os.cpu_count()} cores"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        hosts = addresses(n)
        load_before = load_average()
        runs = [
            await ours(hosts, args.count, args.gap, args.timeout, args.spread, args.rate)
            for _ in range(args.repeat)
        ]
        fpings = [fping(hosts, args.count, args.gap, args.timeout) for _ in range(args.repeat)]
        us_wall = statistics.median(r["wall"] for r in runs)
        us_cpu = statistics.median(r["cpu"] for r in runs)
        fp_wall = statistics.median(r["wall"] for r in fpings)
        fp_cpu = statistics.median(r["cpu"] for r in fpings)
        print(
            f"{n:>5} targets  pendopo ({runs[0]['method']}): {us_wall:.3f} s wall,"
            f" {us_cpu:.3f} s CPU, {min(r['replies'] for r in runs):.0f}/{n * args.count}"
            f" replies, RSS {max(r['rss'] for r in runs):.0f} MB"
        )
        print(
            f"{'':>14}fping: {fp_wall:.3f} s wall, {fp_cpu:.3f} s CPU,"
            f" {min(r['replies'] for r in fpings):.0f}/{n * args.count} replies"
        )
        ratio = f"wall {us_wall / fp_wall:.2f}x" if not args.spread else "(fping not spread)"
        print(
            f"{'':>14}ratio pendopo/fping: {ratio};"
            f" a sweep every {args.interval:g} s costs {100 * us_cpu / args.interval:.2f} %"
            f" of a core (fping {100 * fp_cpu / args.interval:.2f} %);"
            f" load average {load_before} -> {load_average()}"
        )
        if args.library:
            lib = await library(hosts, args.count, args.gap, args.timeout)
            print(
                f"{'':>14}icmplib async_multiping (socket per host): {lib['wall']:.3f} s wall,"
                f" {lib['cpu']:.3f} s CPU, {lib['replies']:.0f}/{n * args.count} replies"
            )


if __name__ == "__main__":
    asyncio.run(main())
