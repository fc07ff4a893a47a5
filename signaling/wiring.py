"""Wiring of the meeting core into the aiohttp app: room store, room service, SFU, handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from media import Sfu
from network_inventory.call_quality import CallQuality
from rooms import BuiltinSites, RoomRecords, RoomService
from rooms.backends import open_backends
from rooms.registry import NodeInfo
from rooms.weak_links import WeakLinkPolicy
from signaling.connections import Connections
from signaling.fanout import Fanout
from signaling.ice import media_settings
from signaling.link_policy import LinkPolicy
from signaling.media_bridge import MediaBridge
from signaling.meeting import Meeting
from signaling.placement import REGISTRY
from signaling.quality_sampler import QualitySampler
from web.keys import CALL_QUALITY, DATABASE, MEETING, ROOMS, SETTINGS, SIO, SITES


async def meeting_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx (after the database's): start the meeting core, and close every peer
    connection and timer on the way out."""
    settings = app[SETTINGS]
    # Memory + this process, or Redis + the room-to-node registry (docs/scaling.md).
    urls = settings.node_urls
    backends = await open_backends(settings.redis_url, NodeInfo(settings.node_name, urls[0], urls))
    app[REGISTRY] = backends.registry
    service = RoomService(
        backends.store, RoomRecords(app[DATABASE]), lobby_limit=settings.lobby_max_per_room
    )
    connections = Connections()
    sio = app[SIO]
    fanout = Fanout(sio, service, lambda: app[SITES], connections)
    bridge = MediaBridge(service, fanout, connections)
    sfu = Sfu(media_settings(app[SETTINGS]), bridge)
    bridge.sfu = sfu
    links = LinkPolicy(
        service,
        connections,
        fanout,
        lambda: bridge.sfu,
        lambda: app[SITES],
        WeakLinkPolicy(min_capacity_kbps=settings.weak_site_min_kbps),
        settings.call_quality_interval,
    )
    meeting = Meeting(app, sio, service, fanout, bridge, connections, links)
    meeting.register()
    app[ROOMS] = service
    app[MEETING] = meeting
    # Each participant's call quality, kept by the inventory under their site.
    quality = app[CALL_QUALITY] = CallQuality(app[DATABASE])
    sampler = QualitySampler(
        service, connections, lambda: bridge.sfu, quality, settings.call_quality_interval
    )
    sampler.start()
    links.start()
    try:
        yield
    finally:
        await links.stop()
        await sampler.stop()
        await meeting.close()
        await fanout.close()
        await bridge.close()
        await sfu.close()
        await backends.close()


def setup(app: web.Application) -> None:
    """Register the meeting core; call after the database's cleanup context is appended."""
    if SITES not in app:
        app[SITES] = BuiltinSites()  # the inventory replaces it with the real directory
    app.cleanup_ctx.append(meeting_context)
