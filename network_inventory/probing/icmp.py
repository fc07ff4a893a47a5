"""ICMP echo over ONE shared socket for all targets (the fping design).

icmplib's ``async_ping`` opens a socket per host. With raw sockets the kernel hands *every*
incoming ICMP packet to *every* open raw socket, so N concurrent pings cost N² packet copies
and parses (``bench/probe.py --library``: at 229 targets a third of the replies were lost and
it cost 40x our CPU). Here icmplib creates the socket (raw when privileged, the kernel's ICMP
datagram socket when ``ping_group_range`` admits us); requests are built by ``echo_request`` and
replies read by one reader callback and handed to the waiting round by
``(source address, sequence)``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
import struct
import time
from dataclasses import dataclass

from icmplib import ICMPv4Socket
from icmplib.exceptions import ICMPLibError

PAYLOAD = b"pendopo-probe-0123456789"
_PAYLOAD_SUM = sum(struct.unpack(f"!{len(PAYLOAD) // 2}H", PAYLOAD))


def echo_request(ident: int, seq: int) -> bytes:
    """An ICMP echo request with a fixed payload.

    Built here rather than with icmplib's ``ICMPRequest``/``send``: those resolve the address,
    set TTL and traffic class and draw a random payload on every packet, which tripled the CPU
    of a 5,000-target sweep (bench/probe.py). Datagram sockets rewrite id and checksum.
    """
    total = 0x0800 + ident + seq + _PAYLOAD_SUM
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("!BBHHH", 8, 0, ~total & 0xFFFF, ident, seq) + PAYLOAD


ECHO_REPLY = 0
DEST_UNREACHABLE = 3
TIME_EXCEEDED = 11


class IcmpUnavailable(Exception):
    """Neither a raw nor a datagram ICMP socket may be opened by this process."""

    code = "icmp_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Echo:
    """One round of echo requests to one address."""

    sent: int
    rtts_ms: tuple[float, ...]
    error: str | None = None


def open_socket(mode: str = "auto") -> tuple[ICMPv4Socket, str]:
    """An ICMP socket and its method name: ``icmp-raw`` or ``icmp-dgram``.

    ``mode``: auto (raw, else datagram), raw, or dgram.
    """
    errors: list[str] = []
    for privileged, name in ((True, "raw"), (False, "dgram")):
        if mode not in ("auto", name):
            continue
        try:
            return ICMPv4Socket(privileged=privileged), f"icmp-{name}"
        except ICMPLibError as exc:
            errors.append(f"{name}: {exc}")
    raise IcmpUnavailable("; ".join(errors) or f"unknown ICMP mode {mode!r}")


def parse_reply(packet: bytes, *, has_ip_header: bool) -> tuple[int, int, int] | None:
    """``(type, id, sequence)`` of an echo reply, or of the echo request quoted in an error.

    Raw sockets deliver the IPv4 header; datagram sockets on Linux start at the ICMP header.
    """
    offset = (packet[0] & 0x0F) * 4 if has_ip_header and packet else 0
    if len(packet) < offset + 8:
        return None
    icmp_type = packet[offset]
    if icmp_type == ECHO_REPLY:
        ident, seq = struct.unpack_from("!HH", packet, offset + 4)
        return icmp_type, ident, seq
    if icmp_type in (DEST_UNREACHABLE, TIME_EXCEEDED):
        # The error quotes the original IP header plus the first 8 bytes of our request.
        inner = offset + 8
        if len(packet) < inner + 1:
            return None
        inner_icmp = inner + (packet[inner] & 0x0F) * 4
        if len(packet) < inner_icmp + 8 or packet[inner_icmp] != 8:
            return None
        ident, seq = struct.unpack_from("!HH", packet, inner_icmp + 4)
        return icmp_type, ident, seq
    return None


class IcmpPinger:
    """Sends echo requests to many addresses at once over one socket."""

    def __init__(self, mode: str = "auto") -> None:
        self._sock, self.method = open_socket(mode)
        self._raw = self.method == "icmp-raw"
        self._sock.blocking = False
        # icmplib keeps the Python socket private; the reader needs its descriptor.
        self._fd: socket.socket = self._sock._sock
        _grow_receive_buffer(self._fd)
        # Raw sockets see everyone's ICMP: our id tells our replies apart. Datagram sockets get
        # an id (the "port") from the kernel, which also filters replies for us.
        self._ident = random.randrange(1, 0xFFFF) if self._raw else 0
        self._seq = itertools.count(random.randrange(0, 0xFFFF))
        self._waiting: dict[tuple[str, int], tuple[asyncio.Future[float | None], float]] = {}
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd.fileno(), self._on_readable)
        self.packets_sent = 0
        self.packets_received = 0

    def close(self) -> None:
        if self._sock is None:
            return
        self._loop.remove_reader(self._fd.fileno())
        self._sock.close()
        for fut, _ in self._waiting.values():
            if not fut.done():
                fut.set_result(None)
        self._waiting.clear()

    def _next_seq(self, address: str) -> int:
        for _ in range(0x10000):
            seq = next(self._seq) & 0xFFFF
            if (address, seq) not in self._waiting:
                return seq
        raise IcmpUnavailable(f"too many echo requests in flight to {address}")

    def _on_readable(self) -> None:
        now = time.monotonic()
        while True:
            try:
                packet, addr = self._fd.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            parsed = parse_reply(packet, has_ip_header=self._raw)
            if parsed is None:
                continue
            icmp_type, ident, seq = parsed
            if self._raw and ident != self._ident:
                continue
            if icmp_type == ECHO_REPLY:
                entry = self._waiting.pop((addr[0], seq), None)
                if entry is not None and not entry[0].done():
                    self.packets_received += 1
                    entry[0].set_result((now - entry[1]) * 1000.0)
            else:
                # An error from a router about our request: the source is the router, so
                # look for the sequence among the waiting requests.
                for key in [k for k in self._waiting if k[1] == seq]:
                    fut = self._waiting.pop(key)[0]
                    if not fut.done():
                        fut.set_result(None)

    def _send(self, address: str, timeout_s: float) -> asyncio.Future[float | None]:
        key = (address, self._next_seq(address))
        fut: asyncio.Future[float | None] = self._loop.create_future()
        self._waiting[key] = (fut, time.monotonic())
        try:
            self._fd.sendto(echo_request(self._ident, key[1]), (address, 0))
        except OSError:
            self._waiting.pop(key, None)
            fut.set_result(None)
            return fut
        self.packets_sent += 1
        self._loop.call_later(timeout_s, self._expire, key, fut)
        return fut

    def _expire(self, key: tuple[str, int], fut: asyncio.Future[float | None]) -> None:
        if not fut.done():
            fut.set_result(None)
        entry = self._waiting.get(key)
        if entry is not None and entry[0] is fut:
            del self._waiting[key]

    async def ping(self, address: str, *, count: int, timeout_s: float, gap: float) -> Echo:
        """``count`` echo requests, ``gap`` seconds apart, each waited for ``timeout_s``."""
        futures: list[asyncio.Future[float | None]] = []
        for i in range(count):
            if i:
                await asyncio.sleep(gap)
            futures.append(self._send(address, timeout_s))
        results = await asyncio.gather(*futures)
        rtts = tuple(r for r in results if r is not None)
        return Echo(sent=count, rtts_ms=rtts, error=None if rtts else "no echo reply")


RECEIVE_BUFFER = 4 * 1024 * 1024
"""A sweep's replies arrive in bursts; the default ~200 KB buffer overflows at a few hundred."""


def _grow_receive_buffer(sock: socket.socket) -> None:
    try:  # root may exceed net.core.rmem_max (SO_RCVBUFFORCE is 33 on Linux)
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


def icmp_dgram_allowed() -> bool:
    """True when ``net.ipv4.ping_group_range`` admits one of this process's groups."""
    try:
        low, high = (int(x) for x in open("/proc/sys/net/ipv4/ping_group_range").read().split())
    except (OSError, ValueError):
        return False
    return any(low <= g <= high for g in {os.getgid(), *os.getgroups()})
