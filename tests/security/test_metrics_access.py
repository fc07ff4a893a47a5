"""``/metrics`` names every site and its live state: only staff, the scraper with the token, or
(without a token) the addresses of ``metrics_allow_ips`` — loopback by default — may read it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from accounts import AccountRole
from tests.conftest import RunningServer, make_settings, start_server
from tests.security.helpers import PASSWORD, make_user

TOKEN = "scrape-rahasia-1234567890"
OFFICE_PC = {"X-Forwarded-For": "10.33.14.50"}
"""A client on the LAN, as the (trusted) reverse proxy on loopback reports it."""


async def _serve(tmp_path: Path, **overrides: object) -> AsyncIterator[RunningServer]:
    settings = make_settings(tmp_path, forwarded_allow_ips=("127.0.0.1",), **overrides)
    runner, running = await start_server(settings)
    try:
        yield running
    finally:
        await runner.cleanup()


@pytest.fixture
async def default_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async for running in _serve(tmp_path):
        yield running


@pytest.fixture
async def token_server(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async for running in _serve(tmp_path, metrics_token=TOKEN):
        yield running


async def _get(server: RunningServer, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/metrics", headers=headers) as resp,
    ):
        return resp.status, await resp.text()


async def test_default_is_loopback_only(default_server: RunningServer) -> None:
    status, text = await _get(default_server, {})
    assert status == 200 and "pendopo_site_state" in text  # a scraper on the server itself
    status, text = await _get(default_server, OFFICE_PC)
    assert status == 403, text
    assert "pendopo_site" not in text and "Kalijambe" not in text
    status, _ = await _get(default_server, {"Authorization": f"Bearer {TOKEN}", **OFFICE_PC})
    assert status == 403  # no token is configured: a token opens nothing


async def test_staff_sessions_may_read_site_seats_may_not(default_server: RunningServer) -> None:
    server = default_server
    await make_user(server, "pemantau", AccountRole.VIEWER)
    await make_user(server, "kursi-kecamatan", AccountRole.SITE)
    for username, expected in (("pemantau", 200), ("kursi-kecamatan", 403)):
        http = await server.signed_in_session(username, PASSWORD)
        try:
            async with http.get("/metrics", headers=OFFICE_PC) as resp:
                assert resp.status == expected, username
        finally:
            await http.close()


async def test_a_configured_token_is_required_from_everyone(token_server: RunningServer) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, OFFICE_PC):
        status, text = await _get(token_server, headers)
        assert status == 401, headers  # loopback too: nginx on loopback would open it otherwise
        assert "pendopo_site" not in text
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{token_server.url}/metrics") as resp,
    ):
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await resp.json())["error"] == "unauthorised"
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"Authorization": f"bearer {TOKEN}"}):
        status, text = await _get(token_server, {**headers, **OFFICE_PC})
        assert status == 200 and "pendopo_sites" in text


async def test_the_allow_list_can_name_a_monitoring_network(tmp_path: Path) -> None:
    async for server in _serve(tmp_path, metrics_allow_ips=("10.33.14.0/24",)):
        assert (await _get(server, OFFICE_PC))[0] == 200
        assert (await _get(server, {"X-Forwarded-For": "10.33.15.9"}))[0] == 403
        assert (await _get(server, {}))[0] == 403  # loopback is no longer in the list
