"""Pendopo server processes for the scale-out tests: ``python -m pendopo run`` on loopback, or
inside a network namespace of tests/scaling/machines.py."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from signaling.client import ProtocolClient
from signaling.payloads import PROTOCOL_VERSION
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, REPO, free_port


@dataclass
class Node:
    node_id: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    async def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"node {self.node_id} exited:\n{self.log.read_text()}")
                try:
                    async with http.get(f"{self.url}/api/rooms/none") as resp:
                        if resp.status == 404:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"node {self.node_id} not up:\n{self.log.read_text()}")
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no goodbye to Redis (a crash)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self, within: float = 20.0) -> int:
        """SIGTERM (aiohttp shuts down gracefully), SIGKILL if it takes too long."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(within)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_node(
    node_id: str,
    data_dir: Path,
    redis_url: str | None,
    logs: Path,
    hosts: tuple[str, ...] = (),
    database_url: str | None = None,
    *,
    netns: str | None = None,
    host: str = "127.0.0.1",
) -> Node:
    """A ``pendopo run`` process on ``host`` (``--host``/``--port``), or on each of ``hosts``
    (``--listen``, one port; ``url`` is on the first); without ``redis_url`` a lone server;
    with ``database_url`` its durable data in that PostgreSQL database. With ``netns`` it runs
    inside that network namespace, on port 8080 (the namespace's own), and announces its
    ``url`` as its ``--public-url`` (a node on a machine of its own)."""
    port = 8080 if netns is not None else free_port()
    url = f"http://{hosts[0] if hosts else host}:{port}"
    log = logs / f"{node_id}.log"
    args = [sys.executable, "-m", "pendopo", "run", "--host", host, "--port", str(port)]
    for address in hosts:
        args += ["--listen", f"{address}:{port}"]
    args += ["--data-dir", str(data_dir), "--node-id", node_id]
    if netns is not None:
        args = ["ip", "netns", "exec", netns, *args, "--public-url", url]
    if redis_url is not None:
        args += ["--redis-url", redis_url]
    if database_url is not None:
        args += ["--database-url", database_url]
    args += ["--probe-enabled", "false", "--log-level", "WARNING"]
    env = {**os.environ, "PENDOPO_ADMIN_USER": ADMIN_USER, "PENDOPO_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Node(node_id, url, proc, log)


async def signed_in(url: str) -> aiohttp.ClientSession:
    """An admin HTTP session on ``url`` with the CSRF header set (close it yourself)."""
    http = aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(
        "/api/session", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
    ) as resp:
        assert resp.status == 200, await resp.text()
        http.headers["X-CSRF-Token"] = (await resp.json())["csrf_token"]
    return http


def cookie_header(http: aiohttp.ClientSession, url: str) -> str:
    from yarl import URL

    cookies = http.cookie_jar.filter_cookies(URL(url))
    return "; ".join(f"{k}={m.value}" for k, m in cookies.items())


async def join_request(url: str, room: str, name: str, cookie: str | None = None) -> Any:
    """Connect a protocol client to ``url`` and send ``join``; return (client, raw ack)."""
    client = ProtocolClient(url, cookie=cookie, name=name)
    await client.connect()
    ack = await client.request("join", {"protocol": PROTOCOL_VERSION, "room": room, "name": name})
    if isinstance(ack, dict) and ack.get("ok"):
        client.participant_id = ack["participant"]["id"]
        client.state = ack["room"]
    return client, ack
