"""Helpers of the live-half tests: rows in the inventory's tables, waiting for a condition, a
webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from pendopo.db import Database
from tests.conftest import free_port


async def add_site(
    db: Database, code: str, name: str, kind: str, parent: int | None, link: str | None = "active"
) -> int:
    """A site (and, with ``link``, its uplink to ``parent`` in that status)."""

    def run(conn: sqlite3.Connection) -> int:
        now = time.time()
        cur = conn.execute(
            "INSERT INTO sites (code, name, kind, parent_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, name, kind, parent, now, now),
        )
        site_id = int(cur.lastrowid or 0)
        if parent is not None and link is not None:
            conn.execute(
                "INSERT INTO links (site_id, parent_site_id, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (site_id, parent, link, now, now),
            )
        return site_id

    return await db.write(run)


async def add_target(db: Database, site_id: int, kind: str, host: str, **kw: Any) -> int:
    now = time.time()
    values = {"count": 3, "timeout_s": 0.5, **kw}
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    return await db.execute_write(
        f"INSERT INTO probe_targets (site_id, kind, host, {cols}, created_at, updated_at)"
        f" VALUES (?, ?, ?, {marks}, ?, ?)",
        (site_id, kind, host, *values.values(), now, now),
    )


async def wait_for(predicate: Callable[[], bool], deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.05)


class Hook:
    """A webhook receiver: every alert body, with the time it arrived."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.arrived.append(time.monotonic())
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def serving_hook(db: Database, port: int | None = None) -> AsyncIterator[Hook]:
    """A :class:`Hook` on loopback, registered as the inventory's webhook."""
    hook = Hook()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port or free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await db.execute_write(
        "INSERT INTO inventory_webhooks (url, created_at, updated_at) VALUES (?, 0, 0)",
        (f"http://127.0.0.1:{port}/hook",),
    )
    try:
        yield hook
    finally:
        await runner.cleanup()
