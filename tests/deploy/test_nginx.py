"""The reverse proxy of docs/security.md ("Behind nginx"), run for real: Debian's nginx with the
configuration block read from the doc (only ports and file paths replaced), TLS with a
certificate from ``pendopo make-cert``'s code, in front of a Pendopo server on another loopback
port. Pages, REST, the socket.io websocket, the forwarded client address and the HTTP redirect.

The client connects from 127.0.0.2 (still loopback) so the address Pendopo records can only
have come from nginx's ``X-Forwarded-For``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import socketio

from edge.keys import DATABASE
from pendopo.tls import make_self_signed
from signaling.client import ProtocolClient
from tests.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    REPO,
    RunningServer,
    free_port,
    make_settings,
    start_server,
)

SECURITY_DOC = REPO / "docs" / "security.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT_ADDRESS = "127.0.0.2"


def doc_config() -> str:
    """The ```nginx block under "## Behind nginx" in docs/security.md."""
    section = SECURITY_DOC.read_text(encoding="utf-8").split("## Behind nginx", 1)[1]
    return section.split("```nginx\n", 1)[1].split("```", 1)[0]


def local_config(doc: str, replacements: dict[str, str]) -> str:
    """The doc's block with each production value replaced; each must occur exactly once, so a
    changed doc fails here instead of silently testing something else."""
    for production, local in replacements.items():
        assert doc.count(production) == 1, f"docs/security.md: expected {production!r} once"
        doc = doc.replace(production, local)
    return doc


@dataclass
class Proxy:
    url: str
    http_url: str
    cert: Path
    log: Path

    def client(self) -> aiohttp.ClientSession:
        ctx = ssl.create_default_context(cafile=str(self.cert))
        connector = aiohttp.TCPConnector(ssl=ctx, local_addr=(CLIENT_ADDRESS, 0))
        return aiohttp.ClientSession(
            base_url=self.url,
            connector=connector,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Origin": self.url},
        )


def _prepare(tmp_path: Path, pendopo_port: int) -> tuple[list[str], Proxy, int]:
    """Certificate and nginx.conf (the doc's block inside a minimal main config): nginx's
    arguments, the proxy's URLs and its TLS port."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run `make system-deps` (Debian package nginx)")
    files = make_self_signed(["pendopo.test"], ["127.0.0.1"], tmp_path / "tls")
    tls_port, http_port = free_port(), free_port()
    run = tmp_path / "nginx"
    run.mkdir()
    site = local_config(
        doc_config(),
        {
            "listen 443 ssl": f"listen 127.0.0.1:{tls_port} ssl",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/etc/pendopo/tls/cert.pem": str(files.cert),
            "/etc/pendopo/tls/key.pem": str(files.key),
            "/var/log/nginx/pendopo.log": str(run / "access.log"),
            "http://127.0.0.1:8080": f"http://127.0.0.1:{pendopo_port}",
        },
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {run / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = run / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {run / "nginx.pid"};
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
{temp_paths}
{site}
}}
""",
        encoding="utf-8",
    )
    args = [NGINX, "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf)]
    proxy = Proxy(
        f"https://127.0.0.1:{tls_port}",
        f"http://127.0.0.1:{http_port}",
        files.cert,
        run / "access.log",
    )
    return args, proxy, tls_port


async def _wait_for_port(port: int, proc: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if proc.returncode is not None:
            pytest.fail("nginx exited at start (see its error.log in the test's tmp_path)")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail("nginx did not listen within 10 s")


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[tuple[Proxy, RunningServer]]:
    settings = make_settings(tmp_path, forwarded_allow_ips=("127.0.0.1",), secure_cookies=True)
    args, nginx, tls_port = _prepare(tmp_path, settings.port)
    check = await asyncio.create_subprocess_exec(
        *args, "-t", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await check.communicate()
    assert check.returncode == 0, out.decode()
    runner, server = await start_server(settings)
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await _wait_for_port(tls_port, proc)
        yield nginx, server
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGQUIT)  # graceful stop
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await runner.cleanup()


async def test_pages_rest_and_forwarded_address_through_nginx(
    proxy: tuple[Proxy, RunningServer],
) -> None:
    nginx, server = proxy
    async with nginx.client() as http:
        async with http.get("/login") as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            assert resp.headers["Content-Encoding"] == "gzip"  # Pendopo's, passed through
            assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
            # Host keeps its port through the proxy: the policy names the browser's origin.
            assert (
                f"wss://{nginx.url.removeprefix('https://')}"
                in (resp.headers["Content-Security-Policy"])
            )
            page = await resp.text()
        assert "/static/js/login.js?v=" in page
        async with http.post(
            "/api/session",
            json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "10.99.99.99"},  # a client's own claim: not believed
        ) as resp:
            assert resp.status == 200, await resp.text()
            assert "Secure" in resp.headers["Set-Cookie"]
            http.headers["X-CSRF-Token"] = (await resp.json())["csrf_token"]
        async with http.post("/api/rooms", json={"title": "Lewat nginx"}) as resp:
            assert resp.status == 201, await resp.text()
        async with http.get("/api/me") as resp:
            assert (await resp.json())["user"]["username"] == ADMIN_USER
    db = server.app[DATABASE]
    row = await db.fetchone(
        "SELECT address FROM audit_log WHERE action = 'auth.sign_in' ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and row[0] == CLIENT_ADDRESS
    async with aiohttp.ClientSession() as plain:
        async with plain.get(nginx.http_url + "/login", allow_redirects=False) as resp:
            assert resp.status == 301
            assert resp.headers["Location"].startswith("https://127.0.0.1")
    assert "/api/session" in await asyncio.to_thread(nginx.log.read_text)


async def test_socketio_websocket_join_through_nginx(proxy: tuple[Proxy, RunningServer]) -> None:
    nginx, _server = proxy
    async with nginx.client() as http:
        async with http.post(
            "/api/session", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        ) as resp:
            assert resp.status == 200
            http.headers["X-CSRF-Token"] = (await resp.json())["csrf_token"]
        async with http.post("/api/rooms", json={"title": "Rapat lewat nginx"}) as resp:
            room = (await resp.json())["room"]["id"]
        client = ProtocolClient(
            nginx.url,
            name="Bupati",
            http_session=http,
            websocket_extra_options={"origin": nginx.url},
        )
        await client.connect()
        try:
            assert client.sio.transport() == "websocket"
            ack = await client.join(room, "Bupati")
            assert ack["status"] == "admitted"  # the sign-in cookie went over wss
        finally:
            await client.disconnect()
        # A page of another site may not open the socket, through the proxy too.
        foreign = ProtocolClient(
            nginx.url,
            name="elsewhere",
            http_session=http,
            websocket_extra_options={"origin": "https://elsewhere.example"},
        )
        with pytest.raises(socketio.exceptions.ConnectionError):
            await foreign.connect()
