"""The addresses ``pendopo run`` listens on: parsed from ``listen`` (or ``host``/``port``), bound
as sockets, and turned into the base URLs browsers reach this process at; and the public
addresses it announces in its SDP (``ice_announce_addresses``, 1:1 NAT).

An entry is ``HOST:PORT``, ``HOST`` (the ``port`` setting), ``[IPv6]:PORT`` or a bare IPv6
address. ``0.0.0.0`` and ``::`` are wildcards: every address of the machine (IPv4, or IPv6 only).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

WILDCARDS = ("0.0.0.0", "::")


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    @property
    def wildcard(self) -> bool:
        return self.host in WILDCARDS

    def url(self, scheme: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.url("tcp").removeprefix("tcp://")


def parse_listen(entry: str, default_port: int) -> ListenAddress:
    """``"10.0.0.5:8443"`` -> ListenAddress; ValueError when it is not an address."""
    text = entry.strip()
    port = str(default_port)
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r} is not [IPv6]:PORT")
        port = rest[1:] or port
        ipaddress.IPv6Address(host)
    elif text.count(":") > 1:
        host = str(ipaddress.IPv6Address(text))  # a bare IPv6 address, no port
    else:
        host, sep, given = text.partition(":")
        port = given if sep else port
    if not host or any(c.isspace() or c in "/@?#" for c in host):
        raise ValueError(f"{entry!r} has no host")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{entry!r}: {port!r} is not a TCP port")
    return ListenAddress(host, int(port))


def bind_sockets(addresses: tuple[ListenAddress, ...], backlog: int = 1024) -> list[socket.socket]:
    """One listening TCP socket per address the entries resolve to (a host name may give
    several). Closes what it opened and raises OSError naming the address when one fails."""
    bound: list[socket.socket] = []
    seen: set[tuple[int, str, int]] = set()
    for address in addresses:
        try:
            found = socket.getaddrinfo(
                address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            for family, kind, proto, _, sockaddr in found:
                key = (family, str(sockaddr[0]), int(sockaddr[1]))
                if key in seen:
                    continue
                seen.add(key)
                sock = socket.socket(family, kind, proto)
                bound.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:  # "::" is IPv6 only, as asyncio does it
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(sockaddr)
                sock.listen(backlog)  # now: with SO_REUSEADDR a taken port fails only here
        except OSError as exc:
            for sock in bound:
                sock.close()
            raise OSError(f"cannot listen on {address}: {exc.strerror or exc}") from exc
    return bound


def parse_announce(entries: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``ice_announce_addresses`` entries ``"PUBLIC"`` or ``"LOCAL=PUBLIC"`` (IP addresses) ->
    ((LOCAL or "*", PUBLIC), ...); ValueError names a wrong entry."""
    pairs = []
    for entry in entries:
        local, _, public = entry.rpartition("=")
        try:
            public = str(ipaddress.ip_address(public.strip()))
            local = str(ipaddress.ip_address(local.strip())) if local else "*"
        except ValueError:
            raise ValueError(f"{entry!r} is not PUBLIC or LOCAL=PUBLIC (IP addresses)") from None
        pairs.append((local, public))
    return tuple(pairs)


__all__ = [
    "WILDCARDS",
    "ListenAddress",
    "bind_sockets",
    "parse_announce",
    "parse_listen",
]
