"""Who a request comes from, for both edges: the client's address behind a trusted reverse
proxy (``forwarded_allow_ips``), whether it came over https, and the signed-in user of a raw
``Cookie`` header (socket.io's connect; HTTP requests use web.auth's middleware)."""

from __future__ import annotations

import ipaddress
from http.cookies import SimpleCookie

from aiohttp import web

from accounts import AccountStore, User
from edge.keys import SETTINGS

SESSION_COOKIE = "pendopo_session"


def address_in(address: str | None, networks: tuple[str, ...]) -> bool:
    """Whether ``address`` is one of ``networks`` (addresses or CIDR networks)."""
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in networks:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: web.Request) -> str | None:
    """The client's address: the peer's, or — when the peer is a trusted proxy
    (``forwarded_allow_ips``) — the right-most untrusted address of ``X-Forwarded-For``."""
    trusted = request.app[SETTINGS].forwarded_allow_ips
    peer = request.remote
    if not address_in(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not address_in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def behind_trusted_proxy(request: web.Request) -> bool:
    """The TCP peer is a reverse proxy listed in ``forwarded_allow_ips``."""
    return address_in(request.remote, request.app[SETTINGS].forwarded_allow_ips)


def is_https(request: web.Request) -> bool:
    if request.secure:
        return True
    if behind_trusted_proxy(request):
        return request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return False


async def user_from_cookie_header(accounts: AccountStore, cookie_header: str | None) -> User | None:
    """The signed-in user for a raw ``Cookie`` header (used by socket.io's connect handler)."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:
        return None
    morsel = jar.get(SESSION_COOKIE)
    if morsel is None or not morsel.value:
        return None
    return await accounts.user_for_token(morsel.value)
