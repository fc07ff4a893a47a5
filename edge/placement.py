"""Which node serves a room, at the edges: joins, room creation, the room summary, ending.

The registry (rooms/registry.py) is the same object kind in the embedded default (one process
owns everything) and in scale-out (Redis), so these calls run in both. A browser is only ever
sent to *another* node, at the URL it can reach that node by (:func:`browser_url`): one process
never redirects, and a page stays on the origin it was loaded from.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from yarl import URL

from edge.clients import behind_trusted_proxy
from pendopo.listen import WILDCARDS
from rooms.registry import NodeInfo, NodeRegistry, WrongNode, claim_here
from rooms.service import RoomService


async def ensure_here(
    rooms: RoomService,
    registry: NodeRegistry,
    room_id: str,
    request: web.Request | None = None,
) -> None:
    """Before serving a room: ``not_found`` if it does not exist; ``wrong_node`` (with the
    owner's URL as the client of ``request`` reaches it) if another live node serves it; else
    this node claims it."""
    room = await rooms.room(room_id)
    if room.ended:
        return
    try:
        await claim_here(registry, room_id)
    except WrongNode as exc:
        raise WrongNode(exc.node, browser_url(exc.node, request)) from None


async def elsewhere_url(registry: NodeRegistry, room_id: str, request: web.Request) -> str | None:
    """The URL of the node serving ``room_id`` when that is another live node, else None."""
    owner = await registry.owner(room_id)
    if owner is None or owner.id == registry.me.id:
        return None
    return browser_url(owner, request)


async def peer_urls(registry: NodeRegistry, request: web.Request | None) -> list[str]:
    """The other live nodes, as the client of ``request`` reaches them: where it may go when
    this node dies (the join ack's ``nodes``). Empty with one process."""
    me = registry.me.id
    return [browser_url(node, request) for node in await registry.nodes() if node.id != me]


def peer_origin(registry: NodeRegistry, request: web.Request, origin: str) -> bool:
    """Whether ``origin`` is another node's (``registry.peers``, dead ones too), as this
    browser reaches it: a page loaded from a node that died keeps running and opens its socket here
    (docs/scaling.md, "Failover")."""
    return any(_origin(browser_url(node, request)) == origin for node in registry.peers)


def peer_hosts(registry: NodeRegistry, request: web.Request) -> list[str]:
    """``host[:port]`` of every other node (``registry.peers``) as this browser reaches
    it: the page's Content-Security-Policy lets its socket move there (docs/scaling.md)."""
    return [URL(browser_url(node, request)).authority for node in registry.peers]


def _origin(url: str) -> str:
    return str(URL(url).origin())


def _host_of(url: str) -> str | None:
    host = URL(url).host
    return host.lower() if host else None


def _same_ip(a: str | None, b: str | None) -> bool:
    try:
        return (
            a is not None and b is not None and ipaddress.ip_address(a) == ipaddress.ip_address(b)
        )
    except ValueError:
        return False


def browser_url(node: NodeInfo, request: web.Request | None) -> str:
    """``node``'s base URL as the browser that sent ``request`` (to this node) reaches it.

    The browser's host name is its ``Host`` (``X-Forwarded-Host`` from a trusted proxy). Among
    the node's URLs (``public_url``, else one per listening address): the one on that host;
    else — not through a proxy — the one on the address the request arrived at, named as the
    browser named this node; else a wildcard (``0.0.0.0``/``::``) listener under that name;
    else the first that is not a wildcard.
    """
    urls = node.every_url
    concrete = next((u for u in urls if _host_of(u) not in WILDCARDS), urls[0])
    if request is None:
        return concrete
    proxied = behind_trusted_proxy(request)
    forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    try:
        seen = URL(f"//{forwarded}").host if proxied and forwarded else request.url.host
    except ValueError:
        seen = None
    if not seen:
        return concrete
    seen = seen.lower()
    sockname = (
        None
        if proxied or request.transport is None
        else request.transport.get_extra_info("sockname")
    )
    arrived = str(sockname[0]) if sockname else None
    for url in urls:
        host = _host_of(url)
        if host == seen or _same_ip(host, seen):
            return url
    for url in urls:
        if _same_ip(_host_of(url), arrived):
            return str(URL(url).with_host(seen))
    for url in urls:
        if _host_of(url) in WILDCARDS:
            return str(URL(url).with_host(seen))
    return concrete
