"""ICE servers for browsers (the ``join`` ack) and for the server's own peer connections.

Credentials come from ``web.turn.ice_servers_for`` (coturn's shared-secret scheme); nothing is
configured by default, so no public STUN server is ever contacted.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from media import IceServer, MediaSettings
from pendopo.config import Settings
from web.turn import ice_servers_for


def browser_ice_servers(settings: Settings, label: str) -> list[dict[str, Any]]:
    return ice_servers_for(settings, label)


def media_settings(settings: Settings) -> MediaSettings:
    """The SFU's settings. A server bound to one address gathers ICE candidates only there
    (127.0.0.1 keeps media on loopback); bound to 0.0.0.0 or ::, on every interface."""
    servers = tuple(
        IceServer(
            urls=tuple(entry["urls"]),  # type: ignore[arg-type]
            username=entry.get("username"),  # type: ignore[arg-type]
            credential=entry.get("credential"),  # type: ignore[arg-type]
        )
        for entry in ice_servers_for(settings, "pendopo-server")
    )
    host_addresses: tuple[str, ...] = ()
    try:
        address = ipaddress.ip_address(settings.host)
    except ValueError:
        address = None
    if address is not None and not address.is_unspecified:
        host_addresses = (str(address),)
    forwarding: Literal["frame", "packet"] = (
        "frame" if settings.media_forwarding == "frame" else "packet"
    )
    return MediaSettings(ice_servers=servers, host_addresses=host_addresses, forwarding=forwarding)
