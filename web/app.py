"""The application factory: wires every package into one aiohttp app.

Only wiring lives here (like galene.go): each package owns its routes and background work and
exposes a ``setup(app)`` that registers them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from accounts import AccountStore, Role
from accounts.passwords import generate_password
from pendopo.backup import hold_serving_lock
from pendopo.config import Settings
from pendopo.db import Component, Database
from pendopo.schema import components
from signaling import wiring as meeting
from signaling.server import attach as attach_sio
from signaling.server import close_sockets
from signaling.server import create_server as create_sio
from web import (
    admin_api,
    auth,
    call_quality_api,
    compression,
    inventory_api,
    inventory_live_api,
    inventory_pages,
    invites_api,
    metrics,
    openapi,
    pages,
    report_api,
    rooms_api,
    security,
    services_api,
    static_files,
    turn,
)
from web.errors import error_middleware
from web.keys import ACCOUNTS, DATABASE, SETTINGS, SIO
from web.path_ids import path_id_middleware

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024
"""Largest request body (CSV/GeoJSON imports); larger ones get 413."""

SCHEMA: list[Component] = components()
"""Every package's migrations (``pendopo.schema``), as the command line opens them too."""


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    lock = hold_serving_lock(settings.data_dir)  # `pendopo restore` refuses while it is held
    db = Database(settings.db_path)
    try:
        db.open(SCHEMA)
        app[DATABASE] = db
        app[ACCOUNTS] = AccountStore(db)
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
        settings.admin_user, password, Role.ADMIN, display_name="Kantor Bupati"
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


async def _close_sockets(app: web.Application) -> None:
    await close_sockets(app[SIO])


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[
            error_middleware,
            auth.user_middleware,
            security.csrf_middleware,
            path_id_middleware,
        ],
    )
    app[SETTINGS] = settings
    app[SIO] = create_sio(settings)
    attach_sio(app, app[SIO])
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(inventory_api.inventory_ctx)  # after _database: seeds on first start
    meeting.setup(app)  # after _database: the room service reads room records
    app.on_shutdown.append(_close_sockets)
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
    inventory_live_api.setup(app)  # after _database: the prober reads and writes it
    report_api.setup(app)
    call_quality_api.setup(app)
    services_api.setup(app)  # after inventory_api: its first start seeds the kecamatan
    metrics.setup(app)
    static_files.setup(app)  # /static/ (versioned, gzipped), /favicon.ico; pages use it
    compression.setup(app)
    return app
