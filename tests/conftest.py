"""Shared fixtures: a real Pendopo server on a free loopback port."""

from __future__ import annotations

import random
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from pendopo.app import create_app
from pendopo.config import Settings
from pendopo.db import Database

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer

REPO = Path(__file__).resolve().parents[1]
SRAGEN_DATA = REPO / "network_inventory" / "regions" / "sragen"
"""The Kemendagri files shipped in the repo (what the first start imports)."""
ADMIN_USER = "admin"
ADMIN_PASSWORD = "rahasia-bupati-2026"


def free_port(*, udp: bool = False) -> int:
    """A free TCP port (and UDP too, with ``udp``) on 127.0.0.1, below Linux's ephemeral range
    (32768-60999).

    A port the kernel hands out for ``bind(0)`` is an ephemeral one: any outgoing connection of
    another test (a browser, a socket.io client) may take it before a server subprocess (pendopo,
    redis-server, turnserver) gets to bind it. Ports below the range are never given out that way.
    """
    for _ in range(1000):
        port = random.randint(20000, 32000)
        try:
            with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dgram:
                tcp.bind(("127.0.0.1", port))
                if udp:
                    dgram.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free TCP port below the ephemeral range")


@dataclass
class RunningServer:
    app: web.Application
    settings: Settings
    url: str

    async def signed_in_session(
        self, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD
    ) -> aiohttp.ClientSession:
        """An HTTP client session carrying the sign-in cookie (close it yourself)."""
        # unsafe=True: accept cookies from an IP address host (127.0.0.1)
        session = aiohttp.ClientSession(
            base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        async with session.post(
            "/api/session", json={"username": username, "password": password}
        ) as resp:
            assert resp.status == 200, await resp.text()
            # Every later POST/PUT/PATCH/DELETE must carry the CSRF token (web/security.py).
            session.headers["X-CSRF-Token"] = (await resp.json())["csrf_token"]
        return session


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "data_dir": tmp_path / "data",
        "admin_user": ADMIN_USER,
        "admin_password": ADMIN_PASSWORD,
        "probe_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def start_server(
    settings: Settings, *, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, RunningServer]:
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
    await site.start()
    scheme = "https" if ssl_context else "http"
    return runner, RunningServer(app, settings, f"{scheme}://{settings.host}:{settings.port}")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A Pendopo server with default settings (probes off) on a free port."""
    runner, running = await start_server(make_settings(tmp_path))
    try:
        yield running
    finally:
        await runner.cleanup()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The tests' own PostgreSQL (tests/postgres_server.py); skips when it is not installed."""
    from tests import postgres_server

    server = postgres_server.start()
    try:
        yield server
    finally:
        server.stop()


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Each backend in turn, as the ``database_url`` setting: unset (SQLite in ``data_dir``),
    or a fresh database of the tests' own PostgreSQL."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Database]:
    """``new_database(name)``: an unopened ``Database`` on each backend in turn — the SQLite
    file ``name`` in the test's folder, or a PostgreSQL database of the test's own. The same
    name is the same database (open it again to test an upgrade)."""
    urls: dict[str, str] = {}

    def make(name: str) -> Database:
        if request.param == "sqlite":
            return Database(tmp_path / name)
        from pendopo.db_postgres import PostgresBackend

        if name not in urls:
            urls[name] = request.getfixturevalue("postgres").new_database()
        return Database(PostgresBackend(urls[name]))

    return make
