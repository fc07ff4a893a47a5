"""ICMP echo over ONE shared socket for all targets (the fping design).

icmplib's ``async_ping`` opens a socket per host. With raw sockets the kernel hands *every*
incoming ICMP packet to *every* open raw socket, so N concurrent pings cost N² packet copies
and parses (``bench/probe.py --library``: at 229 targets a third of the replies were lost and
it cost 40x our CPU). Here icmplib creates the socket (raw when privileged, the kernel's ICMP
datagram socket when ``ping_group_range`` admits us). Requests are built by ``echo_request``;
a round (``icmp_round.Round``) schedules them; one reader callback resolves each reply's
sequence number to the round's slot through a 65,536-entry table.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from icmplib import ICMPv4Socket
from icmplib.exceptions import ICMPLibError

from network_inventory.probing.icmp_round import EchoRequest, Round
from network_inventory.probing.icmp_wire import (
    DEST_UNREACHABLE,
    ECHO_REPLY,
    TIME_EXCEEDED,
    echo_request,
    parse_reply,
    raw_type_filter,
)

SOL_RAW, ICMP_FILTER = 255, 1  # linux/icmp.h
SEQUENCES = 0x10000


class IcmpUnavailable(Exception):
    """Neither a raw nor a datagram ICMP socket may be opened by this process."""

    code = "icmp_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Echo:
    """One round of echo requests (or connects) to one address."""

    sent: int
    rtts_ms: tuple[float, ...]
    error: str | None = None


@dataclass(frozen=True)
class EchoOutcome:
    echo: Echo
    started_at: float
    """Unix time when its first request went out (else when the round began)."""


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


class IcmpPinger:
    """Sends echo requests to many addresses at once over one socket."""

    def __init__(self, mode: str = "auto") -> None:
        self._sock, self.method = open_socket(mode)
        self._raw = self.method == "icmp-raw"
        self._sock.blocking = False
        # icmplib keeps the Python socket private; the reader needs its descriptor.
        self._fd: socket.socket = self._sock._sock
        _grow_receive_buffer(self._fd)
        if self._raw:
            try:  # the kernel drops what we never read (echo requests, redirects, ...)
                keep = raw_type_filter(ECHO_REPLY, DEST_UNREACHABLE, TIME_EXCEEDED)
                self._fd.setsockopt(SOL_RAW, ICMP_FILTER, keep)
            except OSError:
                pass
        # Raw sockets see everyone's ICMP: our id tells our replies apart. Datagram sockets get
        # an id (the "port") from the kernel, which also filters replies for us.
        self._ident = random.randrange(1, 0xFFFF) if self._raw else 0
        self._seq = itertools.count(random.randrange(0, SEQUENCES))
        # Sequence number -> (round, slot) of the request waiting for it.
        self._owner: list[Round | None] = [None] * SEQUENCES
        self._slot = [0] * SEQUENCES
        self._rounds: set[Round] = set()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd.fileno(), self._on_readable)
        self._closed = False
        self.packets_sent = 0
        self.packets_received = 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._fd.fileno())
        self._sock.close()
        for rnd in list(self._rounds):
            rnd.abort("socket closed")

    async def round(
        self, requests: Sequence[EchoRequest], *, gap: float, concurrency: int, rate: float | None
    ) -> list[EchoOutcome]:
        """One round of every request (in order of their ``start``); outcomes in the same order."""
        began = time.time()
        resolved = await _resolve_all([r.host for r in requests])
        kept = [(i, address) for i, (address, _) in enumerate(resolved) if address is not None]
        rnd = Round(
            [
                requests[i] if requests[i].host == address else replace(requests[i], host=address)
                for i, address in kept
            ]
        )
        if self._closed:
            rnd.abort("socket closed")
        self._rounds.add(rnd)
        try:
            await rnd.run(self._send, self._release, gap=gap, concurrency=concurrency, rate=rate)
        finally:
            self._rounds.discard(rnd)
            for slot, seq in enumerate(rnd.seq):
                if seq >= 0 and self._owner[seq] is rnd and self._slot[seq] == slot:
                    self._owner[seq] = None
        round_of = {i: j for j, (i, _) in enumerate(kept)}
        outcomes = []
        for i, request in enumerate(requests):
            j = round_of.get(i)
            if j is None:  # not resolved
                outcomes.append(EchoOutcome(Echo(request.count, (), resolved[i][1]), began))
                continue
            rtts = rnd.rtts(j)
            error = None if rtts else (rnd.error[j] or "no echo reply")
            started = rnd.started_at[j] or began
            outcomes.append(EchoOutcome(Echo(request.count, rtts, error), started))
        return outcomes

    async def ping(self, address: str, *, count: int, timeout_s: float, gap: float) -> Echo:
        """``count`` echo requests, ``gap`` seconds apart, each waited for ``timeout_s``."""
        [outcome] = await self.round(
            [EchoRequest(address, count, timeout_s)], gap=gap, concurrency=1, rate=None
        )
        return outcome.echo

    # -- the socket ----------------------------------------------------------------------------
    def _send(self, rnd: Round, slot: int, address: str) -> int | None:
        owner = self._owner
        for _ in range(SEQUENCES):
            seq = next(self._seq) & 0xFFFF
            if owner[seq] is None:
                break
        else:
            return None  # 65,536 requests in flight: count this one lost
        self._fd.sendto(echo_request(self._ident, seq), (address, 0))
        owner[seq] = rnd
        self._slot[seq] = slot
        self.packets_sent += 1
        return seq

    def _release(self, seq: int) -> None:
        self._owner[seq] = None

    def _on_readable(self) -> None:
        recvfrom = self._fd.recvfrom
        owner, slots = self._owner, self._slot
        raw, ident = self._raw, self._ident
        clock = time.monotonic
        while True:
            try:
                packet, addr = recvfrom(2048)
            except OSError:  # BlockingIOError: drained
                return
            now = clock()
            parsed = parse_reply(packet, has_ip_header=raw)
            if parsed is None:
                continue
            icmp_type, reply_ident, seq = parsed
            if raw and reply_ident != ident:
                continue
            rnd = owner[seq]
            if rnd is None:
                continue
            if icmp_type == ECHO_REPLY:
                if rnd.reply(slots[seq], addr[0], now):
                    owner[seq] = None
                    self.packets_received += 1
            else:
                # From a router about our request: its source is the router, not the target.
                owner[seq] = None
                rnd.fail(slots[seq], _ERRORS.get(icmp_type, "ICMP error"))


_ERRORS = {DEST_UNREACHABLE: "destination unreachable", TIME_EXCEEDED: "TTL exceeded in transit"}


async def _resolve_all(hosts: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """``(IPv4 address, None)`` of each host in order, or ``(None, why not)``."""
    out: list[tuple[str | None, str | None]] = [(h, None) for h in hosts]
    names: dict[str, list[int]] = {}
    for i, host in enumerate(hosts):
        try:
            socket.inet_pton(socket.AF_INET, host)
        except OSError:
            names.setdefault(host, []).append(i)
    if names:
        found = await asyncio.gather(*(_resolve(h) for h in names))
        for indexes, answer in zip(names.values(), found, strict=True):
            for i in indexes:
                out[i] = answer
    return out


async def _resolve(host: str) -> tuple[str | None, str | None]:
    if ":" in host:
        return None, "ICMP echo to IPv6 addresses is not supported"
    try:
        async with asyncio.timeout(5.0):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, family=socket.AF_INET, type=socket.SOCK_DGRAM
            )
    except (OSError, TimeoutError) as exc:
        return None, f"cannot resolve {host}: {exc}"
    if not infos:
        return None, f"cannot resolve {host}"
    return str(infos[0][4][0]), None


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
