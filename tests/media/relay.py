"""A UDP relay on 127.0.0.1 that delays every datagram, standing in for a VSAT link.

The kernel here has no netem, so the test puts this relay between a client and the SFU by
rewriting the ICE host candidates in the SDP each way:

    client --(to B)--> [B  delay  A] --(from A)--> server      server sees the client at A
    client <-(from B)- [B  delay  A] <-(to A)----- server      client sees the server at B
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

_CANDIDATE = re.compile(r"^(a=candidate:\S+ \d+ udp \d+ )(\S+) (\d+)( typ host.*)$", re.M | re.I)


class _Side(asyncio.DatagramProtocol):
    def __init__(self, relay: DelayRelay, name: str) -> None:
        self.relay, self.name = relay, name
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.relay.received(self.name, data)


class DelayRelay:
    def __init__(self, one_way_delay: float = 0.3) -> None:
        self.delay = one_way_delay
        self.client_addr: tuple[str, int] | None = None
        self.server_addr: tuple[str, int] | None = None
        self.forwarded = 0
        self._a: _Side | None = None
        self._b: _Side | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        _, self._a = await loop.create_datagram_endpoint(
            lambda: _Side(self, "a"), local_addr=("127.0.0.1", 0)
        )
        _, self._b = await loop.create_datagram_endpoint(
            lambda: _Side(self, "b"), local_addr=("127.0.0.1", 0)
        )

    def _port(self, side: _Side | None) -> int:
        assert side is not None and side.transport is not None
        return int(side.transport.get_extra_info("sockname")[1])

    def from_client(self, sdp: str) -> str:
        """Client SDP on its way to the server: the client's candidate becomes A."""

        def swap(m: re.Match[str]) -> str:
            self.client_addr = (m.group(2), int(m.group(3)))
            return f"{m.group(1)}127.0.0.1 {self._port(self._a)}{m.group(4)}"

        return _CANDIDATE.sub(swap, sdp)

    def to_client(self, sdp: str) -> str:
        """Server SDP on its way to the client: the server's candidate becomes B."""

        def swap(m: re.Match[str]) -> str:
            self.server_addr = (m.group(2), int(m.group(3)))
            return f"{m.group(1)}127.0.0.1 {self._port(self._b)}{m.group(4)}"

        return _CANDIDATE.sub(swap, sdp)

    def received(self, side: str, data: bytes) -> None:
        if side == "b":  # from the client, to the server (sent from A)
            out, dest = self._a, self.server_addr
        else:  # from the server, to the client (sent from B)
            out, dest = self._b, self.client_addr
        if dest is None or out is None or out.transport is None:
            return
        transport = out.transport
        asyncio.get_running_loop().call_later(self.delay, self._send, transport, data, dest)

    def _send(
        self, transport: asyncio.DatagramTransport, data: bytes, dest: tuple[str, int]
    ) -> None:
        if not transport.is_closing():
            transport.sendto(data, dest)
            self.forwarded += 1

    def close(self) -> None:
        for side in (self._a, self._b):
            if side is not None and side.transport is not None:
                side.transport.close()
