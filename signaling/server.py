"""The one python-socketio server of a process, attached to the aiohttp app.

Meetings use the default namespace ``/``; the inventory dashboard's live pushes use
``/inventory``. With ``redis_url`` set, emits go through socket.io's Redis manager so that every
process delivers to its own clients (shared room state lives in the room store, not here).
"""

from __future__ import annotations

import asyncio
import logging

import socketio
from aiohttp import web

from pendopo.config import Settings

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0
"""Longest wait for clients' sockets to close at shutdown."""
MAX_MESSAGE_BYTES = 256 * 1024
"""Largest socket.io message (an SDP offer with many m-lines is ~20 KB)."""


def create_server(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        manager = socketio.AsyncRedisManager(
            settings.redis_url, redis_options={"max_connections": 1000}
        )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # Websocket only: long-polling needs sticky sessions across processes.
        transports=["websocket"],
        # None = same origin only (engineio compares Origin with Host / X-Forwarded-Host).
        # Not []: an empty list turns the Origin check off (cross-site websocket hijacking).
        cors_allowed_origins=None,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    sio.attach(app, socketio_path="socket.io")


async def close_sockets(sio: socketio.AsyncServer) -> None:
    """Disconnect every client (app shutdown), so no websocket keeps the server waiting."""
    # engineio's close waits for each socket's send queue to drain, which never happens for a
    # client that went away meanwhile: bound it, or shutdown (and the node's withdrawal from
    # the room registry, docs/scaling.md) hangs.
    try:
        await asyncio.wait_for(_disconnect_all(sio), CLOSE_SECONDS)
    except TimeoutError:
        log.warning("some sockets did not close within %s s at shutdown", CLOSE_SECONDS)


async def _disconnect_all(sio: socketio.AsyncServer) -> None:
    if sio.eio.sockets:  # checked in the same step as the call: engineio refuses an empty set
        await sio.eio.disconnect()
