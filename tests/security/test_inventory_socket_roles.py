"""The live inventory namespace carries link states: staff only, never a site seat's shared PC."""

from __future__ import annotations

import pytest
import socketio

from accounts import AccountRole
from tests.conftest import RunningServer
from tests.security.helpers import PASSWORD, make_user, session_cookie


async def _connect(server: RunningServer, username: str) -> socketio.AsyncClient:
    http = await server.signed_in_session(username, PASSWORD)
    try:
        cookie = session_cookie(http)
    finally:
        await http.close()
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        server.url,
        namespaces=["/inventory"],
        transports=["websocket"],
        headers={"Cookie": f"pendopo_session={cookie}"},
        wait_timeout=10,
    )
    return client


async def test_viewer_receives_the_summary(server: RunningServer) -> None:
    await make_user(server, "pemantau", AccountRole.VIEWER)
    client = await _connect(server, "pemantau")
    try:
        assert client.connected
    finally:
        await client.disconnect()


async def test_site_seat_is_refused(server: RunningServer) -> None:
    await make_user(server, "kec-kalijambe", AccountRole.SITE)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _connect(server, "kec-kalijambe")
