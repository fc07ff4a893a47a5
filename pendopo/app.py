"""The composition root: builds the one aiohttp app and wires every package into it.

Only wiring lives here (like galene.go). The two edges are siblings that never import each
other: ``web`` registers the HTTP routes (web/app.py), ``signaling`` the socket.io handlers; both
read what they share from ``edge``. This module makes the collaborators — the database, the
meeting core (room service, SFU, fan-out, link policy) — and hands each piece what it needs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from accounts import AccountRole, AccountStore
from accounts.passwords import generate_password
from edge.keys import (
    ACCOUNTS,
    ATTENDANCE,
    AUDIT,
    CALL_QUALITY,
    DATABASE,
    INVITES,
    RECORDINGS,
    REGISTRY,
    ROOMS,
    SESSIONS,
    SETTINGS,
    SIO,
    SITES,
)
from edge.turn import ice_servers_for
from media import Cascade, MediaEvents, MediaServer, Sfu
from media.cascade import build as build_cascade
from media.recordings import RecordingLibrary
from network_inventory.call_quality import CallQuality
from pendopo.backup import hold_serving_lock
from pendopo.config import Settings
from pendopo.db import Component
from pendopo.db_choice import database_for
from pendopo.schema import components
from rooms import BuiltinSites, ForwardingPolicy, RoomRecords, RoomService
from rooms.attendance import AttendanceLog
from rooms.backends import open_backends
from rooms.registry import NodeInfo
from rooms.sites import SiteDirectory
from rooms.weak_links import WeakLinkPolicy
from signaling.connections import Connections
from signaling.fanout import Fanout
from signaling.ice import media_settings
from signaling.link_policy import LinkPolicy
from signaling.media_bridge import MediaBridge
from signaling.meeting import MEETING, Collaborators, Meeting
from signaling.quality_sampler import QualitySampler
from signaling.server import attach as attach_sio
from signaling.server import close_sockets
from signaling.server import create_server as create_sio
from web import app as web_app

log = logging.getLogger(__name__)

SCHEMA: list[Component] = components()
"""Every package's migrations (``pendopo.schema``), as the command line opens them too."""


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    lock = hold_serving_lock(settings.data_dir)  # `pendopo restore` refuses while it is held
    db = database_for(settings)
    try:
        db.open(SCHEMA)
        app[DATABASE] = db
        app[ACCOUNTS] = AccountStore(db)
        app[ATTENDANCE] = AttendanceLog(db)  # written by the meeting, read by the HTTP edge
        await _bootstrap_admin(app)
        yield
    finally:
        db.close()
        lock.release()


async def _bootstrap_admin(app: web.Application) -> None:
    """First start: create the admin (host) account, printing a generated password once."""
    accounts = app[ACCOUNTS]
    if await accounts.count_users() > 0:
        return
    settings = app[SETTINGS]
    password = settings.admin_password or generate_password()
    await accounts.create_user(
        settings.admin_user, password, AccountRole.ADMIN, display_name="Kantor Bupati"
    )
    if settings.admin_password:
        log.warning(
            "created admin account %r (password from PENDOPO_ADMIN_PASSWORD)", settings.admin_user
        )
    else:
        # Printed once, to the console only: it is never stored in clear.
        print(
            f"\n  Pendopo: created admin account {settings.admin_user!r}"
            f" with password: {password}\n  (shown once; change it after signing in)\n",
            flush=True,
        )


async def _meeting(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx (after the database's and web's): start the meeting core, and close every
    peer connection and timer on the way out."""
    settings = app[SETTINGS]
    # Memory + this process, or Redis + the room-to-node registry (docs/scaling.md).
    urls = settings.node_urls
    backends = await open_backends(settings.redis_url, NodeInfo(settings.node_name, urls[0], urls))
    app[REGISTRY] = backends.registry
    service = RoomService(
        backends.store,
        RoomRecords(app[DATABASE]),
        lobby_limit=settings.lobby_max_per_room,
        join_early=settings.session_join_early_minutes * 60.0,
    )
    connections = Connections()
    sio = app[SIO]

    def sites() -> SiteDirectory:
        return app[SITES]  # the inventory's directory once it has loaded

    fanout = Fanout(sio, service, sites, connections)
    recordings = app[RECORDINGS] = RecordingLibrary(settings.recordings_path)
    # One SFU, or this worker's spread over every worker's (pendopo run --workers).
    media: Callable[[MediaEvents], MediaServer] = functools.partial(Sfu, media_settings(settings))
    if settings.cascade_sockets:
        sockets = [Path(s) for s in settings.cascade_sockets]
        media = functools.partial(build_cascade, media_settings(settings), sockets)
    bridge = MediaBridge(
        service,
        fanout,
        connections,
        media,
        policy=ForwardingPolicy(audio_slots=settings.audio_speakers),
        recordings=recordings,
        recording_retention_days=settings.recording_retention_days,
    )
    if isinstance(bridge.sfu, Cascade):
        await bridge.sfu.start()
    bridge.prune_recordings()
    links = LinkPolicy(
        service,
        connections,
        fanout,
        bridge.sfu,
        sites,
        WeakLinkPolicy(min_capacity_kbps=settings.weak_site_min_kbps),
        settings.call_quality_interval,
    )
    bridge.on_video_seen = links.video_seen
    outside = Collaborators(
        accounts=app[ACCOUNTS],
        invites=app[INVITES],
        audit=app[AUDIT],
        registry=backends.registry,
        sites=sites,
        ice_servers=functools.partial(ice_servers_for, settings),
        lobby_max_per_address=settings.lobby_max_per_address,
        attendance=app[ATTENDANCE],
    )
    meeting = Meeting(sio, service, fanout, bridge, connections, links, outside)
    meeting.register()
    app[ROOMS] = service
    app[MEETING] = meeting
    app[SESSIONS] = meeting
    # Each participant's call quality, kept by the inventory under their site.
    quality = app[CALL_QUALITY] = CallQuality(app[DATABASE])
    sampler = QualitySampler(
        service, connections, bridge.sfu, quality, settings.call_quality_interval
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
        await bridge.sfu.close()
        await backends.close()


async def _close_sockets(app: web.Application) -> None:
    await close_sockets(app[SIO])


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=web_app.MAX_BODY, middlewares=web_app.MIDDLEWARES)
    app[SETTINGS] = settings
    app[SITES] = BuiltinSites()  # the inventory replaces it with the real directory
    app[SIO] = create_sio(settings)
    attach_sio(app, app[SIO])
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_database)
    web_app.setup(app)  # the HTTP edge: its services (after the database's) and routes
    app.cleanup_ctx.append(_meeting)  # after web's: accounts, invites, audit, the inventory
    return app
