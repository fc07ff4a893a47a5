"""The sweeper: one round of every due target, parents first, spread out, bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from network_inventory.model import ProbeKind, ProbeTarget
from network_inventory.probing.http_get import http_round
from network_inventory.probing.icmp import Echo, IcmpPinger, IcmpUnavailable
from network_inventory.probing.icmp_round import EchoRequest
from network_inventory.probing.result import ProbeResult
from network_inventory.probing.tcp import DEFAULT_FALLBACK_PORT, tcp_rounds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepPlan:
    """How one sweep is paced.

    ``spread``: seconds over which the starts of the targets are spread (in the given order, so
    parents start before their children); ``gap``: seconds between the echo requests of one
    round; ``concurrency``: targets probed at once at most — ICMP targets (one round-robin
    sender) and TCP/HTTP targets (a task each) are bounded separately; ``rate``: ICMP echo
    requests per second at most over all targets (None: no limit but the spread).
    """

    spread: float = 0.0
    gap: float = 0.2
    concurrency: int = 256
    rate: float | None = None

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate <= 0:
            raise ValueError("SweepPlan.rate must be positive (or None for no limit)")


class Prober:
    """Probes targets. Open it inside the event loop; ``close()`` it when done.

    ``icmp_mode``: auto (raw socket, else datagram socket, else TCP connect), raw, dgram, or tcp
    (always fall back to TCP connect). The chosen way is ``icmp_method``.
    """

    def __init__(self, *, icmp_mode: str = "auto", user_agent: str = "Pendopo-probe") -> None:
        self._icmp: IcmpPinger | None = None
        self.icmp_method = "tcp-fallback"
        self.icmp_error: str | None = None
        if icmp_mode != "tcp":
            try:
                self._icmp = IcmpPinger(icmp_mode)
                self.icmp_method = self._icmp.method
            except IcmpUnavailable as exc:
                self.icmp_error = exc.message
                log.warning("ICMP unavailable (%s): probing ICMP targets by TCP connect", exc)
        self._http = aiohttp.ClientSession(
            headers={"User-Agent": user_agent},
            connector=aiohttp.TCPConnector(limit=64, force_close=True),
        )

    async def close(self) -> None:
        if self._icmp is not None:
            self._icmp.close()
            self._icmp = None
        await self._http.close()

    @property
    def packets(self) -> tuple[int, int]:
        """ICMP echo requests sent and replies received so far."""
        if self._icmp is None:
            return (0, 0)
        return (self._icmp.packets_sent, self._icmp.packets_received)

    async def probe(self, target: ProbeTarget, *, gap: float = 0.2) -> ProbeResult:
        """One round of one target."""
        started = time.time()
        count = max(1, target.count)
        timeout = target.timeout_s
        detail: dict[str, object] = {}
        if target.kind == ProbeKind.ICMP:
            if self._icmp is not None:
                method = self._icmp.method
                echo = await self._icmp.ping(target.host, count=count, timeout_s=timeout, gap=gap)
            else:
                method = "tcp-fallback"
                port = target.port or DEFAULT_FALLBACK_PORT
                detail["port"] = port
                echo = await tcp_rounds(
                    target.host,
                    port,
                    count=count,
                    timeout_s=timeout,
                    gap=gap,
                    refused_is_reply=True,
                )
        elif target.kind == ProbeKind.TCP:
            method = "tcp"
            echo = await tcp_rounds(
                target.host,
                target.port or DEFAULT_FALLBACK_PORT,
                count=count,
                timeout_s=timeout,
                gap=gap,
                refused_is_reply=False,
            )
        else:
            method = "http"
            url = target.url or f"http://{target.host}/"
            echo, status = await http_round(
                self._http, url, expect_status=target.expect_status or 200, timeout_s=timeout
            )
            detail["status"] = status
        return _result(target, method, echo, started, detail)

    async def sweep(
        self, targets: Sequence[ProbeTarget], plan: SweepPlan = SweepPlan()
    ) -> list[ProbeResult]:
        """One round of each target, in order; results in the same order.

        ICMP targets go to one round of the shared pinger (no task per target); TCP, HTTP and
        TCP-fallback targets are a task each.
        """
        if not targets:
            return []
        step = plan.spread / len(targets)
        icmp = [
            i for i, t in enumerate(targets) if t.kind == ProbeKind.ICMP and self._icmp is not None
        ]
        icmp_set = set(icmp)
        others = [i for i in range(len(targets)) if i not in icmp_set]
        results: dict[int, ProbeResult] = {}

        async def icmp_round(pinger: IcmpPinger) -> None:
            requests = [
                EchoRequest(
                    targets[i].host, max(1, targets[i].count), targets[i].timeout_s, i * step
                )
                for i in icmp
            ]
            try:
                outcomes = await pinger.round(
                    requests, gap=plan.gap, concurrency=plan.concurrency, rate=plan.rate
                )
            except Exception as exc:  # a broken round must not end the sweep
                log.exception("ICMP round of %d targets failed", len(requests))
                results.update((i, _failed(targets[i], pinger.method, exc)) for i in icmp)
                return
            for i, outcome in zip(icmp, outcomes, strict=True):
                echo, at = outcome.echo, outcome.started_at
                results[i] = _result(targets[i], pinger.method, echo, at, {})

        semaphore = asyncio.Semaphore(plan.concurrency)
        loop = asyncio.get_running_loop()
        begin = loop.time()

        async def one(index: int) -> None:
            target = targets[index]
            delay = begin + index * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            async with semaphore:
                try:
                    results[index] = await self.probe(target, gap=plan.gap)
                except Exception as exc:  # a broken target must not end the sweep
                    log.exception("probe of target %s failed", target.id)
                    results[index] = _failed(target, target.kind.value, exc)

        jobs = [one(i) for i in others]
        if icmp and self._icmp is not None:
            jobs.append(icmp_round(self._icmp))
        await asyncio.gather(*jobs)
        return [results[i] for i in range(len(targets))]


def _failed(target: ProbeTarget, method: str, exc: Exception) -> ProbeResult:
    echo = Echo(max(1, target.count), (), f"probe error: {exc}")
    return _result(target, method, echo, time.time(), {})


def _result(
    target: ProbeTarget, method: str, echo: Echo, started: float, detail: dict[str, object]
) -> ProbeResult:
    return ProbeResult(
        target_id=target.id,
        site_id=target.site_id,
        kind=target.kind.value,
        method=method,
        sent=echo.sent,
        received=len(echo.rtts_ms),
        rtts_ms=echo.rtts_ms,
        error=echo.error,
        at=started,
        detail=detail,
    )
