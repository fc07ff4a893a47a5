"""Where a browser is sent: one process never sends it anywhere; with several nodes, to the
owner's URL on the address (or name) that browser used — never to ``0.0.0.0``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from unittest import mock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from edge.keys import SETTINGS
from edge.placement import browser_url
from pendopo.config import Settings
from rooms.registry import NodeInfo
from signaling.client import ProtocolClient
from signaling.payloads import PROTOCOL_VERSION
from tests.conftest import free_port, make_settings, start_server
from tests.scaling.nodes import Node, signed_in, start_node


async def summary(url: str, room: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/api/rooms/{room}", headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            data: dict[str, str] = await resp.json()
            return data


async def test_one_process_on_0_0_0_0_never_redirects(tmp_path: Path) -> None:
    # Settings as `pendopo run --host 0.0.0.0` has them (this test binds loopback only).
    port = free_port()
    settings = make_settings(tmp_path, port=port, listen=(f"0.0.0.0:{port}",))
    runner, server = await start_server(settings)
    try:
        http = await server.signed_in_session()
        async with http.post("/api/rooms", json={"title": "Rapat"}) as resp:
            room = (await resp.json())["room"]["id"]
        await http.close()
        data = await summary(server.url, room)
        assert "node" not in data, data  # was "http://0.0.0.0:<port>": the page left its origin
        client = ProtocolClient(server.url, name="Pak Lurah")
        await client.connect()
        try:
            ack = await client.request(
                "join", {"protocol": PROTOCOL_VERSION, "room": room, "name": "Pak Lurah"}
            )
            assert ack["ok"] and ack["status"] == "lobby", ack
        finally:
            await client.disconnect()
    finally:
        await runner.cleanup()


@pytest.fixture
async def two_address_nodes(redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[Node, Node]]:
    """Nodes A and B (Redis), each listening on 127.0.0.1 and 127.0.0.2 — two "LANs"."""
    logs = tmp_path / "logs"
    logs.mkdir()
    nodes: list[Node] = []
    hosts = ("127.0.0.1", "127.0.0.2")
    try:
        for name in ("node-a", "node-b"):
            nodes.append(start_node(name, tmp_path / "data", redis_url, logs, hosts))
            await nodes[-1].wait_ready()
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            node.stop()


async def test_each_browser_is_sent_to_the_owner_on_its_own_address(
    two_address_nodes: tuple[Node, Node],
) -> None:
    a, b = two_address_nodes
    port_a, port_b = a.url.rsplit(":", 1)[1], b.url.rsplit(":", 1)[1]
    http = await signed_in(a.url)
    try:
        async with http.post("/api/rooms", json={"title": "Rapat"}) as resp:
            room = (await resp.json())["room"]["id"]
    finally:
        await http.close()
    for host in ("127.0.0.1", "127.0.0.2"):
        # A serves the room on both addresses and sends nobody away.
        assert "node" not in await summary(f"http://{host}:{port_a}", room)
        # B sends each browser to A on the address that browser reached B at.
        assert (await summary(f"http://{host}:{port_b}", room))["node"] == f"http://{host}:{port_a}"
    # A name for the server (resolving to the address the request came in on) stays the name:
    # cookies and the certificate name go with it.
    named = await summary(b.url, room, {"Host": f"pendopo.lan:{port_b}"})
    assert named["node"] == f"http://pendopo.lan:{port_a}"
    # X-Forwarded-Host from a peer that is no trusted proxy is not believed.
    forged = await summary(b.url, room, {"X-Forwarded-Host": "evil.example"})
    assert forged["node"] == f"http://127.0.0.1:{port_a}"

    client = ProtocolClient(f"http://127.0.0.2:{port_b}", name="Pak Lurah")
    await client.connect()
    try:
        ack = await client.request(
            "join", {"protocol": PROTOCOL_VERSION, "room": room, "name": "Pak Lurah"}
        )
    finally:
        await client.disconnect()
    assert ack["ok"] is False and ack["error"] == "wrong_node", ack
    assert ack["node"] == f"http://127.0.0.2:{port_a}" and ack["node"] in ack["message"]


def _request(
    host: str,
    *,
    peer: str = "10.0.0.9",
    trusted: tuple[str, ...] = (),
    forwarded_host: str | None = None,
) -> web.Request:
    """A request from ``peer`` that arrived on 10.0.0.5:8082 with ``Host: host``."""
    app = web.Application()
    app[SETTINGS] = Settings(forwarded_allow_ips=trusted)
    transport = mock.Mock()
    extra = {"peername": (peer, 50000), "sockname": ("10.0.0.5", 8082)}
    transport.get_extra_info.side_effect = lambda key, default=None: extra.get(key, default)
    headers = {"Host": host}
    if forwarded_host is not None:
        headers["X-Forwarded-Host"] = forwarded_host
    return make_mocked_request("GET", "/api/rooms/x", headers, app=app, transport=transport)


LAN_A, LAN_B = "http://192.168.1.10:8081", "http://10.0.0.5:8081"
PUBLIC = "https://pendopo.sragenkab.go.id/n1"


@pytest.mark.parametrize(
    ("urls", "host", "expected"),
    [
        # A wildcard listener is reached under the name the browser used.
        (("http://0.0.0.0:8081",), "pendopo.lan:8082", "http://pendopo.lan:8081"),
        (("https://[::]:8081",), "[fd00::5]:8082", "https://[fd00::5]:8081"),
        # Concrete listeners: the one on the browser's address, else the one the request
        # arrived at (10.0.0.5), else the first.
        ((LAN_A, LAN_B), "10.0.0.5:8082", LAN_B),
        ((LAN_A, LAN_B), "kec.lan:8082", "http://kec.lan:8081"),
        ((LAN_A,), "kec.lan:8082", LAN_A),
        # public_url is what the operator said.
        ((PUBLIC,), "10.0.0.5:8082", PUBLIC),
    ],
)
def test_browser_url(urls: tuple[str, ...], host: str, expected: str) -> None:
    assert browser_url(NodeInfo("a", urls[0], urls), _request(host)) == expected


def test_browser_url_behind_a_trusted_proxy() -> None:
    node = NodeInfo("a", "http://0.0.0.0:8081", ("http://0.0.0.0:8081",))
    proxied = _request(
        "127.0.0.1:8082", peer="127.0.0.1", trusted=("127.0.0.1",), forwarded_host="pendopo.lan"
    )
    assert browser_url(node, proxied) == "http://pendopo.lan:8081"
    # Not through the proxy: the header is the client's own and ignored.
    direct = _request("10.0.0.5:8082", forwarded_host="evil.example", trusted=("127.0.0.1",))
    assert browser_url(node, direct) == "http://10.0.0.5:8081"
    # Without a request (no HTTP origin known), never a wildcard when a real URL exists.
    two = NodeInfo("a", "http://0.0.0.0:8081", ("http://0.0.0.0:8081", "http://10.0.0.5:8081"))
    assert browser_url(two, None) == "http://10.0.0.5:8081"
