"""TCP connect probes: a port check, and the stand-in for ICMP when no ICMP socket is allowed."""

from __future__ import annotations

import asyncio
import errno
import time

from network_inventory.probing.icmp import Echo

DEFAULT_FALLBACK_PORT = 80


async def _connect_once(host: str, port: int, timeout_s: float, *, refused_is_reply: bool) -> float:
    """Connect time in ms; raises OSError/TimeoutError when the host did not answer."""
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        if refused_is_reply:  # a RST is an answer: the host is up, the port is closed
            return (time.monotonic() - start) * 1000.0
        raise
    elapsed = (time.monotonic() - start) * 1000.0
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return elapsed


async def tcp_rounds(
    host: str, port: int, *, count: int, timeout_s: float, gap: float, refused_is_reply: bool
) -> Echo:
    """``count`` connection attempts; each answered attempt is one "reply" with its RTT."""
    rtts: list[float] = []
    error: str | None = None
    for i in range(count):
        if i:
            await asyncio.sleep(gap)
        try:
            rtts.append(
                await _connect_once(host, port, timeout_s, refused_is_reply=refused_is_reply)
            )
        except TimeoutError:
            error = f"connect to port {port} timed out"
        except ConnectionRefusedError:
            error = f"port {port} refused the connection"
        except OSError as exc:
            error = f"connect to port {port}: {errno.errorcode.get(exc.errno or 0, str(exc))}"
    return Echo(sent=count, rtts_ms=tuple(rtts), error=None if rtts else error)
