"""TURN: coturn's shared-secret credentials from edge/turn.py, used for real.

Starts Debian's ``turnserver`` on a free loopback port with ``use-auth-secret``, then connects
two aiortc peers with ``iceTransportPolicy=RELAY`` (no host candidates at all), so data can only
flow through coturn's relay, and checks messages arrive both ways. An expired credential is
refused by coturn.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
)

from edge.turn import TURN_TTL, ice_servers_for, turn_credentials
from pendopo.config import Settings
from tests.conftest import RunningServer, free_port

SECRET = "uji-rahasia-turn-" + base64.b16encode(os.urandom(8)).decode()


def test_credentials_follow_coturn_rest_format() -> None:
    username, credential = turn_credentials("s3cret", "Lurah Gondang: 1", ttl=3600, now=1000)
    assert username == "4600:Lurah-Gondang-1"
    expected = hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected
    settings = Settings(
        ice_servers=("stun:10.0.0.1:3478", "turn:10.0.0.1:3478", "turns:turn.lan:5349"),
        turn_secret="s3cret",
    )
    stun, turn = ice_servers_for(settings, "budi", now=1000)
    assert stun == {"urls": ["stun:10.0.0.1:3478"]}
    assert turn["urls"] == ["turn:10.0.0.1:3478", "turns:turn.lan:5349"]
    assert turn["username"] == f"{1000 + TURN_TTL}:budi"
    assert ice_servers_for(Settings(), "budi") == []
    no_secret = ice_servers_for(Settings(ice_servers=("turn:10.0.0.1",)), "budi")
    assert no_secret == [{"urls": ["turn:10.0.0.1"]}]


async def test_ice_servers_route_needs_sign_in(server: RunningServer) -> None:
    from tests.security.helpers import anonymous

    async with anonymous(server) as http:
        async with http.get("/api/ice-servers") as resp:
            assert resp.status == 401
    http = await server.signed_in_session()
    try:
        async with http.get("/api/ice-servers") as resp:
            assert resp.status == 200
            assert await resp.json() == {"iceServers": [], "ttl": TURN_TTL}
    finally:
        await http.close()


def _stun_answers(port: int) -> bool:
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        s.sendto(request, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
    return data[:2] == b"\x01\x01"


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("Debian's coturn (turnserver) is not installed: make system-deps installs it")
    port = free_port(udp=True)  # coturn listens on both
    low = port + 1  # relay ports right above it: also below the ephemeral range
    config = tmp_path / "turnserver.conf"
    config.write_text(
        "\n".join(
            [
                f"listening-port={port}",
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"min-port={low}",
                f"max-port={low + 99}",
                "use-auth-secret",
                f"static-auth-secret={SECRET}",
                "realm=pendopo.test",
                "allow-loopback-peers",  # coturn refuses loopback peers by default
                "no-multicast-peers",
                "no-tls",
                "no-dtls",
                "no-cli",
                "fingerprint",
                f"userdb={tmp_path / 'turndb'}",
                f"pidfile={tmp_path / 'turnserver.pid'}",
                f"log-file={tmp_path / 'turn.log'}",
                "simple-log",
            ]
        )
        + "\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while not _stun_answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (tmp_path / "turn.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"turnserver did not start on 127.0.0.1:{port}: {log}")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _relay_config(port: int, now: float | None = None) -> RTCConfiguration:
    settings = Settings(ice_servers=(f"turn:127.0.0.1:{port}",), turn_secret=SECRET)
    (server,) = ice_servers_for(settings, "uji", now=now)
    ice = RTCIceServer(
        urls=server["urls"], username=server["username"], credential=server["credential"]
    )
    return RTCConfiguration(iceServers=[ice], iceTransportPolicy=RTCIceTransportPolicy.RELAY)


async def _connect(a: RTCPeerConnection, b: RTCPeerConnection) -> None:
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)


def _candidate_types(pc: RTCPeerConnection) -> set[str]:
    sdp = pc.localDescription.sdp
    return {line.split(" typ ")[1].split()[0] for line in sdp.splitlines() if " typ " in line}


async def test_data_flows_through_the_turn_relay(coturn: int) -> None:
    a = RTCPeerConnection(_relay_config(coturn))
    b = RTCPeerConnection(_relay_config(coturn))
    received: asyncio.Queue[str] = asyncio.Queue()
    channel = a.createDataChannel("uji")

    @b.on("datachannel")
    def on_channel(remote: object) -> None:
        @remote.on("message")  # type: ignore[attr-defined]
        def echo(message: str) -> None:
            remote.send("balas:" + message)  # type: ignore[attr-defined]

    @channel.on("message")
    def on_message(message: str) -> None:
        received.put_nowait(message)

    try:
        await _connect(a, b)
        # Only relayed candidates were offered: no direct path exists.
        assert _candidate_types(a) == {"relay"} and _candidate_types(b) == {"relay"}
        deadline = time.monotonic() + 20
        while channel.readyState != "open":
            assert time.monotonic() < deadline, f"no connection: {a.connectionState}"
            await asyncio.sleep(0.1)
        for i in range(20):
            channel.send(f"pesan {i}")
        got = [await asyncio.wait_for(received.get(), 20) for _ in range(20)]
        assert got == [f"balas:pesan {i}" for i in range(20)]
        pair = a.sctp.transport.transport._connection._nominated[1]  # aioice's chosen pair
        assert pair.local_candidate.type == "relay" and pair.remote_candidate.type == "relay"
    finally:
        await a.close()
        await b.close()


async def test_expired_credentials_get_no_relay(coturn: int) -> None:
    long_ago = time.time() - 2 * TURN_TTL
    a = RTCPeerConnection(_relay_config(coturn, now=long_ago))
    a.createDataChannel("uji")
    try:
        await a.setLocalDescription(await a.createOffer())
        assert "relay" not in _candidate_types(a)
    finally:
        await a.close()
