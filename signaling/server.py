"""The one python-socketio server of a process, attached to the aiohttp app.

Meetings use the default namespace ``/``; the inventory dashboard's live pushes use
``/inventory``. With ``redis_url`` set, emits go through socket.io's Redis manager so that every
process delivers to its own clients (shared room state lives in the room store, not here).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from aiohttp import web

from edge.keys import REGISTRY
from edge.placement import peer_origin
from pendopo.config import Settings
from signaling import eio_poll

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0
"""Longest wait for clients' sockets to close at shutdown."""
MAX_MESSAGE_BYTES = 256 * 1024
"""Largest socket.io message (an SDP offer with many m-lines is ~20 KB)."""


SYNC_COMPRESS_BYTES = MAX_MESSAGE_BYTES
"""Websocket messages up to this size are compressed in the event loop (``compress_in_loop``)."""


def compress_in_loop() -> None:
    """aiohttp compresses (permessage-deflate) a websocket message over 16 kB in its thread pool.
    A town hall's ``room:state`` is ~55 kB, so each of a tick's 229 pushes made a thread hop and
    waited for the GIL behind the event loop (5 ms switch interval): the last page of a tick got
    its push ~100 ms late. Compressing 55 kB at aiohttp's level 1 takes ~0.1 ms: in the loop, a
    tick is sent in one go (docs/scaling.md "Signaling for hundreds"). aiohttp has no setting for
    it: its module constant, read at every send, is raised if it is still there."""
    from aiohttp._websocket import writer

    if getattr(writer, "WEBSOCKET_MAX_SYNC_CHUNK_SIZE", None) is not None:
        writer.WEBSOCKET_MAX_SYNC_CHUNK_SIZE = max(
            writer.WEBSOCKET_MAX_SYNC_CHUNK_SIZE, SYNC_COMPRESS_BYTES
        )
    else:
        log.warning("aiohttp changed: large websocket messages are compressed in threads")


def create_server(settings: Settings) -> socketio.AsyncServer:
    compress_in_loop()
    eio_poll.install()
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
        # Same origin only. Not []: an empty list turns the Origin check off (cross-site
        # websocket hijacking).
        cors_allowed_origins=same_origin,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )


def same_origin(origin: str, environ: dict[str, Any]) -> bool:
    """engineio's own check (``cors_allowed_origins=None``: Origin is the request's scheme and
    Host, or X-Forwarded-Proto/-Host), knowing that aiohttp itself may serve TLS: engineio's
    aiohttp driver says "http" unless a proxy says otherwise, which refused every browser of
    ``pendopo run`` with ``tls_cert``."""
    request = environ.get("aiohttp.request")
    secure = isinstance(request, web.Request) and request.secure
    scheme = "https" if secure else str(environ.get("wsgi.url_scheme", "http"))
    host = str(environ.get("HTTP_HOST", ""))
    allowed = {f"{scheme}://{host}"}
    if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_HOST" in environ:
        proto = str(environ.get("HTTP_X_FORWARDED_PROTO", scheme)).split(",")[0].strip()
        forwarded = str(environ.get("HTTP_X_FORWARDED_HOST", host)).split(",")[0].strip()
        allowed.add(f"{proto}://{forwarded}")
    if origin in allowed:
        return True
    if not isinstance(request, web.Request):
        return False
    # Scale-out: a page whose node died moves its socket to the new owner (docs/scaling.md).
    registry = request.app.get(REGISTRY)
    return registry is not None and peer_origin(registry, request, origin)


PATH = "/socket.io/"


def attach(app: web.Application, sio: socketio.AsyncServer) -> None:
    """Route ``/socket.io/`` to the server (what ``sio.attach`` does), refusing a websocket
    request that is no websocket upgrade first: engineio answers it with a value aiohttp cannot
    send (a 500), e.g. when a proxy drops the ``Connection: upgrade`` header."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.query.get("transport") == "websocket" and request.method == "GET":
            if not web.WebSocketResponse().can_prepare(request).ok:
                return web.json_response(
                    {
                        "error": "invalid_request",
                        "message": "Not a websocket upgrade (does a proxy drop the "
                        "Connection: upgrade or Upgrade header?).",
                    },
                    status=400,
                )
        response: web.StreamResponse = await sio.handle_request(request)
        return response

    for method in ("GET", "POST", "OPTIONS"):
        app.router.add_route(method, PATH, handle)


async def close_sockets(sio: socketio.AsyncServer) -> None:
    """Disconnect every client (app shutdown), so no websocket keeps the server waiting.

    Each socket is closed without waiting for its send queue to drain. engineio's own
    ``disconnect()`` waits, and that queue never drains when a client's close crosses ours: the
    socket's writer task has already ended, and the end-of-stream marker it puts back (or our
    CLOSE packet) is never taken. Shutdown then hung, and with it the node's withdrawal from the
    room registry (docs/scaling.md). A client still there gets the CLOSE packet from the writer
    and closes its end; aiohttp's graceful shutdown waits for that.
    """
    try:
        # Disconnect handlers run inline: bound them (in this task, so the order of the
        # client's close and ours is the one the caller sees).
        async with asyncio.timeout(CLOSE_SECONDS):
            await _disconnect_all(sio)
    except TimeoutError:
        log.warning("some sockets did not close within %s s at shutdown", CLOSE_SECONDS)
    await sio.shutdown()  # engineio's service task (documented: before the web server stops)


async def _disconnect_all(sio: socketio.AsyncServer) -> None:
    eio = sio.eio
    for sid, sock in list(eio.sockets.items()):
        await sock.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
        eio.sockets.pop(sid, None)
