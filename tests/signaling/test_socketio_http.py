"""Plain HTTP requests to /socket.io/ that are not what a client sends get 4xx, never 5xx."""

from __future__ import annotations

import aiohttp
import pytest

from tests.conftest import RunningServer

WS_QUERY = "/socket.io/?EIO=4&transport=websocket"


@pytest.mark.parametrize(
    "headers",
    [
        {"Upgrade": "websocket"},  # a proxy that drops "Connection: upgrade"
        {"Connection": "upgrade"},  # no Upgrade header
        {"Upgrade": "websocket", "Connection": "upgrade"},  # no Sec-WebSocket-Key / Version
        {},
    ],
)
async def test_a_broken_websocket_upgrade_is_a_client_error(
    server: RunningServer, headers: dict[str, str]
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + WS_QUERY, headers=headers) as res:
            assert 400 <= res.status < 500, (headers, res.status, await res.text())
