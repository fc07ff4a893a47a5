"""HTTP(S) GET probes: one request per round, answered when the status is the expected one."""

from __future__ import annotations

import time

import aiohttp

from network_inventory.probing.icmp import Echo

MAX_BODY = 64 * 1024
"""Bytes of the body read at most (the status is what counts; the rest is discarded)."""


async def http_round(
    session: aiohttp.ClientSession, url: str, *, expect_status: int, timeout_s: float
) -> tuple[Echo, int | None]:
    """One GET; returns the round and the status received (None when there was none)."""
    start = time.monotonic()
    try:
        async with session.get(
            url,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as resp:
            await resp.content.read(MAX_BODY)
            elapsed = (time.monotonic() - start) * 1000.0
            if resp.status != expect_status:
                return Echo(1, (), f"status {resp.status} (expected {expect_status})"), resp.status
            return Echo(1, (elapsed,)), resp.status
    except TimeoutError:
        return Echo(1, (), f"no answer within {timeout_s:g} s"), None
    except aiohttp.ClientError as exc:
        return Echo(1, (), f"{type(exc).__name__}: {exc}"[:200]), None
