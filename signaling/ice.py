"""ICE of the server's own peer connections: where they gather candidates, what they announce
(1:1 NAT) and their STUN/TURN servers.

Credentials come from ``edge.turn.ice_servers_for`` (coturn's shared-secret scheme; the browsers'
``join`` ack gets theirs there too); nothing is configured by default, so no public STUN server is
ever contacted.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Literal

import ifaddr

from edge.turn import ice_servers_for
from media import IceServer, MediaSettings
from media.loudest import LoudestSettings
from pendopo.config import Settings
from pendopo.listen import parse_announce

log = logging.getLogger(__name__)


def interface_addresses(*, ipv4: bool = True, ipv6: bool = False) -> list[str]:
    """This machine's addresses other browsers could reach: IPv4 but loopback (127.0.0.0/8) and
    link-local (169.254.0.0/16); with ``ipv6`` global IPv6 (not ::1, fe80::/10, scoped)."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(
                    ip.ip
                )
                wanted = ipv4
            else:
                address, wanted = ipaddress.IPv6Address(ip.ip[0]), ipv6 and ip.ip[2] == 0
            if wanted and not (address.is_loopback or address.is_link_local):
                found.append(str(address))
    return list(dict.fromkeys(found))


def media_host_addresses(settings: Settings) -> tuple[str, ...]:
    """Where the server gathers ICE host candidates: ``ice_host_addresses``; else the concrete
    listen addresses (127.0.0.1 keeps media on loopback; a host name: what it resolves to),
    plus :func:`interface_addresses` for a ``0.0.0.0`` (IPv4) or ``::`` (IPv4 and IPv6)
    listener (none found: 127.0.0.1). Interfaces are read once, at start-up."""
    if settings.ice_host_addresses:
        return settings.ice_host_addresses
    chosen: list[str] = []
    for listen in settings.listen_addresses:
        if listen.wildcard:
            chosen += interface_addresses(ipv6=listen.host == "::")
            continue
        try:
            chosen.append(str(ipaddress.ip_address(listen.host)))
        except ValueError:
            found = socket.getaddrinfo(listen.host, None, type=socket.SOCK_DGRAM)
            chosen += [str(info[4][0]) for info in found]
    # Never empty: an empty tuple would mean aioice's own choice (every address but 127.0.0.1).
    return tuple(dict.fromkeys(chosen)) or ("127.0.0.1",)


def media_settings(settings: Settings) -> MediaSettings:
    """The SFU's settings: STUN/TURN, where ICE gathers and what it announces (1:1 NAT)."""
    servers = tuple(
        IceServer(
            urls=tuple(entry["urls"]),  # type: ignore[arg-type]
            username=entry.get("username"),  # type: ignore[arg-type]
            credential=entry.get("credential"),  # type: ignore[arg-type]
        )
        for entry in ice_servers_for(settings, "pendopo-server")
    )
    host_addresses = media_host_addresses(settings)
    announced = parse_announce(settings.ice_announce_addresses)
    log.info("ICE host candidates on %s", ", ".join(host_addresses))
    forwarding: Literal["frame", "packet"] = (
        "frame" if settings.media_forwarding == "frame" else "packet"
    )
    return MediaSettings(
        ice_servers=servers,
        host_addresses=host_addresses,
        announced_addresses=announced,
        forwarding=forwarding,
        loudest=LoudestSettings(limit=settings.audio_speakers),
        cpu_limit=settings.media_cpu_limit,
        pause_unseen_after=settings.camera_pause_unseen,
    )
