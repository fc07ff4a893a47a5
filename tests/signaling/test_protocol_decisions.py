"""Decisions docs/protocol.md and docs/api.md state for independent client writers: what a
non-browser client sends as ``Origin``, that a payload is checked before membership, and that
``GET /api/me`` signed out answers 200 ``{"user": null}``."""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from signaling.client import ProtocolClient
from tests.conftest import RunningServer
from tests.signaling.meeting import admit, create_room, host_cookie, join_host, join_lobby


async def _join_with(server: RunningServer, cookie: str, origin: str | None) -> dict[str, object]:
    client = ProtocolClient(server.url, cookie=cookie, name="skrip")
    headers = {"Cookie": cookie, **({"Origin": origin} if origin is not None else {})}
    await client.sio.connect(
        server.url, headers=headers, transports=["websocket"], socketio_path="socket.io"
    )
    try:
        room = await create_room(server)
        ack = await client.join(room, "Skrip Kantor")
        return dict(ack)
    finally:
        await client.disconnect()


async def test_no_origin_with_the_sign_in_cookie_joins_as_host(server: RunningServer) -> None:
    """A script or native client sends no Origin. Browsers always send one on a websocket
    handshake, so a missing Origin is never a hostile page; the cookie is the credential."""
    cookie = await host_cookie(server)
    ack = await _join_with(server, cookie, None)
    assert ack["status"] == "admitted"
    assert ack["participant"]["role"] == "host"  # type: ignore[index]
    same = await _join_with(server, cookie, server.url)  # a browser on the same origin
    assert same["participant"]["role"] == "host"  # type: ignore[index]


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
async def test_another_origin_is_refused_even_with_the_cookie(
    server: RunningServer, origin: str
) -> None:
    cookie = await host_cookie(server)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _join_with(server, cookie, origin)


async def test_me_signed_out_is_200_with_null_user(server: RunningServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/api/me") as resp:
        assert resp.status == 200
        assert await resp.json() == {"user": None}
    http2 = await server.signed_in_session()
    try:
        async with http2.get("/api/me") as resp:
            body = await resp.json()
            assert body["user"]["username"] == "admin" and body["csrf_token"]
    finally:
        await http2.close()


async def test_payload_is_checked_before_membership(server: RunningServer) -> None:
    client = ProtocolClient(server.url, name="belum-bergabung")
    await client.connect()
    try:
        for event, payload, expected in (
            ("chat:send", {"text": 5}, "invalid_request"),
            ("chat:send", {"text": "halo"}, "not_in_room"),
            ("media:offer", {"sdp": 12}, "invalid_request"),
            ("media:offer", {"sdp": "v=0\r\n"}, "not_in_room"),
            ("host:lock", {"locked": "ya"}, "invalid_request"),
            ("host:lock", {"locked": True}, "not_in_room"),
        ):
            ack = await client.request(event, payload)
            assert ack["ok"] is False and ack["error"] == expected, (event, payload, ack)
    finally:
        await client.disconnect()


async def test_people_who_left_disappear_from_participants(server: RunningServer) -> None:
    room = await create_room(server)
    host = await join_host(server, room)
    lurah = await join_lobby(server, room, "Pak Lurah")
    try:
        await admit(host, lurah, media=False)

        def listed() -> set[str]:
            return {p["id"] for p in (host.client.state or {}).get("participants", [])}

        await host.client.wait_until(lambda: lurah.id in listed(), what="admitted lurah")
        gone = lurah.id
        assert (await lurah.client.request("leave", {}))["ok"] is True
        await host.client.wait_until(lambda: gone not in listed(), what="lurah gone")
        assert listed() == {host.id}
    finally:
        await lurah.close()
        await host.close()
