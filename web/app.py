"""The HTTP edge's part of the app: its middlewares, its services and its routes.

Only wiring lives here: each module owns its routes and background work and exposes a
``setup(app)`` that registers them. The whole app — the database, the socket.io server, the
meeting core — is put together by the composition root, pendopo/app.py, which calls ``setup``.
"""

from __future__ import annotations

from aiohttp import web

from web import (
    admin_api,
    alert_channels_api,
    auth,
    call_quality_api,
    compression,
    inventory_api,
    inventory_live_api,
    inventory_pages,
    invites_api,
    link_thresholds_api,
    maintenance_api,
    metrics,
    openapi,
    pages,
    recordings_api,
    report_api,
    rooms_api,
    security,
    services_api,
    static_files,
    turn,
)
from web.errors import error_middleware
from web.path_ids import path_id_middleware

MAX_BODY = 8 * 1024 * 1024
"""Largest request body (CSV/GeoJSON imports); larger ones get 413."""

MIDDLEWARES = (
    error_middleware,
    auth.user_middleware,
    security.csrf_middleware,
    path_id_middleware,
)


def setup(app: web.Application) -> None:
    """Register the HTTP edge; call after the database's cleanup context is appended."""
    app.cleanup_ctx.append(inventory_api.inventory_ctx)  # after the database: seeds on first start
    security.setup(app)
    auth.setup(app)
    admin_api.setup(app)
    turn.setup(app)
    pages.setup(app)
    rooms_api.setup(app)
    invites_api.setup(app)
    inventory_api.setup(app)
    openapi.setup(app)
    inventory_pages.setup(app)
    inventory_live_api.setup(app)  # after the database: the prober reads and writes it
    alert_channels_api.setup(app)
    link_thresholds_api.setup(app)  # reads the live service's policy
    report_api.setup(app)
    recordings_api.setup(app)
    maintenance_api.setup(app)
    call_quality_api.setup(app)
    services_api.setup(app)  # after inventory_api: its first start seeds the kecamatan
    metrics.setup(app)
    static_files.setup(app)  # /static/ (versioned, gzipped), /favicon.ico; pages use it
    compression.setup(app)
